import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import type { Activity } from '../../src/platform/auth/activities.js';
import { call, freshOrder, nhsNumberOf, shortFormIdOf, type Json, type Response } from './support.js';
import { dispensingFlow } from './dispensing-flow.js';

/** Who may track (GET Task) a prescription, and in which access mode: over HTTP on PostgreSQL, as deployed (not sandbox). */
describe('EPS tracking access', () => {
  let spine: TestSpine;
  let flow: ReturnType<typeof dispensingFlow>;

  before(async () => {
    spine = await startTestSpine();
    flow = dispensingFlow(spine);
  });
  after(async () => { await spine?.close(); });

  const ALL_FULLY_DISPENSED = ['0001', '0001', '0001', '0001'];

  it('tracking is user-restricted on both bases, as every other call but the nominated download: an application alone is 403 forbidden in each spec\'s words', async () => {
    const appHeaders = async (activities: Activity[], odsCode: string) => ({ authorization: `Bearer ${(await createAppAndToken(spine, { activities, odsCode })).token}` });
    const order = await flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    const query = `Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`;
    const byPatient = `Task?patient:identifier=${nhsNumberOf(order)}`;
    const forbidden = (r: Response, diagnostics: string) => {
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.deepEqual(r.body.issue.map((i: Json) => [i.code, i.details.coding[0].code, i.diagnostics]), [['forbidden', 'FORBIDDEN', diagnostics]]);
    };
    const prescribingSystem = await appHeaders(['prescription:prescribe', 'prescription:track'], 'A83008');
    const dispensingSystem = await appHeaders(['prescription:dispense', 'prescription:track'], 'FA565');
    for (const path of [query, byPatient]) {
      forbidden(await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/${path}`, prescribingSystem), 'Dispensing functionality can only be accessed using the user-restricted access mode.');
      forbidden(await call(spine, 'GET', `/fhir-dispensing/FHIR/R4/${path}`, dispensingSystem), 'Dispensing functionality requires user-restricted access unless otherwise stated.');
    }
    // The same organisations' healthcare workers track it.
    assert.deepEqual(flow.issuesIn(await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/${query}`, await flow.worker('A83008'))), [[1, '0001']]);
    assert.deepEqual(flow.issuesIn(await flow.track('FA565', order)), [[1, '0001']]);
  });
});
