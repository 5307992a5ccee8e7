import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { containsNulInJson } from './nul-guard.js';

// Strings built from the pieces that matter (a raw NUL, escapes near \u0000, digits) among others.
const PIECES = ['\u0000', '\\', 'u', '0', '00', '000', '\\u', '\\u000', '\\u0000', '\\\\u0000', '\\u0001', 'a', '"', ' '];
const jsonish = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 30 })
  .map((parts) => parts.join(''));

describe('a NUL in a JSON body', () => {
  it('is found, raw or as a \\u0000 escape, exactly where a search for either finds one', () => {
    fc.assert(fc.property(jsonish, (text) => {
      const expected = text.split('').some((c) => c === '\u0000') || /\\u0000/.test(text);
      assert.equal(containsNulInJson(text), expected, JSON.stringify(text));
    }), { numRuns: 2000 });
  });

  it('is found in a body of any length around it', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('\u0000', '\\u0000'), fc.string({ maxLength: 200 }), (before, nul, after) => {
      assert.equal(containsNulInJson(`${before}${nul}${after}`), true);
    }));
  });
});
