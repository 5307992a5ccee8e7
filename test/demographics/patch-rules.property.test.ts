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
      const result = outcome(() => applyPatientPatch(before, parsePatchBody({ patches: ops }), TODAY, { mayRecordFormalDeath: true }));
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
      const result = outcome(() => applyPatientPatch(base, parsePatchBody({ patches: [{ op: 'add', path: '/address/-', value: address }] }), TODAY, { mayRecordFormalDeath: true }));
      const longest = use === 'temp' ? 90 : 366;
      if (length <= longest) assert.equal(typeof result, 'object', `${JSON.stringify(address.period)} refused: ${String(result)}`);
      else assert.equal(result, 'INVALID_UPDATE');
    }), { numRuns: 500 });
  });

  it("no sequence of operations strips, changes or gives an item's id: each item keeps the id it had (or its want of one)", () => {
    // Each item's value marks it, and a whole-item replacement's value marks the item it replaced;
    // the operations write no other values. The middle item has no id, as legacy records hold some.
    const telecom = [{ id: 't1', system: 'phone', value: '01632960001', use: 'home' }, { system: 'phone', value: '01632960002', use: 'home' },
      { id: 't3', system: 'phone', value: '01632960003', use: 'work' }];
    const withTelecom = { ...base, telecom } as Patient;
    const replacementOf = (k: number) => `0163296099${k}`;
    const step = fc.oneof(
      fc.record({ target: fc.constantFrom(0, 1, 2), action: fc.constantFrom('remove', 'remove id', 'change id', 'replace whole', 'use'), id: fc.constantFrom('t1', 't3', 'X', undefined) }),
      fc.constant({ target: -1, action: 'add', id: undefined }),
    );
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 4 }), (steps) => {
      // Where each original item is as the operations go (what a client reading the record would name).
      const order: number[] = [0, 1, 2];
      const ops = steps.flatMap(({ target, action, id }) => {
        if (action === 'add') return [{ op: 'add', path: '/telecom/-', value: { system: 'phone', value: '01632960900', use: 'mobile' } }];
        const at = order.indexOf(target);
        if (at < 0) return [];
        const item = `/telecom/${at}`;
        const original = telecom[target]!;
        const naming = original.id ? { op: 'test', path: `${item}/id`, value: original.id } : { op: 'test', path: item, value: original };
        if (action === 'remove') order.splice(at, 1);
        return [naming, ...{
          remove: [{ op: 'remove', path: item }],
          'remove id': [{ op: 'remove', path: `${item}/id` }],
          'change id': id === undefined ? [] : [{ op: 'replace', path: `${item}/id`, value: id }],
          'replace whole': [{ op: 'replace', path: item, value: { system: 'phone', value: replacementOf(target), use: 'mobile', ...(id ? { id } : {}) } }],
          use: [{ op: 'replace', path: `${item}/use`, value: 'temp' }],
        }[action]!];
      });
      fc.pre(ops.length > 0);
      const result = outcome(() => applyPatientPatch(structuredClone(withTelecom), parsePatchBody({ patches: ops }), TODAY, { mayRecordFormalDeath: true }));
      if (typeof result === 'string') return;
      const seen = `${JSON.stringify(ops)} → ${JSON.stringify(result.telecom)}`;
      const items = result.telecom as Array<{ id?: string; value: string }>;
      for (const item of items) {
        const k = telecom.findIndex((t, i) => t.value === item.value || replacementOf(i) === item.value);
        if (k >= 0) assert.equal(item.id, telecom[k]!.id, seen);
        else assert.match(item.id ?? '', /^[0-9A-F]{8}$/, `an added item has its id from PDS: ${seen}`);
      }
      const ids = items.flatMap((t) => (t.id === undefined ? [] : [t.id]));
      assert.equal(new Set(ids).size, ids.length, `an id held twice: ${seen}`);
    }), { numRuns: 3000 });
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
