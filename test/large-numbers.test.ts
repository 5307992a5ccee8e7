import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { PRESCRIBING } from './prescriptions/cycle.js';
import { call, preparedCycleOrder } from './prescriptions/support.js';
import { call as nrlCall, errorIssue, nextNhsNumber, nrlApplication, pointerBody } from './record-locator/support.js';
import { TOO_LARGE_NUMBER } from '../src/platform/http/body-parsers.js';

/**
 * JSON numbers no double can hold (`1e309`, a 400-digit literal) parse as ±Infinity, which an API
 * would store and later write as `null`: before the door refused them, an EPS order with quantity
 * 1e309 was accepted and released with `"value":null`. Each API refuses them in its own words,
 * naming the field.
 */
describe('numbers too large for a double', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine?.close(); });

  it('EPS: an order with quantity 1e309 (or 400 digits) is 400 INVALID_VALUE naming the field, and nothing is stored to release', async () => {
    const { gp, cycle, order, prepared, nothingToRelease } = await preparedCycleOrder(spine);
    const signed = cycle.signedOrder(order, prepared.body) as { entry: Array<{ resource: { resourceType: string; dispenseRequest?: { quantity: { value: number } } } }> };
    const at = signed.entry.findIndex((e) => e.resource.resourceType === 'MedicationRequest');
    signed.entry[at]!.resource.dispenseRequest!.quantity.value = 123456.789;
    for (const literal of ['1e309', '-1E+999', `1${'0'.repeat(400)}`]) {
      const refused = await call(spine, 'POST', `${PRESCRIBING}/$process-message`, gp, JSON.stringify(signed).replace('123456.789', literal));
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
      assert.equal(refused.body.issue[0].diagnostics, `Invalid value - '${TOO_LARGE_NUMBER}' in field 'entry/${at}/resource/dispenseRequest/quantity/value'`);
    }
    await nothingToRelease();
  });

  it('NRL: a pointer with attachment.size 1e309 is a body that could not be parsed, naming content, and is not stored', async () => {
    const { identity } = await nrlApplication(spine, 'BIGN1', ['record-locator:produce']);
    const before = await spine.ctx.db.query('SELECT count(*)::int AS n FROM record_locator.pointers');
    const body = pointerBody('BIGN1', nextNhsNumber()) as Record<string, any>;
    body.content[0].attachment.size = 123456;
    const refused = await nrlCall(spine, 'POST', '/producer/FHIR/R4/DocumentReference', identity, { rawBody: JSON.stringify(body).replace('123456', '1e309') });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.deepEqual(refused.body.issue, [errorIssue('MESSAGE_NOT_WELL_FORMED', 'Message not well formed', 'invalid',
      'Request body could not be parsed (content: number is too large)', 'content')]);
    const afterCount = await spine.ctx.db.query('SELECT count(*)::int AS n FROM record_locator.pointers');
    assert.equal(afterCount.rows[0].n, before.rows[0].n);
    const taken = await nrlCall(spine, 'POST', '/producer/FHIR/R4/DocumentReference', identity, { rawBody: JSON.stringify(body).replace('123456', '1e9') });
    assert.equal(taken.status, 201, JSON.stringify(taken.body));
  });
});
