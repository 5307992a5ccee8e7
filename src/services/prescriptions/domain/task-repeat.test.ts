import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { taskRepeatCounts, taskRepeatMismatch } from './task-repeat.js';

const URL = 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-RepeatInformation';
const repeat = (type: 'valueInteger' | 'valueUnsignedInt', allowed: unknown, issued: unknown) =>
  ({ url: URL, extension: [{ url: 'numberOfRepeatsAllowed', [type]: allowed }, { url: 'numberOfRepeatsIssued', [type]: issued }] });
const TYPE = fc.constantFrom('valueInteger' as const, 'valueUnsignedInt' as const);

describe("a return's or withdrawal's repeat counts (task-repeat.ts)", () => {
  it('are read from Task.extension as either value type; any value there is read or refused naming the field, never thrown', () => {
    fc.assert(fc.property(TYPE, fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }), (type, allowed, issued) => {
      assert.deepEqual(taskRepeatCounts({ extension: [{ url: 'other' }, repeat(type, allowed, issued)] }), { ok: true, value: { issue: issued + 1, issues: allowed + 1 } });
    }));
    fc.assert(fc.property(TYPE, fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (type, allowed, issued, extension) => {
      for (const task of [{ extension: [repeat(type, allowed, issued)] }, { extension }]) {
        const read = taskRepeatCounts(task);
        if (!read.ok) {
          assert.equal(read.code, 'invalid-value');
          assert.match(read.expression ?? '', /^Task\.extension\("Extension-EPS-RepeatInformation"\)(\.numberOfRepeats(Allowed|Issued))?$/);
        } else {
          for (const n of Object.values(read.value)) assert.ok(Number.isInteger(n) && n >= 1 && n <= 1000);
        }
      }
    }));
  });

  it('two RepeatInformation saying different counts are refused; saying the same, read', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }), (a, b, issued) => {
      const read = taskRepeatCounts({ extension: [repeat('valueInteger', a, issued), repeat('valueUnsignedInt', b, issued)] });
      assert.equal(read.ok, a === b);
    }));
  });

  it("contradict a repeat-dispensing prescription's authorised issues (or an issue beyond them), and an acute one unless 1 of 1; repeat prescribing is not checked", () => {
    const count = fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined });
    fc.assert(fc.property(fc.constantFrom('return' as const, 'withdraw' as const), count, count, fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), (kind, issue, issues, current, authorised) => {
      const counts = { ...(issue !== undefined ? { issue } : {}), ...(issues !== undefined ? { issues } : {}) };
      const repeat = { issue: Math.min(current, authorised), issues: authorised, earlier: [] };
      const erd = taskRepeatMismatch(kind, 'continuous-repeat-dispensing', repeat, counts);
      assert.equal(erd !== undefined, (issues !== undefined && issues !== authorised) || (issue !== undefined && issue > authorised), String(erd));
      if (erd) assert.match(erd, new RegExp(`^The ${kind} says `));
      const once = (issue ?? 1) === 1 && (issues ?? 1) === 1;
      assert.equal(taskRepeatMismatch(kind, 'acute', undefined, counts) !== undefined, !once);
      assert.equal(taskRepeatMismatch(kind, 'continuous', undefined, counts), undefined);
      assert.equal(taskRepeatMismatch(kind, undefined, undefined, counts), undefined);
    }));
  });
});
