import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, example, itemIdsOf, nhsNumberOf, shortFormIdOf, ACUTE, type Json } from './support.js';
import { dispensingRig, issueCodeOf } from './dispensing-flow.js';

/** What of one repeat-dispensing issue carries to the next: over HTTP on PostgreSQL, as deployed (not sandbox). */
describe('EPS repeat dispensing: from issue to issue', () => {
  const rig = dispensingRig();

  const cancelItem = async (order: Json, itemId: string) => {
    const cancel = structuredClone(example(`${ACUTE}cancellations/2-Process-Request-Cancel-200_OK.json`));
    for (const { resource } of cancel.entry) {
      if (resource.resourceType === 'MedicationRequest') { resource.groupIdentifier.value = shortFormIdOf(order); resource.identifier[0].value = itemId; }
      if (resource.resourceType === 'Patient') resource.identifier[0].value = nhsNumberOf(order);
    }
    return call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', await rig.flow.worker('A83008'), cancel);
  };

  it("an item the dispenser reported cancelled is that issue's alone: the next issue dispenses it; one the prescriber cancelled stays cancelled", async () => {
    const order = await rig.flow.prescribed(rig.flow.repeatOrder(3));
    const items = itemIdsOf(order);
    const cancelled = await cancelItem(order, items[1]!);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    // Issue 1: the dispenser reports item 1 cancelled (0005), item 2 as the prescriber cancelled it, the rest supplied.
    const first = await rig.flow.dispense('FA565', order, '0006', ['0005', '0005', '0001', '0001']);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const tracked = await rig.flow.track('FA565', order);
    assert.deepEqual(rig.flow.issuesIn(tracked), [[1, '0006'], [2, '0001']]);
    assert.deepEqual(rig.flow.itemCodes(tracked, items), ['0007', '0005', '0007', '0007'], 'issue 2: item 1 to be dispensed again, item 2 still cancelled by the prescriber');

    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    const second = await rig.flow.dispense('FA565', order, '0006', ['0001', '0005', '0001', '0001']);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0006'], [2, '0006'], [3, '0001']]);
    // The prescriber's cancellation still holds in issue 3: it may not be reported supplied.
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    const third = await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001']);
    assert.equal(third.status, 400, JSON.stringify(third.body));
    assert.equal(issueCodeOf(third), 'PRESCRIPTION_INVALID_STATE_TRANSITION');
  });
});
