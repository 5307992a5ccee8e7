import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { example, freshOrder, shortFormIdOf, type Json } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/**
 * A claim's repeat counts (Extension-EPS-RepeatInformation, domain/claim-repeat.ts) against the prescription:
 * MISMATCH_AUTHORISED_REPEAT_COUNTS for an acute prescription claimed as another issue than 1 of 1, and for
 * counts given where DispenseClaim.yaml puts them (each line's extension), not only on the item.
 */
describe('EPS claims: the repeat counts', () => {
  const rig = dispensingRig();
  const { repeatOrder, newPrescription, release, dispense, claim, statusOf, success } = dispensingSteps(rig);
  const IN_A_YEAR = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString();
  const MISMATCH = [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'MISMATCH_AUTHORISED_REPEAT_COUNTS',
    display: 'The repeat count in this message does not match the repeat count in the original prescription.' }];
  const dispensed = async (order: Json) => {
    await newPrescription('FA565', order);
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0006'));
    return order;
  };
  /** The claim's repeat information moved from the item to each line, where the schema puts it. */
  const onEachLine = (body: Json) => {
    const index = body.item[0].extension.findIndex((e: Json) => e.url.endsWith('Extension-EPS-RepeatInformation'));
    const [repeat] = body.item[0].extension.splice(index, 1);
    for (const line of body.item[0].detail) line.extension.push(structuredClone(repeat));
  };

  it('an acute prescription claimed as issue 6 of 7 is 400 MISMATCH_AUTHORISED_REPEAT_COUNTS (on the item or on its lines), and stays dispensed; as 1 of 1 it is claimed', async () => {
    const order = await dispensed(freshOrder({ pharmacy: 'FA565' }));
    for (const change of [undefined, onEachLine]) {
      const refused = await claim(order, 'FA565', false, undefined, 6, 6, change);
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.issue[0].code, 'business-rule');
      assert.deepEqual(refused.body.issue[0].details.coding, MISMATCH);
      assert.equal(refused.body.issue[0].diagnostics, 'The claim says issue 6 of 7 issues (Extension-EPS-RepeatInformation); the prescription is acute, issued once (1 of 1).');
    }
    const laterIssue = await claim(order, 'FA565', false, undefined, 2, 0);
    assert.deepEqual(laterIssue.body.issue[0].details.coding, MISMATCH, 'issue 2 of 1');
    assert.equal(await statusOf(order), '0006');
    success(await claim(order, 'FA565', false, undefined, 1, 0));
    assert.equal(await statusOf(order), '0008');
  });

  it('an order mixing acute and repeat (continuous) items is acute whichever item comes first: claimed as issue 2 it is a mismatch, as 1 of 1 it is claimed', async () => {
    // The spec's acute-and-repeat order converts to an acute prescription (treatment type 0001, no
    // repeat number: its 1-Convert-Response-Send-200_OK.xml); here its repeat item is listed first.
    const mixed = example('primary-care/acute-and-repeat-prescribing/1-Prepare-Request-200_OK.json');
    const repeatItem = mixed.entry.map((e: Json) => e.resource).find((r: Json) => r.resourceType === 'MedicationRequest' && r.courseOfTherapyType.coding[0].code === 'continuous');
    for (const first of [true, false]) {
      const order = freshOrder({ pharmacy: 'FA565' });
      const items = order.entry.map((e: Json) => e.resource).filter((r: Json) => r.resourceType === 'MedicationRequest');
      const item = first ? items[0] : items.at(-1);
      for (const field of ['courseOfTherapyType', 'intent', 'extension']) item[field] = structuredClone(repeatItem[field]);
      await dispensed(order);
      const refused = await claim(order, 'FA565', false, undefined, 2, 0);
      assert.equal(refused.status, 400, `repeat item ${first ? 'first' : 'last'}: ${JSON.stringify(refused.body)}`);
      assert.deepEqual(refused.body.issue[0].details.coding, MISMATCH);
      assert.equal(refused.body.issue[0].diagnostics, 'The claim says issue 2 of 1 issues (Extension-EPS-RepeatInformation); the prescription is acute, issued once (1 of 1).');
      success(await claim(order, 'FA565', false, undefined, 1, 0));
      assert.equal(await statusOf(order), '0008');
    }
  });

  it("a repeat-dispensing claim's counts are read from its lines too: 6 issues given there, against the prescription's 3, is a mismatch", async () => {
    const order = await dispensed(repeatOrder(3, IN_A_YEAR));
    const refused = await claim(order, 'FA565', false, undefined, 1, 5, onEachLine);
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.deepEqual(refused.body.issue[0].details.coding, MISMATCH);
    // The item saying one thing and a line another is refused naming the line's.
    const twoCounts = await claim(order, 'FA565', false, undefined, 1, 2, (body) => {
      body.item[0].detail[0].extension.push({ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-RepeatInformation',
        extension: [{ url: 'numberOfRepeatsAllowed', valueInteger: 5 }, { url: 'numberOfRepeatsIssued', valueInteger: 0 }] });
    });
    assert.equal(twoCounts.status, 400, JSON.stringify(twoCounts.body));
    assert.equal(twoCounts.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.deepEqual(twoCounts.body.issue[0].expression, ['Claim.item.detail.extension("Extension-EPS-RepeatInformation")']);
    success(await claim(order, 'FA565', false, undefined, 1, 2, onEachLine));
  });
});
