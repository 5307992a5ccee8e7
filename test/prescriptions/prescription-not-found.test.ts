import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freshOrder, shortFormIdOf, withoutMeta, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/**
 * The spec's PRESCRIPTION_NOT_FOUND (fhir-dispensing.yaml "Dispensing Errors": not-found, "The requested
 * prescription could not be found.", `/Claim`, `/Task/$release`, `/Task`) for each dispensing message about a
 * prescription the Spine does not hold (a return in its own table's words, "Prescription not found."); a release by id is the spec's own example instead
 * (examples/spec/errors/release/not-found-error.json, RESOURCE_NOT_FOUND).
 */
describe('EPS dispensing: a prescription that does not exist', () => {
  const rig = dispensingRig();
  const { dispense, claim, task, release, newPrescription, statusOf } = dispensingSteps(rig);

  const notFound = (answer: Response, order: Json, what: string, display = 'The requested prescription could not be found.') => {
    assert.equal(answer.status, 400, `${what}: ${answer.text}`);
    assert.deepEqual(withoutMeta(answer.body), { resourceType: 'OperationOutcome', issue: [{
      severity: 'error', code: 'not-found', diagnostics: `Prescription ${shortFormIdOf(order)} not found`,
      details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'PRESCRIPTION_NOT_FOUND', display }] },
    }] }, what);
  };

  it('a dispense notification, a claim, a return and a withdrawal of a prescription never ordered are 400 PRESCRIPTION_NOT_FOUND; a release by its id is 400 RESOURCE_NOT_FOUND', async () => {
    const never = freshOrder({ pharmacy: 'FA565' });
    notFound(await dispense(never, 'FA565', '0006'), never, 'dispense notification');
    notFound(await claim(never, 'FA565'), never, 'claim');
    // The return's own table's words (fhir-dispensing.yaml `/FHIR/R4/Task#return`: "Prescription not found.").
    notFound(await task('return', never, 'FA565'), never, 'return', 'Prescription not found.');
    notFound(await task('withdraw', never, 'FA565'), never, 'withdrawal');
    const released = await release('FA565', shortFormIdOf(never));
    assert.equal(released.status, 400, released.text);
    assert.deepEqual(released.body.issue[0].details.coding, [{ system: 'https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode', code: 'RESOURCE_NOT_FOUND', display: 'Resource not found' }]);
    assert.equal(released.body.issue[0].code, 'not-found');
  });

  it("a dispense notification naming a prescription with another patient's NHS number is FAILURE_TO_PROCESS_MESSAGE, and changes nothing", async () => {
    const order = await newPrescription();
    const otherPatient = freshOrder({ pharmacy: 'FA565', shortFormId: shortFormIdOf(order) });
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const refused = await dispense(otherPatient, 'FA565', '0006');
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(refused.body.issue[0].details.coding[0].code, 'FAILURE_TO_PROCESS_MESSAGE');
    assert.equal(refused.body.issue[0].details.coding[0].display, 'Unable to process message. Information missing or invalid - the NHS number does not match the prescription');
    assert.equal(await statusOf(order), '0002', 'still with the dispenser');
  });
});
