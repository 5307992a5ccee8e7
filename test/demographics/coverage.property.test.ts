import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SpineError } from '../../src/platform/http/errors.js';
import { compileSchema } from '../../src/platform/http/validation.js';
import { coverageSchema } from '../../src/services/demographics/coverage-schemas.js';
import { coverageFor, type CoverageBody } from '../../src/services/demographics/domain/coverage.js';
import { SUBSCRIBER_IDENTIFIER, parseCoverageSearch } from '../../src/services/demographics/search/coverage-search-params.js';
import { droppedTelecoms } from '../../src/services/demographics/store/patient-rows.js';
import type { Patient } from '../../src/services/demographics/fhir-types.js';

const outcome = (fn: () => unknown) => {
  try {
    return { value: fn() };
  } catch (err) {
    assert.ok(err instanceof SpineError, String(err));
    return { code: err.spec.code, diagnostics: err.diagnostics };
  }
};

describe('Coverage search parameters (properties)', () => {
  it('subscriber:identifier alone, once, non-empty, gives its value; any other query is INVALID_SEARCH_DATA', () => {
    const key = fc.oneof(fc.constant(SUBSCRIBER_IDENTIFIER), fc.constantFrom('year', 'identifier', '_history', 'subscriber'), fc.string({ maxLength: 10 }));
    const value = fc.oneof(fc.string({ maxLength: 12 }), fc.array(fc.string({ maxLength: 12 }), { minLength: 2, maxLength: 3 }));
    fc.assert(fc.property(fc.dictionary(key, value), (query) => {
      const named = Object.keys(query).filter((k) => k !== '');
      const sent = query[SUBSCRIBER_IDENTIFIER];
      const valid = named.length === 1 && named[0] === SUBSCRIBER_IDENTIFIER && typeof sent === 'string' && sent.length > 0;
      const result = outcome(() => parseCoverageSearch(query));
      if (valid) assert.deepEqual(result, { value: sent });
      else assert.equal(result.code, 'INVALID_SEARCH_DATA');
    }), { numRuns: 500 });
  });
});

// Values the Coverage.yaml patterns accept.
const idText = (max: number) => fc.stringMatching(new RegExp(`^[a-zA-Z0-9\\-,/:'. ]{1,${max}}$`));
const validBody = fc.record({
  status: fc.constant('active' as const),
  subscriber: fc.record({ identifier: fc.record({ system: fc.constant('https://fhir.nhs.uk/Id/nhs-number'), value: fc.stringMatching(/^[0-9]{10}$/) }) }),
  identifier: fc.tuple(fc.record({
    value: idText(25),
    assigner: fc.record({ identifier: fc.record({ system: fc.constant('urn:iso:std:iso:3166'), value: fc.stringMatching(/^[A-Z]{3}$/) }), display: fc.string({ maxLength: 10 }) }, { requiredKeys: ['identifier'] }),
  })),
  payor: fc.tuple(fc.record({ identifier: fc.record({ value: idText(30) }) })),
  beneficiary: fc.record({ identifier: fc.record({ value: idText(25) }), type: fc.constantFrom('Patient', 'Organization', 7) }, { requiredKeys: ['identifier'] }),
  period: fc.record({ end: fc.date({ min: new Date('1900-01-01'), max: new Date('2150-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)) }),
});
const extraFields = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !['status', 'subscriber', 'identifier', 'payor', 'beneficiary', 'period', 'resourceType', '__proto__'].includes(k)), fc.jsonValue(), { maxKeys: 3 });

describe('the Coverage PDS stores (properties)', () => {
  const conforms = compileSchema(coverageSchema, 'body');

  it('any body that passes Coverage.yaml is stored as a conforming Coverage of the holder, with its values and no other fields', () => {
    fc.assert(fc.property(validBody, extraFields, fc.stringMatching(/^[0-9]{10}$/), (generated, extra, holder) => {
      // As it arrives over HTTP: plain JSON.
      const body = JSON.parse(JSON.stringify(generated)) as typeof generated;
      const sent = JSON.parse(JSON.stringify({ ...extra, ...body })) as CoverageBody;
      assert.ok(conforms(sent), JSON.stringify(conforms.errors));
      const stored = coverageFor(sent, holder);
      assert.ok(conforms(stored), JSON.stringify(conforms.errors));
      assert.deepEqual(Object.keys(stored), ['resourceType', 'status', 'subscriber', 'identifier', 'payor', 'beneficiary', 'period']);
      assert.deepEqual(stored.subscriber.identifier, { system: 'https://fhir.nhs.uk/Id/nhs-number', value: holder });
      assert.equal(stored.identifier[0]!.value, body.identifier[0].value);
      assert.deepEqual(stored.identifier[0]!.assigner, body.identifier[0].assigner);
      assert.deepEqual(stored.payor, body.payor);
      assert.equal(stored.beneficiary.identifier.value, body.beneficiary.identifier.value);
      assert.equal(stored.beneficiary.type, body.beneficiary.type === 'Patient' ? 'Patient' : undefined);
      assert.deepEqual(stored.period, body.period);
    }));
  });
});

describe('telecom history (properties)', () => {
  const telecom = fc.array(fc.record({
    system: fc.constantFrom('email', 'phone', 'sms', 'other') as fc.Arbitrary<'email' | 'phone' | 'sms' | 'other'>,
    value: fc.constantFrom('a@example.com', 'A@Example.com ', 'b@example.com', '01632 960587', '01632960587', '+44 1632 960000', '0113'),
  }), { maxLength: 5 });
  const patient = (t: Patient['telecom']): Patient => ({ resourceType: 'Patient', id: '9000000009', telecom: t });

  it('an update keeps as history exactly the emails and phones the record no longer holds (normal form)', () => {
    fc.assert(fc.property(telecom, telecom, (before, after) => {
      const dropped = droppedTelecoms(patient(before), patient(after));
      const norm = (t: { system: string; value: string }) => (t.system === 'email' ? `email:${t.value.trim().toLowerCase()}` : t.system === 'other' ? undefined
        : `phone:${t.value.trim().startsWith('+') ? '+' : ''}${t.value.replace(/[^0-9]/g, '')}`);
      const held = new Set(after.map(norm));
      const expected = new Set(before.map(norm).filter((k): k is string => k !== undefined && !held.has(k)));
      assert.deepEqual(new Set(dropped.map((d) => `${d.system}:${d.value}`)), expected);
      assert.deepEqual(droppedTelecoms(patient(after), patient(after)), []);
    }));
  });
});
