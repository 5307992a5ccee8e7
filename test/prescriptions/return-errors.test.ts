import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, freshOrder, shortFormIdOf, withoutMeta, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/**
 * The return's own error table (fhir-dispensing.yaml `/FHIR/R4/Task#return` "4XX", all 400):
 * INVALID_STATE_TRANSITION "Invalid State Transition for Prescription.", PRESCRIPTION_NOT_FOUND "Prescription not
 * found.", INVALID_MESSAGE "Invalid Message.", UNABLE_TO_PROCESS_MESSAGE "Unable to process message. Information
 * missing or invalid." (MAX_REPEAT_MISMATCH: task-repeat-counts.test.ts). A withdrawal (`#withdraw`, no table)
 * keeps the general "Dispensing Errors" table's answers, each checked beside the return's.
 */
describe('EPS return: its own error table', () => {
  const rig = dispensingRig();
  const { newPrescription, release, dispense, task, taskBody, pharmacy, statusOf } = dispensingSteps(rig);
  const send = async (body: Json) => call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await pharmacy('FA565'), body);
  const EPS = 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode';
  const refused = (answer: Response, issue: Json) => {
    assert.equal(answer.status, 400, answer.text);
    assert.deepEqual(withoutMeta(answer.body), { resourceType: 'OperationOutcome', issue: [{ severity: 'error', ...issue }] });
  };

  it('a return of a prescription never ordered is PRESCRIPTION_NOT_FOUND "Prescription not found."; a withdrawal keeps the general table\'s words', async () => {
    const never = freshOrder({ pharmacy: 'FA565' });
    refused(await send(taskBody('return', never, 'FA565')), { code: 'not-found', diagnostics: `Prescription ${shortFormIdOf(never)} not found`,
      details: { coding: [{ system: EPS, code: 'PRESCRIPTION_NOT_FOUND', display: 'Prescription not found.' }] } });
    refused(await send(taskBody('withdraw', never, 'FA565')), { code: 'not-found', diagnostics: `Prescription ${shortFormIdOf(never)} not found`,
      details: { coding: [{ system: EPS, code: 'PRESCRIPTION_NOT_FOUND', display: 'The requested prescription could not be found.' }] } });
  });

  it('a return of a prescription not with a dispenser is INVALID_STATE_TRANSITION; a withdrawal of one not dispensed keeps PRESCRIPTION_INVALID_STATE_TRANSITION', async () => {
    const order = await newPrescription('FA565');
    const returned = await send(taskBody('return', order, 'FA565'));
    refused(returned, { code: 'business-rule', diagnostics: returned.body.issue?.[0]?.diagnostics,
      details: { coding: [{ system: EPS, code: 'INVALID_STATE_TRANSITION', display: 'Invalid State Transition for Prescription.' }] } });
    assert.equal(typeof returned.body.issue[0].diagnostics, 'string', 'says why');
    assert.equal(await statusOf(order), '0001', 'still to be dispensed');
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const withdrawn = await send(taskBody('withdraw', order, 'FA565'));
    assert.equal(withdrawn.status, 400, withdrawn.text);
    assert.deepEqual(withdrawn.body.issue[0].details.coding, [{ system: EPS, code: 'PRESCRIPTION_INVALID_STATE_TRANSITION',
      display: 'The requested operation is not valid for the current state of the prescription.' }]);
    assert.equal(await statusOf(order), '0002', 'still with the dispenser');
  });

  it('a return naming another patient, or missing its dispenser or with an identifier that is not one, is UNABLE_TO_PROCESS_MESSAGE, and changes nothing', async () => {
    const order = await newPrescription('FA565');
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const unable = { system: EPS, code: 'UNABLE_TO_PROCESS_MESSAGE', display: 'Unable to process message. Information missing or invalid.' };
    const otherPatient = taskBody('return', freshOrder({ pharmacy: 'FA565', shortFormId: shortFormIdOf(order) }), 'FA565');
    refused(await send(otherPatient), { code: 'processing', diagnostics: 'the NHS number does not match the prescription', details: { coding: [unable] } });
    // The general table's FAILURE_TO_PROCESS_MESSAGE for a withdrawal, its reason in the display as examples/errors/1-… writes it.
    const withdrawal = await send(taskBody('withdraw', freshOrder({ pharmacy: 'FA565', shortFormId: shortFormIdOf(order) }), 'FA565'));
    assert.equal(withdrawal.status, 400, withdrawal.text);
    assert.equal(withdrawal.body.issue[0].details.coding[0].code, 'FAILURE_TO_PROCESS_MESSAGE');
    const noDispenser = taskBody('return', order, 'FA565');
    delete noDispenser.requester;
    noDispenser.contained = noDispenser.contained.filter((c: Json) => c.resourceType !== 'Organization');
    refused(await send(noDispenser), { code: 'processing', expression: ['Task.requester'], details: { coding: [unable] },
      diagnostics: 'The dispensing organisation is missing: Task.requester is a contained PractitionerRole whose organization is a contained Organization with an ODS code.' });
    const notAUuid = taskBody('return', order, 'FA565');
    notAUuid.identifier[0].value = 'return-1';
    refused(await send(notAUuid), { code: 'processing', expression: ['Task.identifier.value'], details: { coding: [unable] },
      diagnostics: "Invalid value - 'return-1' in field 'Task.identifier.value': it is an RFC 4122 identifier (a UUID)." });
    assert.equal(await statusOf(order), '0002', 'still with the dispenser');
  });

  it('a return the door refuses (not of Return.yaml\'s types) is INVALID_MESSAGE "Invalid Message." naming the field; a withdrawal keeps INVALID_VALUE', async () => {
    const order = await newPrescription('FA565');
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const malformed = taskBody('return', order, 'FA565');
    malformed.groupIdentifier.value = 5;
    const answer = await send(malformed);
    refused(answer, { code: 'structure', diagnostics: answer.body.issue?.[0]?.diagnostics,
      details: { coding: [{ system: EPS, code: 'INVALID_MESSAGE', display: 'Invalid Message.' }] } });
    assert.match(answer.body.issue[0].diagnostics, /^Invalid value - '5' in field 'groupIdentifier\/value'/);
    const withdrawal = taskBody('withdraw', order, 'FA565');
    withdrawal.groupIdentifier.value = 5;
    const withdrawn = await send(withdrawal);
    assert.equal(withdrawn.status, 400, withdrawn.text);
    assert.equal(withdrawn.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.equal(await statusOf(order), '0002', 'still with the dispenser');
  });

  it('the general tables\' rows the return table has none for stay: a Task of another status is their verification error; a return with another dispenser PRESCRIPTION_WITH_ANOTHER_DISPENSER', async () => {
    const order = await newPrescription('FA565');
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const neither = taskBody('return', order, 'FA565');
    neither.status = 'completed';
    refused(await send(neither), { code: 'value', diagnostics: "Task.status must be one of: 'in-progress', 'rejected'", expression: ['Task.status'] });
    assert.equal((await dispense(order, 'FA565', '0003')).status, 200);
    const byAnother = await task('return', order, 'FCX93');
    assert.equal(byAnother.status, 400, byAnother.text);
    assert.equal(byAnother.body.issue[0].details.coding[0].code, 'PRESCRIPTION_WITH_ANOTHER_DISPENSER');
    assert.equal(await statusOf(order), '0003', 'still with FA565, dispensed in part');
  });
});
