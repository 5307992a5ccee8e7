import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parsePublicJwks, ODS_CODE } from '../../src/services/identity/application-input.js';
import { parseRoleProfileInput } from '../../src/services/identity/user-input.js';
import { isPublicRsaSigningKey } from '../../src/services/identity/keys.js';
import { ROLE_ACTIVITIES } from '../../src/services/identity/roles.js';

/** An application's signing keys and a user's role profile, as the admin API and the CLI take them. */
const json = fc.jsonValue({ maxDepth: 3 });
const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits });
const strong = rsa(2048);
const weak = rsa(1024);
const publicJwk = strong.publicKey.export({ format: 'jwk' }) as Record<string, string>;
const privateJwk = strong.privateKey.export({ format: 'jwk' }) as Record<string, string>;
const weakJwk = weak.publicKey.export({ format: 'jwk' }) as Record<string, string>;

/** A key entry: the real public key, now and then made wrong in one way. */
const keyEntry = fc.record({
  kid: fc.oneof(fc.string({ minLength: 1, maxLength: 10 }), fc.constant(''), fc.constant('k'.repeat(201)), json),
  alg: fc.constantFrom(undefined, 'RS512', 'RS256', 'none'),
  use: fc.constantFrom(undefined, 'sig', 'enc'),
  base: fc.constantFrom(publicJwk, publicJwk, publicJwk, privateJwk, weakJwk),
  extra: fc.dictionary(fc.constantFrom('x5c', 'note', 'd', 'k', 'ext'), json, { maxKeys: 2 }),
}).map(({ kid, alg, use, base, extra }) => ({ ...extra, ...base, kid, ...(alg ? { alg } : {}), ...(use ? { use } : {}) }));

describe('identity: an application\'s public JWKS', () => {
  it('any JSON at all is a JWKS of public RS512 keys with distinct kids, or refused; never a throw', () => {
    fc.assert(fc.property(fc.oneof(json, fc.record({ keys: fc.array(keyEntry, { maxLength: 3 }) })), (value) => {
      const parsed = parsePublicJwks(value);
      if (!parsed.ok) {
        assert.match(parsed.problem, /^'jwks' must be/);
        return;
      }
      assert.ok(parsed.value.keys.length > 0);
      assert.equal(new Set(parsed.value.keys.map((k) => k.kid)).size, parsed.value.keys.length);
      for (const key of parsed.value.keys) {
        // Only the members verifying uses are kept: nothing secret, nothing else sent with it.
        assert.deepEqual(Object.keys(key).filter((k) => (key as Record<string, unknown>)[k] !== undefined).sort(),
          ['alg', 'e', 'kid', 'kty', 'n', 'use'].filter((k) => (key as Record<string, unknown>)[k] !== undefined));
        assert.ok(isPublicRsaSigningKey(key, ['RS512']));
        assert.ok(typeof key.kid === 'string' && key.kid.length >= 1 && key.kid.length <= 200);
      }
    }));
  });

  it('the public half of a 2048-bit key is accepted; its private half, a 1024-bit key or a repeated kid is not', () => {
    assert.equal(parsePublicJwks({ keys: [{ ...publicJwk, kid: 'a', alg: 'RS512', use: 'sig' }] }).ok, true);
    assert.equal(parsePublicJwks({ keys: [{ ...privateJwk, kid: 'a' }] }).ok, false);
    assert.equal(parsePublicJwks({ keys: [{ ...weakJwk, kid: 'a' }] }).ok, false);
    assert.equal(parsePublicJwks({ keys: [{ ...publicJwk, kid: 'a' }, { ...publicJwk, kid: 'a' }] }).ok, false);
    assert.equal(parsePublicJwks({ keys: [] }).ok, false);
  });
});

describe('identity: a user\'s role profile', () => {
  const roleCodes = Object.keys(ROLE_ACTIVITIES);
  const profile = fc.record({
    roleProfileId: fc.oneof(fc.constant(undefined), fc.stringMatching(/^[A-Za-z0-9-]{1,64}$/), json),
    odsCode: fc.oneof(fc.stringMatching(/^[A-Z0-9]{3,10}$/), json),
    roleCode: fc.oneof(fc.constantFrom(...roleCodes), fc.constantFrom(...roleCodes).map((r) => `S8000:G8000:${r}`), fc.constantFrom('R0000', 'X8000'), json),
  }, { requiredKeys: [] });

  it('any JSON gives a profile of the user with an SDS-shaped id, a valid ODS code and a mapped role, or a reason; never a throw', () => {
    fc.assert(fc.property(fc.oneof(profile, json), fc.stringMatching(/^[0-9]{12}$/), (body, userId) => {
      const parsed = parseRoleProfileInput(body, userId);
      if (!parsed.ok) {
        assert.match(parsed.problem, /^('roleProfileId'|'odsCode'|'roleCode'|a role profile)/);
        return;
      }
      const input = body as Record<string, unknown>;
      assert.equal(parsed.value.userId, userId);
      assert.match(parsed.value.roleProfileId, input.roleProfileId === undefined ? /^5550[0-9]{8}$/ : /^[A-Za-z0-9-]{1,64}$/);
      assert.match(parsed.value.odsCode, ODS_CODE);
      assert.ok(roleCodes.includes(parsed.value.roleCode.split(':').at(-1)!), parsed.value.roleCode);
    }));
  });
});
