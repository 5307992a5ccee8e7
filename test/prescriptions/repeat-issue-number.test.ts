import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, freshOrder, withoutMeta, type Json } from './support.js';
import { dispensingRig } from './dispensing-flow.js';

const UKCORE_REPEAT_INFORMATION = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationRepeatInformation';
const ISSUE_NUMBER = 'Bundle.entry.resource.ofType(MedicationRequest).extension("Extension-UKCore-MedicationRepeatInformation").numberOfPrescriptionsIssued';

/**
 * A repeat order's intent and the issue its repeat information says it is (MedicationRequest.yaml:
 * 'original-order' for the first issue, 'instance-order' for subsequent ones; numberOfPrescriptionsIssued
 * is the current issue): over HTTP on PostgreSQL, as deployed.
 */
describe('EPS prescribing: a repeat order is the issue it says it is', () => {
  const rig = dispensingRig();

  /** The acute example made repeat prescribing, each item of `intent` and giving `issued` as numberOfPrescriptionsIssued (none when undefined). */
  const orderOf = (intent: string, issued?: unknown) => {
    const order = freshOrder({ pharmacy: 'FA565' });
    for (const { resource } of order.entry as Json[]) {
      if (resource.resourceType !== 'MedicationRequest') continue;
      resource.intent = intent;
      resource.courseOfTherapyType.coding = [{ system: 'https://fhir.nhs.uk/CodeSystem/medicationrequest-course-of-therapy', code: 'continuous', display: 'Continuous long term therapy' }];
      resource.extension = [...(resource.extension ?? []), { url: UKCORE_REPEAT_INFORMATION, extension: [
        ...(issued === undefined ? [] : [{ url: 'numberOfPrescriptionsIssued', valueUnsignedInt: issued }]),
        { url: 'authorisationExpiryDate', valueDateTime: '2027-04-07' },
      ] }];
    }
    return order;
  };

  const refused = async (order: Json, diagnostics: string) => {
    for (const path of ['$prepare', '$process-message']) {
      const answer = await call(rig.spine, 'POST', `/fhir-prescribing/FHIR/R4/${path}`, await rig.flow.worker('A83008'), order);
      assert.equal(answer.status, 400, `${path} ${diagnostics}: ${answer.text}`);
      assert.deepEqual(withoutMeta(answer.body), { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'value', diagnostics, expression: [ISSUE_NUMBER] }] }, path);
    }
  };

  it("an 'original-order' must be issue 1 and an 'instance-order' issue 2 or later, where the order says which; 400 otherwise", async () => {
    await refused(orderOf('original-order', 2), "MedicationRequest.intent 'original-order' is a prescription's first issue: numberOfPrescriptionsIssued must be 1. Received 2.");
    await refused(orderOf('instance-order', 1), "MedicationRequest.intent 'instance-order' is a later issue: numberOfPrescriptionsIssued must be 2 or more. Received 1.");
    await refused(orderOf('instance-order', 0), "MedicationRequest.intent 'instance-order' is a later issue: numberOfPrescriptionsIssued must be 2 or more. Received 0.");
    await refused(orderOf('original-order', 1.5), 'numberOfPrescriptionsIssued must be a whole number (valueUnsignedInt). Received 1.5.');
  });

  it('an order whose intent and issue agree, or that does not say its issue, is taken', async () => {
    for (const order of [orderOf('original-order', 1), orderOf('instance-order', 2), orderOf('instance-order', 12), orderOf('instance-order'), orderOf('original-order')]) {
      await rig.flow.prescribed(order);
    }
  });
});
