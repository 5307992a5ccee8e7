import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SpineError } from '../../src/platform/http/errors.js';
import { applyPatientPatch } from '../../src/services/demographics/patch/apply-patches.js';
import { parsePatchBody } from '../../src/services/demographics/patch/patch-operations.js';
import type { Patient } from '../../src/services/demographics/fhir-types.js';

const TODAY = '2026-01-01';
const base: Patient = {
  resourceType: 'Patient', id: '9000000009', gender: 'female', birthDate: '1980-02-03', meta: { versionId: '1' },
  name: [{ id: 'n1', use: 'usual', family: 'Smith', given: ['Jane'], prefix: ['Mrs'] }],
  address: [{ id: 'a1', use: 'home', line: ['1 Road'], postalCode: 'LS1 6AE' }],
};
const op = fc.record({
  op: fc.constantFrom('add', 'replace', 'remove', 'test', 'move', 'copy', 'bogus'),
  path: fc.constantFrom('/gender', '/name/0/family', '/name/-', '/name/0', '/name/1', '/address/-', '/address/0/use', '/deceasedDateTime', '/id', '/pets', '/birthDate', '/name/0/id', 'gender', ''),
  value: fc.oneof(fc.constantFrom('male', 'other', 'work', 'n1', '2030-01-01', '2001-01-01', 'Jones'), fc.constant({ use: 'usual', family: 'X' }), fc.constant({ use: 'work', postalCode: 'LS1' }), fc.integer()),
}, { requiredKeys: ['op', 'path'] });

const outcome = (fn: () => Patient): Patient | string => {
  try {
    return fn();
  } catch (err) {
    assert.ok(err instanceof SpineError, `not a SpineError: ${String(err)}`);
    return err.spec.code;
  }
};

describe('PATCH rules (properties)', () => {
  it('any list of operations is applied whole or refused with a PDS code; the stored record is never touched', () => {
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 4 }), (ops) => {
      const before = structuredClone(base);
      const result = outcome(() => applyPatientPatch(before, parsePatchBody({ patches: ops }), TODAY));
      assert.deepEqual(before, base, 'input mutated');
      if (typeof result === 'string') {
        assert.ok(['INVALID_UPDATE', 'INVALID_VALUE', 'MISSING_VALUE', 'ADDITIONAL_PROPERTIES', 'TOO_FEW_VALUES_SUBMITTED', 'TOO_MANY_VALUES_SUBMITTED', 'FORBIDDEN_UPDATE'].includes(result), result);
        return;
      }
      // Whatever was accepted obeys the record rules.
      assert.equal(result.name!.filter((n) => n.use === 'usual').length, 1);
      assert.ok(result.gender !== undefined && result.gender !== 'other');
      assert.ok(!(result.address ?? []).some((a) => a.use === 'work'));
      assert.equal(result.id, base.id);
      assert.ok(result.deceasedDateTime === undefined || result.deceasedDateTime <= TODAY);
    }), { numRuns: 1000 });
  });

  it("a temp or billing address added is taken exactly when its period ends no more than 90 (366) days after it starts, across months and leap years", () => {
    const DAY_IN_MS = 24 * 60 * 60 * 1000;
    const dayAfter2000 = (days: number) => new Date(Date.UTC(2000, 0, 1) + days * DAY_IN_MS).toISOString().slice(0, 10);
    fc.assert(fc.property(fc.constantFrom('temp', 'billing'), fc.integer({ min: 0, max: 9000 }), fc.integer({ min: 0, max: 400 }), (use, from, length) => {
      const address = { use, text: 'Holiday Home', period: { start: dayAfter2000(from), end: dayAfter2000(from + length) }, line: ['1 Road'] };
      const result = outcome(() => applyPatientPatch(base, parsePatchBody({ patches: [{ op: 'add', path: '/address/-', value: address }] }), TODAY));
      const longest = use === 'temp' ? 90 : 366;
      if (length <= longest) assert.equal(typeof result, 'object', `${JSON.stringify(address.period)} refused: ${String(result)}`);
      else assert.equal(result, 'INVALID_UPDATE');
    }), { numRuns: 500 });
  });

  it('bodies that are not {"patches": [...]} are INVALID_UPDATE', () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.record({ patches: fc.oneof(fc.constant([]), fc.string(), fc.integer()) })), (body) => {
      fc.pre(!(body && typeof body === 'object' && Array.isArray((body as { patches?: unknown }).patches) && ((body as { patches: unknown[] }).patches.length > 0)));
      assert.equal(outcome(() => { parsePatchBody(body); return base; }), 'INVALID_UPDATE');
    }));
  });
});

describe('the accepted communication languages (UKCore-HumanLanguage)', () => {
  it('are the CodeSystem\'s 190 codes: ISO 639-1 plus q1-q5, the population\'s languages among them; anything else is refused', async () => {
    const { HUMAN_LANGUAGES, readHumanLanguages } = await import('../../src/services/demographics/domain/human-languages.js');
    const { isAcceptedLanguageCode } = await import('../../src/services/demographics/patch/patient-rules.js');
    const { LANGUAGES } = await import('../../src/services/demographics/population/fhir-parts.js');
    assert.equal(HUMAN_LANGUAGES.size, 190);
    assert.equal(HUMAN_LANGUAGES.get('q4'), 'British Sign Language');
    for (const [code] of LANGUAGES) assert.ok(HUMAN_LANGUAGES.has(code), code);
    for (const code of HUMAN_LANGUAGES.keys()) assert.match(code, /^([a-z]{2}|q[1-5])$/);
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 4 }), fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{1,2}$/)), (code) => {
      assert.equal(isAcceptedLanguageCode(code), HUMAN_LANGUAGES.has(code));
      if (!/^([a-z]{2}|q[1-5])$/.test(code)) assert.equal(isAcceptedLanguageCode(code), false);
    }));
    assert.deepEqual([...readHumanLanguages('{"codes":{"xx":"X"}}')], [['xx', 'X']]);
  });
});
