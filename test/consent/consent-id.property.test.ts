import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isConsentId } from '../../src/services/consent/store.js';

// A Consent's id in a path or a version id: the lower-case UUID the service gave it (RFC 9562's
// 8-4-4-4-12 hex digits). PostgreSQL reads a UUID in either case as one value, so the same UUID
// in upper case is no id of ours either.

describe('a Consent id (properties)', () => {
  it('a UUID in lower case, of any version, is one', () => {
    fc.assert(fc.property(fc.uuid(), (id) => { assert.equal(isConsentId(id.toLowerCase()), true, id); }), { numRuns: 300 });
  });

  it('upper-cased anywhere, or with one character changed to a non-hex digit, added or dropped, it is not', () => {
    fc.assert(fc.property(fc.uuid().map((id) => id.toLowerCase()), fc.nat(), fc.constantFrom('g', 'z', '-', ' ', '{', '_', 'x'), fc.constantFrom('upper', 'change', 'add', 'drop'), (id, at, c, how) => {
      const letters = [...id].flatMap((ch, i) => (/[a-f]/.test(ch) ? [i] : []));
      fc.pre(how !== 'upper' || letters.length > 0);
      const i = how === 'upper' ? letters[at % letters.length]! : at % (id.length + (how === 'add' ? 1 : 0));
      const changed = how === 'upper' ? `${id.slice(0, i)}${id[i]!.toUpperCase()}${id.slice(i + 1)}`
        : `${id.slice(0, i)}${how === 'drop' ? '' : c}${id.slice(how === 'add' ? i : i + 1)}`;
      fc.pre(changed !== id);
      assert.equal(isConsentId(changed), false, changed);
    }), { numRuns: 500 });
  });

  it('any text is answered, never a throw', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => { assert.equal(typeof isConsentId(text), 'boolean'); }), { numRuns: 300 });
  });
});
