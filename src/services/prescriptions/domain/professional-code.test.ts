import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PROFESSIONAL_CODE_DIAGNOSTICS, PROFESSIONAL_CODE_SYSTEMS, professionalCodeCount, professionalCodeProblem } from './professional-code.js';
import type { Entry, Json } from './fhir.js';

const PROFESSIONAL = [...PROFESSIONAL_CODE_SYSTEMS];
/** Identifiers a Practitioner carries that are not professional codes (the GMP number among them, the table's invalid one). */
const OTHER = ['https://fhir.hl7.org.uk/Id/gmp-number', 'https://fhir.nhs.uk/Id/sds-user-id', 'https://fhir.nhs.uk/Id/sds-job-role-id',
  'https://fhir.nhs.uk/Id/sds-role-profile-id', 'https://fhir.hl7.org.uk/Id/din-number', 'https://fhir.hl7.org.uk/Id/nhsbsa-spurious-code'];
const value = fc.stringMatching(/^[A-Z0-9]{1,10}$/);
const professional = fc.record({ system: fc.constantFrom(...PROFESSIONAL), value });
const other = fc.record({ system: fc.oneof(fc.constantFrom(...OTHER), fc.webUrl()), value })
  .filter((i) => !PROFESSIONAL_CODE_SYSTEMS.has(i.system));
const practitioner = (identifier: unknown[]): Json => ({ resourceType: 'Practitioner', identifier });
const bundleOf = (...practitioners: Json[]): Entry[] => [
  { resource: { resourceType: 'MessageHeader' } },
  ...practitioners.map((resource) => ({ resource })),
  { resource: { resourceType: 'PractitionerRole', identifier: [] } },
];
const refused = { diagnostics: PROFESSIONAL_CODE_DIAGNOSTICS, expression: 'Bundle.entry.resource.ofType(Practitioner).identifier' };

describe('EPS $prepare: exactly one professional code on every Practitioner', () => {
  it('the diagnostics are the spec table\'s, word for word', () => {
    assert.equal(PROFESSIONAL_CODE_DIAGNOSTICS, 'Bundle resource Practitioner.identifier expected exactly one professional code from GMC/NMC/GPhC/HCPC/professional-code.');
    assert.deepEqual(PROFESSIONAL.map((s) => s.split('/').pop()), ['gmc-number', 'nmc-number', 'gphc-number', 'hcpc-number', 'professional-code']);
  });

  it('one professional code among any other identifiers, in any order, passes', () => {
    fc.assert(fc.property(professional, fc.array(other, { maxLength: 5 }), fc.nat(), (code, others, at) => {
      const identifiers = [...others];
      identifiers.splice(at % (others.length + 1), 0, code);
      assert.equal(professionalCodeCount(practitioner(identifiers)), 1);
      assert.equal(professionalCodeProblem(bundleOf(practitioner(identifiers))), undefined);
    }));
  });

  it('none (a GMP number, SDS ids, a DIN number alone) or two or more is refused, on any Practitioner of the Bundle', () => {
    fc.assert(fc.property(fc.array(professional, { maxLength: 4 }).filter((codes) => codes.length !== 1), fc.array(other, { maxLength: 5 }),
      professional, fc.boolean(), (codes, others, good, first) => {
        const wrong = practitioner([...others, ...codes]);
        const ok = practitioner([good]);
        assert.deepEqual(professionalCodeProblem(bundleOf(...(first ? [wrong, ok] : [ok, wrong]))), refused);
      }));
  });

  it('a GMP number is never counted: with one professional code it passes, without one it is refused', () => {
    fc.assert(fc.property(value, professional, (gmp, code) => {
      const gmpNumber = { system: 'https://fhir.hl7.org.uk/Id/gmp-number', value: gmp };
      assert.deepEqual(professionalCodeProblem(bundleOf(practitioner([gmpNumber]))), refused);
      assert.equal(professionalCodeProblem(bundleOf(practitioner([gmpNumber, code]))), undefined);
    }));
  });

  it('a professional system without a value is no code; whatever the identifiers hold, the count is a number and nothing throws', () => {
    assert.deepEqual(professionalCodeProblem(bundleOf(practitioner([{ system: PROFESSIONAL[0] }]))), refused);
    assert.deepEqual(professionalCodeProblem(bundleOf(practitioner([{ system: PROFESSIONAL[0], value: '' }]))), refused);
    fc.assert(fc.property(fc.anything(), (identifier) => {
      const count = professionalCodeCount({ resourceType: 'Practitioner', identifier });
      assert.ok(Number.isInteger(count) && count >= 0);
      professionalCodeProblem(bundleOf({ resourceType: 'Practitioner', identifier } as Json));
    }));
  });

  it('a Bundle without a Practitioner has nothing to refuse', () => {
    assert.equal(professionalCodeProblem(bundleOf()), undefined);
  });
});
