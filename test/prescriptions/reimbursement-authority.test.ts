import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, shortFormIdOf, withoutMeta, type Json } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/**
 * A dispense notification's reimbursement authority (the dispensing Organization's
 * Extension-ODS-OrganisationRelationships `reimbursementAuthority`, ODSOrganisationRelationships.yaml: "the
 * reimbursement authority that a notification needs to be sent to", NHSBSA T1450 in England): both specs'
 * verification errors refuse a notification without it (400 `invalid`), or without its ODS code, in their words.
 * Every one of the spec's 20 notifications gives it.
 */
describe('EPS dispense notifications: the reimbursement authority', () => {
  const rig = dispensingRig();
  const { newPrescription, release, notification, pharmacy, statusOf, success } = dispensingSteps(rig);
  const RELATIONSHIPS = 'https://fhir.nhs.uk/StructureDefinition/Extension-ODS-OrganisationRelationships';
  const organisationOf = (body: Json) => body.entry.map((e: Json) => e.resource).find((r: Json) => r.resourceType === 'Organization');
  const send = async (body: Json) => call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), body);
  const refused = (answer: { status: number; body: Json; text: string }, diagnostics: string, expression: string) => {
    assert.equal(answer.status, 400, answer.text);
    assert.deepEqual(withoutMeta(answer.body), { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics, expression: [expression] }] });
  };

  it('a notification whose dispensing organisation gives no reimbursement authority, or none with an ODS code, is 400 invalid in the spec\'s words and changes nothing; with it, it is recorded', async () => {
    const order = await newPrescription('FA565');
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const without = notification(order, 'FA565', '0006');
    const organisation = organisationOf(without);
    assert.deepEqual(organisation.extension.map((e: Json) => e.url), [RELATIONSHIPS], 'the example gives it');
    organisation.extension = [];
    refused(await send(without), 'The dispense notification is missing the reimbursement authority and it should be provided.',
      'Bundle.entry.resource.ofType(Organization).extension("Extension-ODS-OrganisationRelationships")');
    for (const change of [(e: Json) => { e.extension = []; }, (e: Json) => { delete e.extension[0].valueIdentifier.value; }, (e: Json) => { e.extension[0].valueIdentifier.value = ''; }]) {
      const body = notification(order, 'FA565', '0006');
      change(organisationOf(body).extension[0]);
      refused(await send(body), 'The dispense notification is missing the ODS code for the reimbursement authority and it should be provided.',
        'Bundle.entry.resource.ofType(Organization).extension("Extension-ODS-OrganisationRelationships").extension("reimbursementAuthority")');
    }
    assert.equal(await statusOf(order), '0002', 'still with the dispenser, nothing dispensed');
    success(await send(notification(order, 'FA565', '0006')));
    assert.equal(await statusOf(order), '0006');
  });
});
