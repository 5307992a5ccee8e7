import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, shortFormIdOf, type Json } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/**
 * Which field names the pharmacy a dispensing message is from (domain/dispenser.ts): a notification's
 * MedicationDispense.performer (its PractitionerRole's organization), a claim's provider, a return's or
 * withdrawal's requester; never MessageHeader.sender or Task.owner, which the spec's homecare and
 * community examples fill with other organisations than the pharmacy holding the prescription.
 */
describe("EPS dispensing: the dispenser is the performer's, provider's or requester's organisation", () => {
  const rig = dispensingRig();
  const { pharmacy, newPrescription, release, notification, taskBody, claim, statusOf, success } = dispensingSteps(rig);
  const D = '/fhir-dispensing/FHIR/R4';
  const released = async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    return order;
  };
  const withSender = (body: Json, ods: string) => {
    for (const { resource } of body.entry) if (resource.resourceType === 'MessageHeader') resource.sender.identifier.value = ods;
    return body;
  };
  const codeOf = (r: { body: Json }) => r.body.issue?.[0]?.details?.coding?.[0]?.code;

  it("a notification sent by another organisation (the homecare example's VNCEL) whose performer works for the releasing pharmacy is that pharmacy's: dispensed, withdrawn, returned", async () => {
    const order = await released();
    const body = withSender(notification(order, 'FA565', '0006'), 'VNCEL');
    success(await call(rig.spine, 'POST', `${D}/$process-message`, await pharmacy('FA565'), body));
    assert.equal(await statusOf(order), '0006');
    // A withdrawal and a return whose Task.owner is another organisation (the homecare examples' VN6XW, VNFKT), their requester the pharmacy's.
    const withdrawal = taskBody('withdraw', order, 'FA565');
    withdrawal.owner.identifier.value = 'VN6XW';
    withdrawal.focus.identifier.value = body.identifier.value;
    success(await call(rig.spine, 'POST', `${D}/Task`, await pharmacy('FA565'), withdrawal));
    assert.equal(await statusOf(order), '0002');
    const returned = taskBody('return', order, 'FA565');
    returned.owner = { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'VNFKT' } };
    success(await call(rig.spine, 'POST', `${D}/Task`, await pharmacy('FA565'), returned));
    assert.equal(await statusOf(order), '0001');
  });

  it("a notification from the releasing pharmacy's sender whose performer works for another is that other's: with another dispenser, and the caller's own organisation only", async () => {
    const order = await released();
    const byOther = withSender(notification(order, 'FB111', '0006'), 'FA565');
    const refused = await call(rig.spine, 'POST', `${D}/$process-message`, await pharmacy('FB111'), byOther);
    assert.equal(refused.status, 400, refused.text);
    assert.equal(codeOf(refused), 'PRESCRIPTION_WITH_ANOTHER_DISPENSER');
    const notCallers = await call(rig.spine, 'POST', `${D}/$process-message`, await pharmacy('FA565'), byOther);
    assert.equal(notCallers.status, 403, notCallers.text);
    assert.match(notCallers.body.issue[0].diagnostics, /FB111 is not the caller's organisation \(FA565\)/);
    assert.equal(await statusOf(order), '0002');
  });

  it('a notification whose MedicationDispenses name no dispensing organisation, or two, is refused naming performer, and changes nothing', async () => {
    const order = await released();
    const none = notification(order, 'FA565', '0006');
    for (const { resource } of none.entry) if (resource.resourceType === 'MedicationDispense') delete resource.performer;
    const missing = await call(rig.spine, 'POST', `${D}/$process-message`, await pharmacy('FA565'), none);
    assert.equal(missing.status, 400, missing.text);
    assert.equal(codeOf(missing), 'MISSING_VALUE');
    assert.deepEqual(missing.body.issue[0].expression, ['Bundle.entry.resource.ofType(MedicationDispense)[0].performer']);
    const two = notification(order, 'FA565', '0006');
    const dispenses = two.entry.filter((e: Json) => e.resource.resourceType === 'MedicationDispense').map((e: Json) => e.resource);
    // The last MedicationDispense's PractitionerRole works for another Organization, added to the Bundle.
    two.entry.push({ fullUrl: 'urn:uuid:0d5b1d2e-55d5-4d7a-9d5b-6f1a2b3c4d5e', resource: { resourceType: 'Organization', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'FB111' }], name: 'Another pharmacy' } });
    dispenses.at(-1).contained.find((c: Json) => c.resourceType === 'PractitionerRole').organization = { reference: 'urn:uuid:0d5b1d2e-55d5-4d7a-9d5b-6f1a2b3c4d5e' };
    const mixed = await call(rig.spine, 'POST', `${D}/$process-message`, await pharmacy('FA565'), two);
    assert.equal(mixed.status, 400, mixed.text);
    assert.equal(mixed.body.issue[0].code, 'value');
    assert.equal(mixed.body.issue[0].diagnostics, 'Expected all MedicationDispenses to have the same value for performer.');
    assert.equal(await statusOf(order), '0002');
  });

  it("a claim is its provider's organisation, not the first Organization it contains", async () => {
    const order = await released();
    success(await call(rig.spine, 'POST', `${D}/$process-message`, await pharmacy('FA565'), notification(order, 'FA565', '0006')));
    const claimed = await claim(order, 'FA565', false, undefined, undefined, 2, (body) => {
      body.contained.unshift({ resourceType: 'Organization', id: 'other', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'VNFKT' }], name: 'Not the dispenser' });
    });
    success(claimed);
    assert.equal(await statusOf(order), '0008');
    const unnamed = await claim(await released(), 'FA565', false, undefined, undefined, 2, (body) => { delete body.provider; });
    assert.equal(unnamed.status, 400, JSON.stringify(unnamed.body));
    assert.equal(codeOf(unnamed), 'MISSING_VALUE');
    assert.deepEqual(unnamed.body.issue[0].expression, ['Claim.provider']);
  });
});
