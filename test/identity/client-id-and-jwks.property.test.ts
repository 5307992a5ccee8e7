import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isClientId } from '../../src/services/identity/application-input.js';
import { isJwks } from '../../src/services/identity/keys.js';

// What an operator registers for an application: a CIS2 client id ("a client id of 1 to 200
// characters without control characters") and a JWK Set (RFC 7517 §5: a "keys" array of JWKs,
// each with its "kty", §4.1).

/** The control characters (Unicode's Cc: C0, DEL and C1) the admin API's problem names. */
const CONTROL = [...Array.from({ length: 0x20 }, (_, c) => String.fromCharCode(c)), ...Array.from({ length: 0x21 }, (_, c) => String.fromCharCode(0x7f + c))];
const clientIdChar = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }).filter((c) => !CONTROL.includes(c));
const clientId = fc.oneof(
  fc.string({ unit: clientIdChar, minLength: 1, maxLength: 200 }),
  fc.string({ unit: fc.constantFrom('a', 'é', '€', '-', '.', ':', '/', ' '), minLength: 1, maxLength: 200 }),
  // Long ones too, up to the limit itself (fast-check's strings are short by default).
  fc.tuple(fc.string({ unit: clientIdChar, minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 200 })).map(([s, n]) => s.repeat(200).slice(0, n)),
);

describe('a CIS2 client id (properties)', () => {
  it('1 to 200 characters without control characters are a client id', () => {
    fc.assert(fc.property(clientId, (id) => { assert.equal(isClientId(id), true, JSON.stringify(id)); }), { numRuns: 500 });
  });

  it('a control character anywhere, nothing at all or more than 200 characters are not; nor is anything but a string', () => {
    fc.assert(fc.property(clientId, fc.nat(), fc.constantFrom(...CONTROL), (id, at, control) => {
      const i = at % (id.length + 1);
      assert.equal(isClientId(`${id.slice(0, i)}${control}${id.slice(i)}`), false);
      assert.equal(isClientId(id.padEnd(201, 'x')), false);
    }), { numRuns: 500 });
    assert.equal(isClientId(''), false);
    fc.assert(fc.property(fc.jsonValue().filter((v) => typeof v !== 'string'), (value) => { assert.equal(isClientId(value), false); }), { numRuns: 200 });
  });
});

const jwk = fc.record({ kty: fc.constantFrom('RSA', 'EC', 'oct', 'OKP'), kid: fc.string({ maxLength: 10 }), alg: fc.constantFrom('RS512', 'RS256'), n: fc.base64String(), e: fc.constant('AQAB') },
  { requiredKeys: ['kty'] });

describe('a JWK Set (properties)', () => {
  it('an object whose "keys" is an array of JWKs, each with a string kty, is a JWK Set (other members allowed)', () => {
    fc.assert(fc.property(fc.array(jwk, { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== 'keys' && k !== '__proto__'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }), (keys, extra) => {
      assert.equal(isJwks({ ...extra, keys }), true);
    }), { numRuns: 300 });
  });

  it('no keys array, or any key that is not an object with a string kty, is not; any JSON value is answered, never a throw', () => {
    const badKey = fc.oneof(fc.constant(null), fc.string(), fc.integer(), fc.array(fc.string(), { maxLength: 2 }),
      jwk.map(({ kty: _kty, ...rest }) => rest), fc.tuple(jwk, fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string()))).map(([k, kty]) => ({ ...k, kty })));
    fc.assert(fc.property(fc.array(jwk, { maxLength: 3 }), badKey, fc.nat(), (keys, bad, at) => {
      const withBad = [...keys.slice(0, at % (keys.length + 1)), bad, ...keys.slice(at % (keys.length + 1))];
      assert.equal(isJwks({ keys: withBad }), false, JSON.stringify(bad));
      assert.equal(isJwks({ keys: Object.fromEntries(keys.map((k, i) => [i, k])) }), false);
      assert.equal(isJwks(keys), false);
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.jsonValue(), (value) => { assert.equal(typeof isJwks(value), 'boolean'); }), { numRuns: 300 });
  });
});
