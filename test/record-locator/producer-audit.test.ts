import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { insertPendingAudit } from '../../src/platform/audit/store.js';
import { verifyAuditChain } from '../../src/platform/audit/verify.js';
import { whileAuditAppendsFail } from '../audit/support.js';
import { call, nextNhsNumber, nrlApplication, pointerBody } from './support.js';

/**
 * A producer's write carries its own audit entry: the pointer and the entry commit in one
 * transaction, and the entry joins the hash chain after. So a write that committed is never
 * answered 503 for want of its entry (the producer would retry it and create the pointer twice),
 * and a write that did not commit leaves no success entry.
 */
describe('NRL producer writes commit with their audit entries', () => {
  let spine: TestSpine;
  let producer: Record<string, string>;
  let appId: string;
  before(async () => {
    spine = await startTestSpine();
    ({ identity: producer, appId } = await nrlApplication(spine, 'AUDW1', ['record-locator:produce']));
  });
  after(async () => { await spine?.close(); });

  const entriesOf = async (requestId: string) => (await spine.ctx.db.query(
    'SELECT action, resource, nhs_numbers, outcome, app_id, ods_code FROM audit.events WHERE request_id = $1 ORDER BY seq', [requestId])).rows;

  it('a create while the chain cannot be appended is answered 201, once, and its entry is chained when the chain is back', async () => {
    const db = spine.ctx.db;
    const nhsNumber = nextNhsNumber();
    const requestId = randomUUID();
    const created = await whileAuditAppendsFail(db, async () => {
      const answer = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: pointerBody('AUDW1', nhsNumber), headers: { 'x-request-id': requestId } });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      await assert.rejects(spine.ctx.audit.chainPending());
      assert.deepEqual(await entriesOf(requestId), []);
      return answer;
    });
    await spine.ctx.audit.chainPending();
    const id = created.headers.get('location')!.split('/').pop();
    assert.deepEqual(await entriesOf(requestId), [{
      action: 'pointer.create', resource: `DocumentReference/${id}`, nhs_numbers: [nhsNumber], outcome: 'success', app_id: appId, ods_code: 'AUDW1',
    }]);
    const pointers = await db.query('SELECT count(*)::int AS n FROM record_locator.pointers WHERE nhs_number = $1', [nhsNumber]);
    assert.equal(pointers.rows[0].n, 1);
    assert.equal((await verifyAuditChain(db)).intact, true);
  });

  it('a write that does not commit (a duplicate id) leaves no success entry, only its failure', async () => {
    const nhsNumber = nextNhsNumber();
    const id = `AUDW1-${randomUUID()}`;
    const body = { ...pointerBody('AUDW1', nhsNumber), id };
    const first = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', producer, { body });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const requestId = randomUUID();
    const again = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', producer, { body, headers: { 'x-request-id': requestId } });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    await spine.ctx.audit.chainPending();
    assert.deepEqual((await entriesOf(requestId)).map((e) => [e.action, e.outcome]), [['pointer.create', 'failure']]);
  });

  it('an entry a stopped process left pending is chained by a serving process within seconds, without being asked', async () => {
    // What a process leaves when it stops between its write's commit and chaining the entry.
    const requestId = randomUUID();
    const record = spine.ctx.audit.pending({ requestId, action: 'pointer.create', resource: 'DocumentReference/left-behind', nhsNumbers: [], outcome: 'success', appId });
    await spine.ctx.db.tx(async (tx) => { await insertPendingAudit(tx, [record]); });
    let entries: unknown[] = [];
    for (let waited = 0; entries.length === 0 && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      entries = await entriesOf(requestId);
    }
    assert.deepEqual(entries.map((e) => (e as { resource: string }).resource), ['DocumentReference/left-behind']);
  });
});
