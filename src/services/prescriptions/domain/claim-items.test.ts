import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { readClaim } from './claim-message.js';

const CLAIM = JSON.parse(readFileSync(new URL('../../../../spec/nhs/eps/examples/spec/dispensing/claim/acute-primary-example-req.json', import.meta.url), 'utf8'));

describe("a claim's one item (claim-message.ts)", () => {
  it('a claim of more than one Claim.item, whatever they hold, is the verification error naming Claim.item; of one, read', () => {
    assert.equal(readClaim(CLAIM).ok, true);
    fc.assert(fc.property(fc.array(fc.oneof(fc.jsonValue(), fc.constant(CLAIM.item[0])), { minLength: 1, maxLength: 5 }), (more) => {
      const claim = { ...structuredClone(CLAIM), item: [CLAIM.item[0], ...more] };
      assert.deepEqual(readClaim(claim), { ok: false, code: 'invalid', expression: 'Claim.item', diagnostics: `The Claim must contain exactly one item. Received ${claim.item.length}.` });
    }));
  });
});
