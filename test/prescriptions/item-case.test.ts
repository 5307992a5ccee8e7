import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ACUTE, call, example, freshOrder, itemIdsOf, nhsNumberOf, shortFormIdOf, type Json } from './support.js';
import { dispensingRig, issueCodeOf } from './dispensing-flow.js';

/**
 * An item's id (prescription-order-item-number, a UUID) names it in either case, as EPS reads it (it
 * upper-cases the id it gives Spine): over HTTP on PostgreSQL, as deployed.
 */
describe('EPS items named in the other case', () => {
  const rig = dispensingRig();
  const upper = (id: string) => id.toUpperCase();
  const cancel = async (order: Json, itemId: string) => {
    const body = structuredClone(example(`${ACUTE}cancellations/2-Process-Request-Cancel-200_OK.json`));
    for (const { resource } of body.entry) {
      if (resource.resourceType === 'MedicationRequest') { resource.groupIdentifier.value = shortFormIdOf(order); resource.identifier[0].value = itemId; }
      if (resource.resourceType === 'Patient') resource.identifier[0].value = nhsNumberOf(order);
    }
    return call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', await rig.flow.worker('A83008'), body);
  };
  const cancellationCode = (r: { body: Json }) =>
    r.body.entry?.find((e: Json) => e.resource.resourceType === 'MedicationRequest')?.resource.extension[0].extension[0].valueCoding.code;
  const itemsInUpperCase = (body: Json) => {
    for (const { resource } of body.entry) {
      if (resource.resourceType !== 'MedicationDispense') continue;
      for (const c of resource.contained) if (c.resourceType === 'MedicationRequest') c.identifier[0].value = upper(c.identifier[0].value);
    }
  };
  const claimedInUpperCase = (body: Json) => {
    for (const detail of body.item[0].detail) {
      for (const e of detail.extension) if (e.url.endsWith('ClaimMedicationRequestReference')) e.valueReference.identifier.value = upper(e.valueReference.identifier.value);
    }
  };

  it('a cancellation, dispense notification and claim naming the order\'s items in upper case act on those items, held to the same rules', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    const [first, , third] = itemIdsOf(order) as [string, string, string];
    assert.equal(first, first.toLowerCase(), "the example's item ids are lower case");
    const cancelled = await cancel(order, upper(first));
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancellationCode(cancelled), 'R-0001');
    assert.equal(cancellationCode(await cancel(order, first)), 'R-0006', 'already cancelled: the same item');
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    assert.deepEqual(rig.flow.itemCodes(await rig.flow.track('FA565', order), itemIdsOf(order)), ['0005', '0008', '0008', '0008']);
    // The cancelled item is still not reported supplied, however it is named.
    const reopened = await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], itemsInUpperCase);
    assert.equal(issueCodeOf(reopened), 'PRESCRIPTION_INVALID_STATE_TRANSITION', JSON.stringify(reopened.body));
    assert.equal(reopened.body.issue[0].diagnostics, `Item ${first} is 'Item cancelled' and cannot be reported 'Item fully dispensed'.`);
    const dispensed = await rig.flow.dispense('FA565', order, '0006', ['0005', '0001', '0002', '0001'], itemsInUpperCase);
    assert.equal(dispensed.status, 200, JSON.stringify(dispensed.body));
    assert.deepEqual(rig.flow.itemCodes(await rig.flow.track('FA565', order), itemIdsOf(order)), ['0005', '0001', '0002', '0001']);
    // The claim's lines are held to what was recorded of each item: the third was not dispensed.
    const paid = await rig.flow.claim('FA565', order, { firstLine: '0005', change: claimedInUpperCase });
    assert.equal(issueCodeOf(paid), 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION', JSON.stringify(paid.body));
    assert.equal(paid.body.issue[0].diagnostics, `Item ${third} is 'Item not dispensed' and cannot be claimed as 'Item fully dispensed'.`);
    const claimed = await rig.flow.claim('FA565', order, { firstLine: '0005', change: (body) => {
      claimedInUpperCase(body);
      body.item[0].detail[2].modifier[0].coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', code: '0002', display: 'Item not dispensed' };
      delete body.item[0].detail[2].subDetail; // none of it dispensed, none claimed
    } });
    assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0008']]);
  });

  it('one item named twice, in either case, with two statuses is refused as an item given two statuses', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    const refused = await rig.flow.dispense('FA565', order, '0003', ['0001', '0003', '0004', '0002'], (body) => {
      const dispenses = body.entry.filter((e: Json) => e.resource.resourceType === 'MedicationDispense').map((e: Json) => e.resource);
      const second = structuredClone(dispenses[0]);
      const request = second.contained.find((c: Json) => c.resourceType === 'MedicationRequest');
      request.identifier[0].value = upper(request.identifier[0].value);
      second.type.coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', code: '0003', display: 'Item dispensed - partial' };
      body.entry.push({ fullUrl: 'urn:uuid:0b6b5b3e-6f7d-4a55-9d1e-0c2f5c0e8a11', resource: second });
    });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.match(refused.body.issue[0].diagnostics, /^Line item \S+ is given two statuses, 'Item fully dispensed' and 'Item dispensed - partial'/);
    assert.deepEqual(rig.flow.itemCodes(await rig.flow.track('FA565', order), itemIdsOf(order)), ['0008', '0008', '0008', '0008']);
  });
});
