import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { call, freshOrder, prescribe, shortFormIdOf, workerHeaders, type Json } from './support.js';

/** What an order's items must agree on, over HTTP on PostgreSQL, as a deployment (demo data, no sandbox). */
describe("EPS prescribing: an order's items", () => {
  let spine: TestSpine;
  let gp: Record<string, string>;
  before(async () => {
    spine = await startTestSpine();
    gp = await workerHeaders(spine, 'A83008', 'R8000');
  });
  after(async () => { await spine?.close(); });

  const itemsOf = (order: Json): Json[] => order.entry.filter((e: Json) => e.resource.resourceType === 'MedicationRequest').map((e: Json) => e.resource);
  const longFormOf = (item: Json): Json => item.groupIdentifier.extension[0];
  const stored = async (order: Json) => {
    const { rows } = await spine.ctx.db.query('SELECT count(*)::int AS n FROM prescriptions.prescriptions WHERE short_form_id = $1', [shortFormIdOf(order)]);
    return rows[0].n as number;
  };
  const groupIdentifierRefused = (r: { status: number; body: Json }) => {
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.deepEqual(r.body.issue, [{
      severity: 'error', code: 'value', diagnostics: 'Expected all MedicationRequests to have the same value for groupIdentifier.',
      expression: ['Bundle.entry.resource.ofType(MedicationRequest).groupIdentifier'],
    }]);
  };

  it('items naming two long-form prescription ids (groupIdentifier Extension-DM-PrescriptionId), or one item id in two cases, are refused at $prepare and when sent, and nothing is stored', async () => {
    for (const change of [
      (items: Json[]) => { longFormOf(items[1]!).valueIdentifier.value = randomUUID(); },
      (items: Json[]) => { longFormOf(items[3]!).valueIdentifier.value = longFormOf(items[3]!).valueIdentifier.value.toUpperCase(); },
      (items: Json[]) => { delete items[2]!.groupIdentifier.extension; },
    ]) {
      const order = freshOrder();
      change(itemsOf(order));
      groupIdentifierRefused(await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, order));
      groupIdentifierRefused(await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', gp, order));
      assert.equal(await stored(order), 0, 'nothing stored');
    }
    // Nor are two items whose ids are one UUID in two cases: a message naming either names both.
    const twice = freshOrder();
    itemsOf(twice)[1]!.identifier[0].value = itemsOf(twice)[0]!.identifier[0].value.toUpperCase();
    const duplicate = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, twice);
    assert.equal(duplicate.status, 400, JSON.stringify(duplicate.body));
    assert.deepEqual(duplicate.body.issue, [{ severity: 'error', code: 'value', diagnostics: 'Expected all MedicationRequests to have a different value for identifier.' }]);
    // All four with the same long-form id: taken.
    const order = freshOrder();
    assert.equal((await prescribe(spine, gp, order)).status, 200);
    assert.equal(await stored(order), 1);
  });
});
