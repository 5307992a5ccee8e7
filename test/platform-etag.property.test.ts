import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { etagFor, parseIfMatch } from '../src/platform/fhir/etag.js';

/** PDS's If-Match: a weak ETag of the version, `W/"3"` (spec regex ^W\/"[0-9]+"$). */
describe('If-Match: a weak ETag of a FHIR version id', () => {
  it('reads back every version it writes, with white space around it as a proxy may leave', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom('', ' ', '\t', '  '), fc.constantFrom('', ' ', '\t'), (version, before, after) => {
      assert.equal(parseIfMatch(`${before}${etagFor(version)}${after}`), version);
    }));
  });

  it('any other text is no version, never a throw; a version read is always one its ETag gives back', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^W\/"[0-9a-f]{0,12}"?$/), fc.constant(undefined)), (header) => {
      const version = parseIfMatch(header);
      if (version === undefined) return;
      assert.ok(Number.isSafeInteger(version) && version >= 0);
      assert.equal(etagFor(version).replace(/"0+(?=\d)/, '"'), header!.trim().replace(/"0+(?=\d)/, '"'));
    }));
  });

  it('a strong ETag, a bare number, a lower-case w, a list or a wildcard is no version', () => {
    for (const header of ['"3"', '3', 'w/"3"', 'W/"3", W/"4"', '*', 'W/"-1"', 'W/"1.0"', 'W/"3', 'W/""', 'W/"1234567890"']) {
      assert.equal(parseIfMatch(header), undefined, header);
    }
  });
});
