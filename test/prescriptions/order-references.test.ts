import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, freshOrder, prescribe, shortFormIdOf, withoutMeta, type Json } from './support.js';
import { dispensingRig } from './dispensing-flow.js';

const NOWHERE = 'urn:uuid:00000000-0000-4000-8000-000000000000';
const resourceOf = (order: Json, type: string): Json => order.entry.find((e: Json) => e.resource.resourceType === type).resource;
const each = (order: Json, type: string, change: (resource: Json) => void) => { for (const e of order.entry) if (e.resource.resourceType === type) change(e.resource); };

/**
 * The spec's verification error (fhir-prescribing.yaml "Errors", 400 `invalid`): "practitionerRole.practitioner
 * populated incorrectly. Please populate with Reference to resource within Bundle.": a reference of the order that names
 * no resource of its type in the Bundle is refused, not read past.
 */
describe('EPS prescribing: an order\'s references name resources of the Bundle', () => {
  const rig = dispensingRig();
  const refused = (name: string, from: string, field: string) => ({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'invalid', diagnostics: `${name} populated incorrectly. Please populate with Reference to resource within Bundle.`, expression: [`Bundle.entry.resource.ofType(${from}).${field}`] }],
  });

  it('a reference naming nothing in the Bundle, or a resource of another type, is 400 invalid naming it', async () => {
    const gp = await rig.flow.worker('A83008');
    const cases: Array<[string, string, string, (order: Json) => void]> = [
      ['medicationRequest.subject', 'MedicationRequest', 'subject', (o) => each(o, 'MedicationRequest', (r) => { r.subject.reference = NOWHERE; })],
      ['medicationRequest.requester', 'MedicationRequest', 'requester', (o) => each(o, 'MedicationRequest', (r) => { r.requester.reference = NOWHERE; })],
      ['medicationRequest.requester', 'MedicationRequest', 'requester', (o) => {
        const patient = o.entry.find((e: Json) => e.resource.resourceType === 'Patient').fullUrl;
        each(o, 'MedicationRequest', (r) => { r.requester.reference = patient; });
      }],
      ['medicationRequest.medicationReference', 'MedicationRequest', 'medicationReference', (o) => each(o, 'MedicationRequest', (r) => { delete r.medicationCodeableConcept; r.medicationReference = { reference: NOWHERE }; })],
      ['practitionerRole.practitioner', 'PractitionerRole', 'practitioner', (o) => { resourceOf(o, 'PractitionerRole').practitioner.reference = NOWHERE; }],
      ['practitionerRole.organization', 'PractitionerRole', 'organization', (o) => { resourceOf(o, 'PractitionerRole').organization.reference = NOWHERE; }],
    ];
    for (const [name, from, field, change] of cases) {
      const order = freshOrder({ pharmacy: 'FA565' });
      change(order);
      const res = await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, order);
      assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(withoutMeta(res.body), refused(name, from, field));
    }
  });

  it('nothing is stored of such an order, and one whose references all resolve is taken', async () => {
    const gp = await rig.flow.worker('A83008');
    const order = freshOrder({ pharmacy: 'FA565' });
    each(order, 'MedicationRequest', (r) => { r.subject.reference = NOWHERE; });
    const sent = await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', gp, order);
    assert.equal(sent.status, 400, JSON.stringify(sent.body));
    const { rows } = await rig.spine.ctx.db.query('SELECT count(*)::int AS n FROM prescriptions.prescriptions WHERE short_form_id = $1', [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 0);
    assert.equal((await prescribe(rig.spine, gp, freshOrder({ pharmacy: 'FA565' }))).status, 200);
  });
});
