import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAppAndToken } from '../support/identity.js';
import type { Activity } from '../../src/platform/auth/activities.js';
import { call, freshOrder, nhsNumberOf, shortFormIdOf, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';

/** Who may track (GET Task) a prescription, and in which access mode: over HTTP on PostgreSQL, as deployed (not sandbox). */
describe('EPS tracking access', () => {
  const rig = dispensingRig();

  const ALL_FULLY_DISPENSED = ['0001', '0001', '0001', '0001'];

  it("an earlier repeat issue's dispenser still tracks that issue (and only it) once another pharmacy holds the current one", async () => {
    // Nominated to FA565; issue 1 is taken by id to FRPT2, a pharmacy the prescription does not nominate.
    const order = await rig.flow.prescribed(rig.flow.repeatOrder(3, 'FA565'));
    assert.equal((await rig.flow.release('FRPT2', order)).status, 200);
    assert.equal((await rig.flow.dispense('FRPT2', order, '0006', ALL_FULLY_DISPENSED)).status, 200);
    assert.equal((await rig.flow.release('VNE51', order)).status, 200);
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('VNE51', order)), [[1, '0006'], [2, '0002']], 'the holder of the current issue sees the prescription');

    const own = await rig.flow.track('FRPT2', order);
    assert.deepEqual(rig.flow.issuesIn(own), [[1, '0006']], 'issue 1 is FRPT2\'s own; issue 2 is with VNE51 and not shown to FRPT2');
    assert.equal(own.body.total, 1);
    assert.equal(own.body.entry[0].resource.owner.identifier.value, 'FRPT2');
    const byPatient = await call(rig.spine, 'GET', `/fhir-dispensing/FHIR/R4/Task?patient:identifier=${nhsNumberOf(order)}`, await rig.flow.worker('FRPT2'));
    assert.deepEqual(rig.flow.issuesIn(byPatient), [[1, '0006']], 'by patient too');
    // It may still claim its issue, as before.
    assert.equal((await rig.flow.claim('FRPT2', order, { issue: 1, issues: 3 })).status, 200);
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FRPT2', order)), [[1, '0008']]);
    // A pharmacy that never held an issue sees nothing.
    assert.equal((await rig.flow.track('FRPT3', order)).body.total, 0);
  });

  it("a search by patient cut short counts in its total only the Tasks the caller may see: an earlier repeat issue's dispenser, its own issue alone", async () => {
    // FRPT2 dispenses issue 1 of a repeat prescription; VNE51 holds issue 2, which FRPT2 may not see.
    const repeat = await rig.flow.prescribed(rig.flow.repeatOrder(3, 'FA565'));
    assert.equal((await rig.flow.release('FRPT2', repeat)).status, 200);
    assert.equal((await rig.flow.dispense('FRPT2', repeat, '0006', ALL_FULLY_DISPENSED)).status, 200);
    assert.equal((await rig.flow.release('VNE51', repeat)).status, 200);
    // Then 100 newer ones nominated to FRPT2: more than a search by patient answers (100), so it is cut short.
    for (let i = 0; i < 100; i += 1) await rig.flow.prescribed(freshOrder({ nhsNumber: nhsNumberOf(repeat), pharmacy: 'FRPT2' }));

    const byPatient = await call(rig.spine, 'GET', `/fhir-dispensing/FHIR/R4/Task?patient:identifier=${nhsNumberOf(repeat)}`, await rig.flow.worker('FRPT2'));
    assert.equal(byPatient.status, 200, JSON.stringify(byPatient.body));
    const matches = (byPatient.body.entry as Json[]).filter((e) => e.search.mode === 'match');
    assert.equal(matches.length, 100);
    assert.ok(!matches.some((e) => e.resource.groupIdentifier.value === shortFormIdOf(repeat)), 'the oldest, the repeat one, is left out');
    // 100 Tasks shown, and one more FRPT2 may see (its issue 1), not two: issue 2 is VNE51's.
    assert.equal(byPatient.body.total, 101);
    assert.match(byPatient.body.entry[100].resource.issue[0].diagnostics, /^Only the newest 100 of the patient's 101 prescriptions are returned;/);
  });

  it('tracking is user-restricted on both bases, as every other call but the nominated download: an application alone is 403 forbidden in each spec\'s words', async () => {
    const appHeaders = async (activities: Activity[], odsCode: string) => ({ authorization: `Bearer ${(await createAppAndToken(rig.spine, { activities, odsCode })).token}` });
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    const query = `Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`;
    const byPatient = `Task?patient:identifier=${nhsNumberOf(order)}`;
    const forbidden = (r: Response, diagnostics: string) => {
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.deepEqual(r.body.issue.map((i: Json) => [i.code, i.details.coding[0].code, i.diagnostics]), [['forbidden', 'FORBIDDEN', diagnostics]]);
    };
    const prescribingSystem = await appHeaders(['prescription:prescribe', 'prescription:track'], 'A83008');
    const dispensingSystem = await appHeaders(['prescription:dispense', 'prescription:track'], 'FA565');
    for (const path of [query, byPatient]) {
      forbidden(await call(rig.spine, 'GET', `/fhir-prescribing/FHIR/R4/${path}`, prescribingSystem), 'Dispensing functionality can only be accessed using the user-restricted access mode.');
      forbidden(await call(rig.spine, 'GET', `/fhir-dispensing/FHIR/R4/${path}`, dispensingSystem), 'Dispensing functionality requires user-restricted access unless otherwise stated.');
    }
    // The same organisations' healthcare workers track it.
    assert.deepEqual(rig.flow.issuesIn(await call(rig.spine, 'GET', `/fhir-prescribing/FHIR/R4/${query}`, await rig.flow.worker('A83008'))), [[1, '0001']]);
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0001']]);
  });
});
