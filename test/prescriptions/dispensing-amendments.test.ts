import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call, shortFormIdOf, type Json } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/** EPS dispensing over HTTP on PostgreSQL (deployment rules, demo data): a prescription through release, dispense, withdraw and claim; what an amendment or withdrawal must name. */
describe('EPS dispensing: the lifecycle, amendments and withdrawals', () => {
  const rig = dispensingRig();
  const eps = dispensingSteps(rig);
  const { pharmacy, newPrescription, release, lastSent, notification, dispense, taskBody, task, claim, statusOf, historyOf, success, dispensedInTwo } = eps;

  it('runs the lifecycle: partial then full dispense, withdraw, dispense again, claim, amend the claim; each step as the examples answer', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0003'));
    assert.equal(await statusOf(order), '0003');
    success(await dispense(order, 'FA565', '0006'));
    assert.equal(await statusOf(order), '0006');
    success(await task('withdraw', order, 'FA565'));
    assert.equal(await statusOf(order), '0003');
    success(await dispense(order, 'FA565', '0006'));
    success(await dispense(order, 'FA565', '0006', true));
    const early = await claim(await newPrescription(), 'FA565');
    assert.equal(early.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION', 'a claim before release');
    success(await claim(order, 'FA565'));
    assert.equal(await statusOf(order), '0008');
    success(await claim(order, 'FA565', true));
    const again = await dispense(order, 'FA565', '0006');
    assert.equal(again.status, 400);
    assert.equal(again.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
    const byOther = await dispense(order, 'VNE51', '0006');
    assert.equal(byOther.body.issue[0].details.coding[0].code, 'PRESCRIPTION_WITH_ANOTHER_DISPENSER');
    const history = await historyOf(order);
    assert.deepEqual(history, ['created', 'released', 'partially-dispensed', 'dispensed', 'withdrawn', 'dispensed', 'dispense-amended', 'claimed', 'claim-amended']);
  });

  it('an amendment naming another dispense notification or claim than the one on record is DISPENSE_AMEND_IDENTIFIER_MISMATCH, displayed as each, and changes nothing', async () => {
    const { order, partial, complete } = await dispensedInTwo();
    const mismatch = (diagnostics: string, display = 'Replacement target does not match existing claim reference on record.') => [{
      severity: 'error', code: 'business-rule', diagnostics,
      details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'DISPENSE_AMEND_IDENTIFIER_MISMATCH', display }] },
    }];
    // Only the most recent dispense notification can be amended (the spec's dispense notification
    // endpoint); NHS England's display for it (Spine's 0021), not the claim's.
    const notLast = await dispense(order, 'FA565', '0006', partial.identifier.value);
    assert.equal(notLast.status, 400, JSON.stringify(notLast.body));
    assert.deepEqual(notLast.body.issue, mismatch('Replacement target does not match the last dispense notification on record.',
      'Dispense Amendment/Cancellation Request does not pertain to Last Dispense'));
    const noTarget = notification(order, 'FA565', '0006', true);
    delete noTarget.entry.find((e: Json) => e.resource.resourceType === 'MessageHeader').resource.extension[0].valueIdentifier.value;
    const missing = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), noTarget);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.issue[0].details.coding[0].code, 'MISSING_VALUE');
    assert.deepEqual(missing.body.issue[0].expression, ['Bundle.entry.resource.ofType(MessageHeader).extension("Extension-replacementOf").valueIdentifier.value']);
    // The last one is named by its Bundle.identifier (the spec's homecare example) or its Bundle.id (acute-primary-example-04).
    success(await dispense(order, 'FA565', '0006', complete.id));
    success(await dispense(order, 'FA565', '0006', true));
    success(await claim(order, 'FA565'));
    const claimed = lastSent.get(`claim ${shortFormIdOf(order)} `)!;
    const otherClaim = await claim(order, 'FA565', randomUUID());
    assert.equal(otherClaim.status, 400, JSON.stringify(otherClaim.body));
    assert.deepEqual(otherClaim.body.issue, mismatch('Replacement target does not match existing claim reference on record.'));
    success(await claim(order, 'FA565', claimed));
    // The amendment is now the claim on record: the claim it replaced is not.
    assert.deepEqual((await claim(order, 'FA565', claimed)).body.issue, mismatch('Replacement target does not match existing claim reference on record.'));
    success(await claim(order, 'FA565', true));
    const history = await historyOf(order);
    assert.deepEqual(history, ['created', 'released', 'partially-dispensed', 'dispensed', 'dispense-amended', 'dispense-amended', 'claimed', 'claim-amended', 'claim-amended']);
  });

  it('a withdrawal whose focus is not the last dispense notification is DISPENSE_AMEND_IDENTIFIER_MISMATCH and changes nothing; one without a focus is MISSING_VALUE', async () => {
    const { order, partial, complete } = await dispensedInTwo();
    const withdraw = async (focus: unknown) => {
      const body = taskBody('withdraw', order, 'FA565');
      if (focus === undefined) delete body.focus; else body.focus = focus;
      return call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await pharmacy('FA565'), body);
    };
    const naming = (value: string) => ({ type: 'Bundle', identifier: { system: 'https://tools.ietf.org/html/rfc4122', value } });
    // Only the last notification may be withdrawn: the partial one before it, or one never sent, is refused.
    for (const other of [partial.identifier.value, partial.id, randomUUID()]) {
      const refused = await withdraw(naming(other));
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.deepEqual(refused.body.issue, [{
        severity: 'error', code: 'business-rule', diagnostics: 'Withdrawal target does not match the last dispense notification on record.',
        details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'DISPENSE_AMEND_IDENTIFIER_MISMATCH', display: 'Dispense Amendment/Cancellation Request does not pertain to Last Dispense' }] },
      }]);
    }
    // A focus that is missing, or names nothing, is MISSING_VALUE naming the field.
    for (const focus of [undefined, { type: 'Bundle' }, naming('')]) {
      const missing = await withdraw(focus);
      assert.equal(missing.status, 400, JSON.stringify(missing.body));
      assert.equal(missing.body.issue[0].details.coding[0].code, 'MISSING_VALUE');
      assert.equal(missing.body.issue[0].diagnostics, 'The identifier of the dispense notification withdrawn (Task.focus) is missing.');
      assert.deepEqual(missing.body.issue[0].expression, ['Task.focus.identifier.value']);
    }
    assert.equal(await statusOf(order), '0006', 'nothing withdrawn');
    // The last one is named by its Bundle.identifier (the spec's homecare example) or its Bundle.id (the spec's acute example).
    success(await withdraw(naming(complete.id)));
    assert.equal(await statusOf(order), '0003');
    // The partial one is now the last in force.
    assert.equal((await withdraw(naming(complete.identifier.value))).body.issue[0].details.coding[0].code, 'DISPENSE_AMEND_IDENTIFIER_MISMATCH');
    success(await withdraw(naming(partial.identifier.value)));
    assert.equal(await statusOf(order), '0002');
    const history = await historyOf(order);
    assert.deepEqual(history, ['created', 'released', 'partially-dispensed', 'dispensed', 'withdrawn', 'withdrawn']);
  });

  it('an amendment or withdrawal names a UUID in either case (EPS upper-cases every UUID it passes to Spine); another identifier only exactly', async () => {
    const { order, complete } = await dispensedInTwo();
    success(await dispense(order, 'FA565', '0006', complete.identifier.value.toUpperCase()));
    // The amendment is the last notification in force: a withdrawal naming it upper-cased takes it back.
    const withdrawal = taskBody('withdraw', order, 'FA565');
    withdrawal.focus.identifier.value = withdrawal.focus.identifier.value.toUpperCase();
    success(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await pharmacy('FA565'), withdrawal));
    assert.equal(await statusOf(order), '0003');
    // A notification named by a Bundle.id that is not a UUID (as acute-primary-example-03's) is named exactly.
    const named = notification(order, 'FA565', '0006');
    named.id = 'dispense-notification-a';
    success(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), named));
    const otherCase = await dispense(order, 'FA565', '0006', 'DISPENSE-NOTIFICATION-A');
    assert.equal(otherCase.status, 400, JSON.stringify(otherCase.body));
    assert.equal(otherCase.body.issue[0].details.coding[0].code, 'DISPENSE_AMEND_IDENTIFIER_MISMATCH');
    success(await dispense(order, 'FA565', '0006', 'dispense-notification-a'));
    success(await claim(order, 'FA565'));
    success(await claim(order, 'FA565', lastSent.get(`claim ${shortFormIdOf(order)} `)!.toUpperCase()));
    const history = await historyOf(order);
    assert.deepEqual(history, ['created', 'released', 'partially-dispensed', 'dispensed', 'dispense-amended', 'withdrawn', 'dispensed', 'dispense-amended', 'claimed', 'claim-amended']);
  });
});
