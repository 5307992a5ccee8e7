import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { claimRepeatCounts, repeatCountsProblem } from './claim-repeat.js';

const URL = 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-RepeatInformation';
const repeat = (allowed: unknown, issued: unknown) => ({ url: URL, extension: [{ url: 'numberOfRepeatsAllowed', valueInteger: allowed }, { url: 'numberOfRepeatsIssued', valueInteger: issued }] });

describe("a claim's repeat counts (claim-repeat.ts)", () => {
  it('are read from the item or its lines, the same wherever given; any value there is read or refused naming the field, never thrown', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }), fc.boolean(), (allowed, issued, onLines) => {
      const item = onLines ? { detail: [{ extension: [repeat(allowed, issued)] }, { extension: [repeat(allowed, issued)] }] } : { extension: [repeat(allowed, issued)], detail: [{}] };
      assert.deepEqual(claimRepeatCounts(item), { ok: true, value: { issue: issued + 1, issues: allowed + 1 } });
    }));
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (allowed, issued) => {
      const read = claimRepeatCounts({ extension: [repeat(allowed, issued)], detail: [{ extension: [repeat(0, 0)] }] });
      if (!read.ok) assert.match(read.expression ?? '', /^Claim\.item(\.detail)?\.extension\("Extension-EPS-RepeatInformation"\)/);
      else assert.deepEqual(read.value, { issue: 1, issues: 1 }, 'read only when the same as the line');
    }));
  });

  it('contradict an acute prescription unless issue 1 of 1; a repeat one is not checked here', () => {
    fc.assert(fc.property(fc.option(fc.integer({ min: 1, max: 1000 })), fc.option(fc.integer({ min: 1, max: 1000 })), fc.constantFrom('acute', 'continuous', 'continuous-repeat-dispensing', undefined), (issue, issues, course) => {
      const counts = { ...(issue !== null ? { issue } : {}), ...(issues !== null ? { issues } : {}) };
      const once = (issue ?? 1) === 1 && (issues ?? 1) === 1;
      assert.equal(repeatCountsProblem(course, counts) !== undefined, course === 'acute' && !once);
    }));
  });
});
