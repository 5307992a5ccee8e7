import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, freshOrder, shortFormIdOf, withoutMeta, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/**
 * A return's or withdrawal's repeat counts (Return.yaml, Withdraw.yaml: Task.extension, Extension-EPS-RepeatInformation)
 * against the prescription: the return's own table (fhir-dispensing.yaml `/FHIR/R4/Task#return`) gives
 * `400 MAX_REPEAT_MISMATCH` "Mismatch in authorised repeat counts." (domain/task-repeat.ts); a withdrawal, which the spec
 * gives no table, the general table's MISMATCH_AUTHORISED_REPEAT_COUNTS.
 */
describe('EPS returns and withdrawals: the repeat counts', () => {
  const rig = dispensingRig();
  const { repeatOrder, newPrescription, release, dispense, taskBody, pharmacy, statusOf, success } = dispensingSteps(rig);
  const IN_A_YEAR = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString();

  /** The spec's return or withdrawal example for this prescription, saying issue `issue` of `issues` (its extension's value type as the spec's return, valueInteger, or withdrawal, valueUnsignedInt). */
  const taskSaying = (kind: 'return' | 'withdraw', order: Json, issues: unknown, issue: unknown) => {
    const body = taskBody(kind, order, 'FA565');
    const value = kind === 'return' ? 'valueInteger' : 'valueUnsignedInt';
    body.extension = [...(body.extension ?? []), { url: 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-RepeatInformation',
      extension: [{ url: 'numberOfRepeatsAllowed', [value]: issues }, { url: 'numberOfRepeatsIssued', [value]: issue }] }];
    return body;
  };
  const send = async (body: Json) => call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await pharmacy('FA565'), body);
  /** A return's in its own table's code; a withdrawal's (no table) in the general table's, MISMATCH_AUTHORISED_REPEAT_COUNTS. */
  const mismatch = (answer: Response, diagnostics: string) => {
    assert.equal(answer.status, 400, answer.text);
    const coding = diagnostics.startsWith('The return')
      ? { code: 'MAX_REPEAT_MISMATCH', display: 'Mismatch in authorised repeat counts.' }
      : { code: 'MISMATCH_AUTHORISED_REPEAT_COUNTS', display: 'The repeat count in this message does not match the repeat count in the original prescription.' };
    assert.deepEqual(withoutMeta(answer.body), { resourceType: 'OperationOutcome', issue: [{
      severity: 'error', code: 'business-rule', diagnostics,
      details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', ...coding }] },
    }] });
  };

  it('a return of a 3-issue repeat-dispensing prescription saying 7 issues, or issue 5, is 400 MAX_REPEAT_MISMATCH; issue 2 (not yet current) is INVALID_STATE_TRANSITION; issue 1 of 3 is returned', async () => {
    const order = await newPrescription('FA565', repeatOrder(3, IN_A_YEAR));
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    // The spec's own repeat return example's counts: numberOfRepeatsAllowed 6, numberOfRepeatsIssued 2.
    mismatch(await send(taskSaying('return', order, 6, 2)), 'The return says the prescription has 7 issues (numberOfRepeatsAllowed 6); it has 3 (numberOfRepeatsAllowed 2).');
    mismatch(await send(taskSaying('return', order, 2, 4)), 'The return says issue 5 (numberOfRepeatsIssued 4); the prescription has 3 issues (numberOfRepeatsAllowed 2).');
    const notCurrent = await send(taskSaying('return', order, 2, 1));
    assert.equal(notCurrent.status, 400, notCurrent.text);
    assert.equal(notCurrent.body.issue[0].details.coding[0].code, 'INVALID_STATE_TRANSITION', 'the return table\'s');
    assert.equal(notCurrent.body.issue[0].diagnostics, 'Cannot return issue 2 of a prescription whose current issue is 1');
    assert.equal(await statusOf(order), '0002', 'still with the dispenser');
    const matching = taskSaying('return', order, 2, 0);
    success(await send(matching));
    assert.equal(await statusOf(order), '0001', 'returned');
    // The same return sent again (another X-Request-ID) once issue 2 is current is answered as the first was.
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0006'));
    success(await send(matching));
  });

  it('a withdrawal saying other counts than the prescription\'s is 400 MISMATCH_AUTHORISED_REPEAT_COUNTS (the general table\'s: the return\'s table is not the withdrawal\'s) and withdraws nothing; with its own (valueUnsignedInt, as the spec\'s) it withdraws', async () => {
    const order = await newPrescription('FA565', repeatOrder(3, IN_A_YEAR));
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0003'));
    mismatch(await send(taskSaying('withdraw', order, 6, 2)), 'The withdraw says the prescription has 7 issues (numberOfRepeatsAllowed 6); it has 3 (numberOfRepeatsAllowed 2).');
    assert.equal(await statusOf(order), '0003', 'the notification stands');
    success(await send(taskSaying('withdraw', order, 2, 0)));
    assert.equal(await statusOf(order), '0002', 'withdrawn');
  });

  it('an acute prescription returned or withdrawn as issue 3 of 7 is 400 MAX_REPEAT_MISMATCH (returned) or MISMATCH_AUTHORISED_REPEAT_COUNTS (withdrawn); as 1 of 1 (or without counts) it is taken', async () => {
    const order = await newPrescription('FA565', freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0003'));
    mismatch(await send(taskSaying('withdraw', order, 6, 2)), 'The withdraw says issue 3 of 7 issues (Extension-EPS-RepeatInformation); the prescription is acute, issued once (1 of 1).');
    success(await send(taskSaying('withdraw', order, 0, 0)));
    mismatch(await send(taskSaying('return', order, 0, 1)), 'The return says issue 2 of 1 issues (Extension-EPS-RepeatInformation); the prescription is acute, issued once (1 of 1).');
    assert.equal(await statusOf(order), '0002');
    success(await send(taskBody('return', order, 'FA565')));
    assert.equal(await statusOf(order), '0001');
  });

  it('a return\'s count that is not a whole number (at the door) is the return table\'s INVALID_MESSAGE, one not of 0 to 999, or two RepeatInformation disagreeing, its UNABLE_TO_PROCESS_MESSAGE, naming it, and changes nothing', async () => {
    const order = await newPrescription('FA565', repeatOrder(3, IN_A_YEAR));
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    // Not a whole number: the door's schema (the spec's valueInteger) refuses it, naming the field.
    for (const [issues, issue, field] of [['2', 0, 'extension/0/extension/0/valueInteger'], [2, 0.5, 'extension/0/extension/1/valueInteger']] as const) {
      const refused = await send(taskSaying('return', order, issues, issue));
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.issue[0].details.coding[0].code, 'INVALID_MESSAGE');
      assert.equal(refused.body.issue[0].diagnostics, `Invalid value - '${issues === 2 ? issue : issues}' in field '${field}'`);
    }
    for (const [issues, issue, field] of [[2, -1, 'numberOfRepeatsIssued'], [1e6, 0, 'numberOfRepeatsAllowed']] as const) {
      const refused = await send(taskSaying('return', order, issues, issue));
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.issue[0].details.coding[0].code, 'UNABLE_TO_PROCESS_MESSAGE', refused.text);
      assert.deepEqual(refused.body.issue[0].expression, [`Task.extension("Extension-EPS-RepeatInformation").${field}`], refused.text);
    }
    const twice = taskSaying('return', order, 2, 0);
    twice.extension.push({ ...twice.extension[0], extension: [{ url: 'numberOfRepeatsAllowed', valueInteger: 5 }] });
    const disagreeing = await send(twice);
    assert.equal(disagreeing.status, 400, disagreeing.text);
    assert.equal(disagreeing.body.issue[0].details.coding[0].code, 'UNABLE_TO_PROCESS_MESSAGE');
    assert.equal(await statusOf(order), '0002', 'still with the dispenser');
  });
});
