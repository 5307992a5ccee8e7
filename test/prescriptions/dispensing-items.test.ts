import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ACUTE, call, example, itemIdsOf, nhsNumberOf, shortFormIdOf, type Json } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/** EPS dispensing over HTTP on PostgreSQL (deployment rules, demo data): returns, cancellations of items, and each item's dispense status. */
describe("EPS dispensing: returns, cancellations and each item's status", () => {
  const rig = dispensingRig();
  const eps = dispensingSteps(rig);
  const { ITEM_TYPES, pharmacy, newPrescription, release, passed, notification, dispense, task, claim, statusOf, itemCodesOf, cancelItem, cancellationCode, success } = eps;

  it('a return puts the prescription back to be dispensed; a cancellation asked while with the dispenser (R-0002) completes on return, for the item it names', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await task('return', order, 'FA565'));
    assert.equal(await statusOf(order), '0001');
    assert.equal((await release('VNE51', shortFormIdOf(order))).status, 200, 'another pharmacy may now release it');

    const cancel = structuredClone(example(`${ACUTE}cancellations/2-Process-Request-Cancel-200_OK.json`));
    for (const { resource } of cancel.entry) {
      if (resource.resourceType === 'MedicationRequest') { resource.groupIdentifier.value = shortFormIdOf(order); resource.identifier[0].value = itemIdsOf(order)[0]; }
      if (resource.resourceType === 'Patient') resource.identifier[0].value = nhsNumberOf(order);
    }
    const marked = await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', eps.gp, cancel);
    assert.equal(marked.status, 400);
    const code = marked.body.entry.find((e: Json) => e.resource.resourceType === 'MedicationRequest').resource.extension[0].extension[0].valueCoding;
    assert.deepEqual(code, example('spec/errors/prescription-order-update/R-0002-Cancellation.json').entry[1].resource.extension[0].extension[0].valueCoding);
    success(await task('return', order, 'VNE51'));
    // The cancellation named one item: that item is cancelled, the rest go back to be dispensed; with the rest cancelled, so is the prescription.
    assert.equal(await statusOf(order), '0001');
    assert.deepEqual(await itemCodesOf(order), ['0005', '0007', '0007', '0007']);
    for (const itemId of itemIdsOf(order).slice(1)) assert.equal(cancellationCode(await cancelItem(order, itemId)), 'R-0001');
    assert.equal(await statusOf(order), '0005');
    const cancelledRelease = await release('FA565', shortFormIdOf(order));
    assert.equal(cancelledRelease.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
  });

  it('a cancellation naming one item cancels just that item (R-0001); release and tracking show each item; the prescription is cancelled only with its last item', async () => {
    const order = await newPrescription();
    const [first, second, third, fourth] = itemIdsOf(order);
    const cancelled = await cancelItem(order, first!);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancellationCode(cancelled), 'R-0001');
    assert.equal(await statusOf(order), '0001', 'the prescription is still to be dispensed');
    assert.deepEqual(await itemCodesOf(order), ['0005', '0007', '0007', '0007']);
    assert.equal(cancellationCode(await cancelItem(order, first!)), 'R-0006', 'that item was already cancelled');
    const unknown = await cancelItem(order, randomUUID());
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.issue[0].details.coding[0].code, 'R-0008');

    // The release hands over each MedicationRequest with its dispense status, as the spec's release example does.
    const released = await release('FA565', shortFormIdOf(order));
    assert.equal(released.status, 200, JSON.stringify(released.body));
    const requests = passed(released).entry[0].resource.entry.filter((e: Json) => e.resource.resourceType === 'MedicationRequest').map((e: Json) => e.resource);
    const expected = example('spec/dispensing/release/acute-primary-example-res.json').parameter[0].resource.entry[0].resource.entry
      .filter((e: Json) => e.resource.resourceType === 'MedicationRequest').map((e: Json) => e.resource);
    const dispensingInformation = (r: Json) => r.extension.find((e: Json) => e.url.endsWith('Extension-EPS-DispensingInformation'));
    assert.deepEqual(dispensingInformation(requests[1]), dispensingInformation(expected[0]), 'an item with the dispenser: 0008');
    assert.deepEqual(dispensingInformation(requests[0]), dispensingInformation(expected[3]), 'the cancelled item: 0005');
    assert.equal(requests[0].status, expected[3].status);
    assert.deepEqual(requests[0].extension.find((e: Json) => e.url.endsWith('PrescriptionStatusHistory')).extension[0], expected[3].extension[1].extension[0]);
    assert.deepEqual(await itemCodesOf(order), ['0005', '0008', '0008', '0008']);

    // With the dispenser, a cancellation of another item is marked (R-0002) and done when the pharmacy returns it.
    assert.equal(cancellationCode(await cancelItem(order, second!)), 'R-0002');
    success(await task('return', order, 'FA565'));
    assert.equal(await statusOf(order), '0001');
    assert.deepEqual(await itemCodesOf(order), ['0005', '0005', '0007', '0007']);
    assert.equal(cancellationCode(await cancelItem(order, third!)), 'R-0001');
    assert.equal(await statusOf(order), '0001');
    assert.equal(cancellationCode(await cancelItem(order, fourth!)), 'R-0001');
    assert.equal(await statusOf(order), '0005', 'cancelled with its last item');
    const { rows } = await rig.spine.ctx.db.query(
      `SELECT event FROM prescriptions.history WHERE short_form_id = $1 ORDER BY seq`, [shortFormIdOf(order)]);
    assert.deepEqual(rows.map((r) => r.event), ['created', 'item-cancelled', 'released', 'cancellation-requested', 'returned', 'item-cancelled', 'cancelled']);
  });

  it('a cancelled item stays cancelled: a dispense notification reporting it supplied is PRESCRIPTION_INVALID_STATE_TRANSITION and changes nothing', async () => {
    const order = await newPrescription();
    const [first] = itemIdsOf(order);
    assert.equal(cancellationCode(await cancelItem(order, first!)), 'R-0001');
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    assert.deepEqual(await itemCodesOf(order), ['0005', '0008', '0008', '0008']);
    const reopened = await dispense(order, 'FA565', '0006', false, ['0001', '0001', '0001', '0001']);
    assert.equal(reopened.status, 400, JSON.stringify(reopened.body));
    assert.equal(reopened.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
    assert.equal(reopened.body.issue[0].diagnostics, `Item ${first} is 'Item cancelled' and cannot be reported 'Item fully dispensed'.`);
    assert.equal(await statusOf(order), '0002');
    assert.deepEqual(await itemCodesOf(order), ['0005', '0008', '0008', '0008']);
    // Reported as cancelled, with the others supplied: dispensed, the cancellation kept.
    success(await dispense(order, 'FA565', '0006', false, ['0005', '0001', '0001', '0001']));
    assert.equal(await statusOf(order), '0006');
    assert.deepEqual(await itemCodesOf(order), ['0005', '0001', '0001', '0001']);
    // Nor is it paid for as supplied: the spec's claim example says the first line's item was fully dispensed.
    const paid = await claim(order, 'FA565');
    assert.equal(paid.status, 400, JSON.stringify(paid.body));
    assert.equal(paid.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION');
    assert.equal(paid.body.issue[0].diagnostics, `Item ${first} is 'Item cancelled' and cannot be claimed as 'Item fully dispensed'.`);
    assert.equal(await statusOf(order), '0006', 'not claimed');
    // Nor with a second line for the item saying it was cancelled (the last line's status alone was checked, and the first paid).
    const twice = await claim(order, 'FA565', false, undefined, undefined, undefined, (body) => {
      const line = structuredClone(body.item[0].detail[0]);
      line.modifier[0].coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', code: '0005', display: 'Item cancelled' };
      body.item[0].detail.push(line);
    });
    assert.equal(twice.status, 400, JSON.stringify(twice.body));
    assert.equal(twice.body.issue[0].diagnostics, `Item ${first} is 'Item cancelled' and cannot be claimed as 'Item fully dispensed'.`);
    assert.equal(await statusOf(order), '0006', 'not claimed');
    // Nor with the line naming its item by a system that is not quite the item number's (it was taken as naming nothing).
    const unnamed = await claim(order, 'FA565', false, undefined, undefined, undefined, (body) => {
      const reference = body.item[0].detail[0].extension.find((e: Json) => e.url.endsWith('ClaimMedicationRequestReference'));
      reference.valueReference.identifier.system = 'https://fhir.nhs.uk/Id/prescription-order-item-number ';
    });
    assert.equal(unnamed.status, 400, JSON.stringify(unnamed.body));
    assert.deepEqual(unnamed.body.issue[0].details.coding.map((c: Json) => c.code), ['MISSING_VALUE']);
    assert.equal(unnamed.body.issue[0].diagnostics, 'Claim line 1 (Claim.item.detail) does not name its item by its prescription-order-item-number.');
    assert.equal(await statusOf(order), '0006', 'not claimed');
    success(await claim(order, 'FA565', false, undefined, undefined, undefined, (body) => {
      body.item[0].detail[0].modifier[0].coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', code: '0005', display: 'Item cancelled' };
      delete body.item[0].detail[0].subDetail; // none of it dispensed, none claimed (as the example's cancelled fourth line)
    }));
    assert.equal(await statusOf(order), '0008', 'claimed, its cancelled item claimed as cancelled');
  });

  it('each item takes the status of its MedicationDispense; a business status its items contradict is INVALID_VALUE; 0007 is the whole prescription\'s', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    // The message says dispensed (0006), but one item is part-supplied and one owed: refused, as the spec's other value conflicts, and nothing changes.
    const contradicted = await dispense(order, 'FA565', '0006', false, ['0001', '0003', '0004', '0002']);
    assert.equal(contradicted.status, 400);
    assert.deepEqual(contradicted.body.issue, [{
      severity: 'error', code: 'invalid', details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode', code: 'INVALID_VALUE' }] },
      diagnostics: `Task business status 0006 (Dispensed) contradicts the items: item ${itemIdsOf(order)[1]} is 'Item dispensed - partial', item ${itemIdsOf(order)[2]} is 'Item not dispensed owing'.`,
      expression: ['MedicationDispense.extension:taskBusinessStatus'],
    }]);
    assert.equal(await statusOf(order), '0002');
    assert.deepEqual(await itemCodesOf(order), ['0008', '0008', '0008', '0008']);
    // As 0003 (with dispenser - active) the same items are taken.
    success(await dispense(order, 'FA565', '0003', false, ['0001', '0003', '0004', '0002']));
    assert.equal(await statusOf(order), '0003');
    assert.deepEqual(await itemCodesOf(order), ['0001', '0003', '0004', '0002']);
    const early = await claim(order, 'FA565');
    assert.equal(early.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION', 'not yet claimable');
    success(await dispense(order, 'FA565', '0006', false, ['0001', '0001', '0001', '0002']));
    assert.equal(await statusOf(order), '0006');
    assert.deepEqual(await itemCodesOf(order), ['0001', '0001', '0001', '0002']);
    // A withdrawal takes back the last notification and its item statuses.
    success(await task('withdraw', order, 'FA565'));
    assert.equal(await statusOf(order), '0003');
    assert.deepEqual(await itemCodesOf(order), ['0001', '0003', '0004', '0002']);
    // Nothing dispensed of any item: not dispensed (0007).
    const none = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(none))).status, 200);
    // Not dispensed (0007) speaks for the prescription: its items are not dispensed whatever types it gives (the spec's acute-primary-example-05).
    success(await dispense(none, 'FA565', '0007', false, ['0001', '0001', '0002', '0004']));
    assert.equal(await statusOf(none), '0007');
    assert.deepEqual(await itemCodesOf(none), ['0002', '0002', '0002', '0002']);
    const badType = notification(order, 'FA565', '0006');
    badType.entry.find((e: Json) => e.resource.resourceType === 'MedicationDispense').resource.type.coding[0].code = '0099';
    const refused = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), badType);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.match(refused.body.issue[0].diagnostics, /MedicationDispense.type '0099'/);
    // One item supplied in two MedicationDispenses (two packs, as the spec's acute-primary-example-05):
    // taken in one status, refused in two, naming the second, and nothing changes.
    const packs = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(packs))).status, 200);
    const twoPacks = (secondType: string) => {
      const body = notification(packs, 'FA565', '0003', false, ['0003', '0003', '0004', '0002']);
      const first = body.entry.find((e: Json) => e.resource.resourceType === 'MedicationDispense');
      const second = structuredClone(first);
      second.fullUrl = `urn:uuid:${second.resource.id = randomUUID()}`;
      second.resource.type.coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', ...ITEM_TYPES[secondType] };
      body.entry.push(second);
      return body;
    };
    const contradicting = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), twoPacks('0001'));
    assert.equal(contradicting.status, 400, JSON.stringify(contradicting.body));
    assert.equal(contradicting.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.deepEqual(contradicting.body.issue[0].expression, ['Bundle.entry.resource.ofType(MedicationDispense)[4].type.coding.code']);
    assert.match(contradicting.body.issue[0].diagnostics, /^Line item \S+ is given two statuses, 'Item dispensed - partial' and 'Item fully dispensed'/);
    assert.deepEqual(await itemCodesOf(packs), ['0008', '0008', '0008', '0008']);
    success(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), twoPacks('0003')));
    assert.deepEqual(await itemCodesOf(packs), ['0003', '0003', '0004', '0002']);
  });

  it('a dispense notification or claim naming an item the prescription does not have is ITEM_NOT_FOUND (400 not-found) and changes nothing', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const stranger = randomUUID();
    const body = notification(order, 'FA565', '0003');
    body.entry.filter((e: Json) => e.resource.resourceType === 'MedicationDispense')[1].resource.contained
      .find((c: Json) => c.resourceType === 'MedicationRequest').identifier[0].value = stranger;
    const refused = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), body);
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.deepEqual(refused.body.issue, [{
      severity: 'error', code: 'not-found', diagnostics: `The prescription has no item ${stranger}.`, expression: ['MedicationDispense.authorizingPrescription'],
      details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'ITEM_NOT_FOUND', display: 'The requested item could not be found.' }] },
    }]);
    assert.equal(await statusOf(order), '0002');
    assert.deepEqual(await itemCodesOf(order), ['0008', '0008', '0008', '0008']);
    // So is a claim for one (the spec lists ITEM_NOT_FOUND for /Claim).
    success(await dispense(order, 'FA565', '0006'));
    const claimBody = structuredClone(example('spec/dispensing/claim/acute-primary-example-req.json'));
    claimBody.prescription.extension[0].extension[0].valueIdentifier.value = shortFormIdOf(order);
    claimBody.patient.identifier.value = nhsNumberOf(order);
    for (const c of claimBody.contained) if (c.resourceType === 'Organization') c.identifier[0].value = 'FA565';
    claimBody.item[0].detail[2].extension.find((e: Json) => e.url.endsWith('ClaimMedicationRequestReference')).valueReference.identifier.value = stranger;
    const claimed = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Claim', await pharmacy('FA565'), claimBody);
    assert.equal(claimed.status, 400, JSON.stringify(claimed.body));
    assert.deepEqual(claimed.body.issue, [{ ...refused.body.issue[0], expression: ['Claim.item.detail.extension("Extension-ClaimMedicationRequestReference")'] }]);
    assert.equal(await statusOf(order), '0006');
  });
});
