import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, freshOrder, withoutMeta, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';
import { createAppAndToken, userToken } from '../support/identity.js';
import type { Activity } from '../../src/platform/auth/activities.js';

/**
 * An application not registered for the operation (identity's `activities`, which its operator sets: neither
 * `prescription:prescribe` nor `prescription:dispense` is a default) is refused with both specs' verification row:
 * 403 `forbidden`, "Your app does not have permission to access prescribing functionality." on the operations it
 * lists (fhir-prescribing.yaml `/$prepare`; fhir-dispensing.yaml `/$process-message`, `/Claim`, `/Task/$release`,
 * `/Task`; the combined spec all five). A user whose role lacks it through a permitted app, tracking, and a
 * token minted before the app's registration was kept in it keep the platform's FORBIDDEN.
 */
describe('EPS: an application not permitted prescribing or dispensing', () => {
  const rig = dispensingRig();
  const { releaseBody, notification, taskBody } = dispensingSteps(rig);
  const PRESCRIBING = '/fhir-prescribing/FHIR/R4';
  const DISPENSING = '/fhir-dispensing/FHIR/R4';
  const headersOf = (token: string) => ({ authorization: `Bearer ${token}`, 'nhsd-session-urid': '555000000101' });
  /** A user in `role` at `ods` through an application registered for `registered`. */
  const through = async (ods: string, role: 'R8000' | 'R8003', registered: Activity[]) =>
    headersOf((await userToken(rig.spine, { roleCode: role, odsCode: ods, appActivities: registered })).token);
  const notPermitted = (answer: Response, what: string) => {
    assert.equal(answer.status, 403, `${what}: ${answer.text}`);
    assert.deepEqual(withoutMeta(answer.body), { resourceType: 'OperationOutcome', issue: [{
      severity: 'error', code: 'forbidden', diagnostics: 'Your app does not have permission to access prescribing functionality.',
      details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode', code: 'FORBIDDEN', display: 'Insufficient authorization.' }] },
    }] }, what);
  };
  const platformForbidden = (answer: Response, diagnostics: string) => {
    assert.equal(answer.status, 403, answer.text);
    assert.equal(answer.body.issue[0].details.coding[0].code, 'FORBIDDEN');
    assert.equal(answer.body.issue[0].diagnostics, diagnostics);
  };

  it('a prescriber through a dispensing-only application is refused $prepare and $process-message in the spec\'s words', async () => {
    const gp = await through('A83008', 'R8000', ['prescription:dispense', 'prescription:track']);
    notPermitted(await call(rig.spine, 'POST', `${PRESCRIBING}/$prepare`, gp, freshOrder({ pharmacy: 'FA565' })), '$prepare');
    notPermitted(await call(rig.spine, 'POST', `${PRESCRIBING}/$process-message`, gp, freshOrder({ pharmacy: 'FA565' })), '$process-message');
    // Permitted, the same prescriber prepares.
    const permitted = await through('A83008', 'R8000', ['prescription:prescribe']);
    assert.equal((await call(rig.spine, 'POST', `${PRESCRIBING}/$prepare`, permitted, freshOrder({ pharmacy: 'FA565' }))).status, 200);
  });

  it('a pharmacist through a prescribing-only application is refused every dispensing operation the row lists; tracking keeps FORBIDDEN, naming the application', async () => {
    const pharmacist = await through('FA565', 'R8003', ['prescription:prescribe']);
    const order = freshOrder({ pharmacy: 'FA565' });
    for (const [path, body] of [['Task/$release', releaseBody('FA565')], ['$process-message', notification(order, 'FA565', '0006')],
      ['Task', taskBody('return', order, 'FA565')], ['Claim', { resourceType: 'Claim' }]] as const) {
      notPermitted(await call(rig.spine, 'POST', `${DISPENSING}/${path}`, pharmacist, body as Json), path);
    }
    platformForbidden(await call(rig.spine, 'GET', `${DISPENSING}/Task?focus:identifier=${encodeURIComponent('24F5DA-A83008-7EFE6Z')}`, pharmacist),
      "Access denied: application Test clinical system is not permitted 'prescription:track'");
  });

  it('an application-restricted system not registered for dispensing is refused the nominated release in the spec\'s words; registered, it releases', async () => {
    const system = headersOf((await createAppAndToken(rig.spine, { odsCode: 'FA565', activities: ['patient:read'] })).token);
    notPermitted(await call(rig.spine, 'POST', `${DISPENSING}/Task/$release`, system, releaseBody('FA565')), 'nominated release');
    const dispensing = headersOf((await createAppAndToken(rig.spine, { odsCode: 'FA565', activities: ['prescription:dispense'] })).token);
    const released = await call(rig.spine, 'POST', `${DISPENSING}/Task/$release`, dispensing, releaseBody('FA565'));
    assert.equal(released.status, 200, released.text);
  });

  it('a role without the activity through a permitted application, or a token that does not say what its application is registered for, keeps the platform\'s FORBIDDEN', async () => {
    const pharmacistAtPrescribingSystem = await through('FA565', 'R8003', ['prescription:prescribe', 'prescription:dispense']);
    platformForbidden(await call(rig.spine, 'POST', `${PRESCRIBING}/$prepare`, pharmacistAtPrescribingSystem, freshOrder({ pharmacy: 'FA565' })),
      "Access denied: role R8003 is not permitted 'prescription:prescribe'");
    const older = headersOf((await userToken(rig.spine, { roleCode: 'R8003', odsCode: 'FA565' })).token);
    platformForbidden(await call(rig.spine, 'POST', `${PRESCRIBING}/$prepare`, older, freshOrder({ pharmacy: 'FA565' })),
      "Access denied: role R8003 is not permitted 'prescription:prescribe'");
  });
});
