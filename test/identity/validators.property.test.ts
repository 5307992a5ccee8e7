import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkClientAssertion, decodeCompactJwt, validateClientAssertion, MAX_ASSERTION_LIFETIME_SECONDS } from '../../src/services/identity/client-assertion.js';
import { generateSigningKey, signatureVerifies, type GeneratedKeyPair } from '../../src/services/identity/keys.js';
import { buildClientAssertion } from '../../src/services/identity/assertion-builder.js';
import { selectRole } from '../../src/services/identity/subject-token.js';
import { parseApplicationInput } from '../../src/services/identity/application-input.js';
import { parseUserInput } from '../../src/services/identity/user-input.js';
import { isActivity } from '../../src/platform/auth/activities.js';

const TOKEN_URL = 'https://spine.example.test/oauth2/token';
const NOW = 1_800_000_000;
const context = { tokenUrl: TOKEN_URL, nowSeconds: NOW };
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const json = fc.jsonValue();
const object = fc.dictionary(fc.string(), json);
/** Mostly a valid value, sometimes any JSON at all: so the generators reach both sides of every rule. */
const mostly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: json, weight: 1 });
const claimFields = {
  iss: mostly(fc.string({ minLength: 1 })), sub: mostly(fc.string({ minLength: 1 })), jti: mostly(fc.uuid()),
  exp: mostly(fc.integer({ min: NOW - 200, max: NOW + 500 })), aud: mostly(fc.constant(TOKEN_URL)),
};
const claimLike = fc.oneof(fc.record(claimFields), fc.record(claimFields, { requiredKeys: [] }))
  .chain((c) => fc.boolean().map((sameSub) => (sameSub && 'iss' in c ? { ...c, sub: c.iss } : c)));
const headerFields = { alg: mostly(fc.constant('RS512')), kid: mostly(fc.string({ minLength: 1 })) };
const headerLike = fc.oneof(fc.record(headerFields), fc.record(headerFields, { requiredKeys: [] }));

describe('client assertion validator (pure rules)', () => {
  it('arbitrary strings never throw and never validate', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.array(fc.string(), { maxLength: 4 }).map((p) => p.join('.'))), (token) => {
      assert.equal(validateClientAssertion(token, context).ok, false);
    }), { numRuns: 2000 });
  });

  it('arbitrary base64url-encoded JSON never throws, and validates only when every NHS rule holds', () => {
    const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    let accepted = 0;
    fc.assert(fc.property(fc.oneof(headerLike, object), fc.oneof(claimLike, object), (header, claims) => {
      const result = validateClientAssertion(`${encode(header)}.${encode(claims)}.c2ln`, context);
      const h = header as Record<string, unknown>;
      const c = claims as Record<string, unknown>;
      const allHold = h.alg === 'RS512' && typeof h.kid === 'string' && h.kid !== '' && typeof c.iss === 'string' && c.iss !== ''
        && c.iss === c.sub && typeof c.jti === 'string' && c.jti !== '' && !/\p{Surrogate}/u.test(c.jti) && typeof c.exp === 'number'
        && c.exp > NOW && c.exp <= NOW + MAX_ASSERTION_LIFETIME_SECONDS && c.aud === TOKEN_URL;
      assert.equal(result.ok, allHold);
      if (allHold) accepted += 1;
    }), { numRuns: 3000 });
    assert.ok(accepted > 0, 'the generator reaches valid assertions too');
  });

  it('every well-formed assertion validates, returning its own values', () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 300 }),
      (apiKey, kid, jti, lifetime) => {
        const result = checkClientAssertion({ header: { alg: 'RS512', typ: 'JWT', kid }, claims: { iss: apiKey, sub: apiKey, aud: TOKEN_URL, jti, exp: NOW + lifetime } }, context);
        assert.deepEqual(result, { ok: true, value: { apiKey, kid, jti, exp: NOW + lifetime } });
      }));
  });

  it('a jti holding a lone surrogate anywhere is refused as the jti', () => {
    const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    fc.assert(fc.property(fc.string({ unit: 'binary' }), surrogate, fc.string({ unit: 'binary' }), (before, lone, after) => {
      // Lone only if nothing pairs with it: drop the neighbours that could.
      const jti = `${before.replace(/[\ud800-\udbff]$/, '')}${lone}${after.replace(/^[\udc00-\udfff]/, '')}x`;
      const result = checkClientAssertion({ header: { alg: 'RS512', kid: 'k' }, claims: { iss: 'a', sub: 'a', aud: TOKEN_URL, jti, exp: NOW + 60 } }, context);
      assert.ok(/\p{Surrogate}/u.test(jti), 'the generator makes a lone surrogate');
      assert.deepEqual(result.ok ? undefined : result.error, 'MISSING_JTI');
    }), { numRuns: 2000 });
  });

  it('exp decides between expired, valid and too far ahead', () => {
    fc.assert(fc.property(fc.integer({ min: -10_000, max: 10_000 }), (offset) => {
      const result = checkClientAssertion({ header: { alg: 'RS512', kid: 'k' }, claims: { iss: 'a', sub: 'a', aud: TOKEN_URL, jti: 'j', exp: NOW + offset } }, context);
      const expected = offset <= 0 ? 'EXPIRED' : offset > 300 ? 'EXP_TOO_FAR' : undefined;
      assert.equal(result.ok ? undefined : result.error, expected);
    }));
  });

  it('nbf: a number not after now is accepted, a later one or any other value is INVALID_NBF', () => {
    fc.assert(fc.property(fc.oneof(fc.integer({ min: NOW - 1000, max: NOW + 1000 }), json), (nbf) => {
      const result = checkClientAssertion({ header: { alg: 'RS512', kid: 'k' }, claims: { iss: 'a', sub: 'a', aud: TOKEN_URL, jti: 'j', exp: NOW + 60, nbf } }, context);
      const fine = nbf === null ? false : typeof nbf === 'number' && nbf <= NOW;
      assert.equal(result.ok, fine);
      if (!result.ok) assert.equal(result.error, 'INVALID_NBF');
    }));
  });

  it('decoding distinguishes malformed from undecodable', () => {
    assert.deepEqual(decodeCompactJwt('a.b'), { ok: false, error: 'MALFORMED_JWT' });
    assert.deepEqual(decodeCompactJwt('a+b.c.d'), { ok: false, error: 'MALFORMED_JWT' });
    assert.deepEqual(decodeCompactJwt('YQ.YQ.YQ'), { ok: false, error: 'UNDECODABLE_JWT' });
    assert.deepEqual(decodeCompactJwt('WzFd.e30.YQ'), { ok: false, error: 'UNDECODABLE_JWT' }, 'an array header is not a JWT header');
  });
});

describe('client assertion validator with signatures', () => {
  let key: GeneratedKeyPair;
  before(async () => { key = await generateSigningKey('RS512', 2048); });

  /** The full check minus storage: rules, then the signature against the registered key. */
  async function accepted(token: string, now = NOW) {
    const result = validateClientAssertion(token, { tokenUrl: TOKEN_URL, nowSeconds: now });
    return result.ok && result.value.kid === key.kid && (await signatureVerifies(token, key.publicJwk, 'RS512'));
  }

  it('every assertion built by a client with the key is accepted', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.uuid(), fc.integer({ min: 1, max: 300 }), async (apiKey, jti, lifetime) => {
      const token = await buildClientAssertion({ apiKey, kid: key.kid, privateKeyPem: key.privateKeyPem, tokenUrl: TOKEN_URL, now: new Date(NOW * 1000), lifetimeSeconds: lifetime, jti });
      assert.equal(await accepted(token), true);
    }), { numRuns: 40 });
  });

  it('any single-character mutation of a valid assertion is rejected (unless it decodes to the same bytes)', async () => {
    const token = await buildClientAssertion({ apiKey: 'app-key', kid: key.kid, privateKeyPem: key.privateKeyPem, tokenUrl: TOKEN_URL, now: new Date(NOW * 1000) });
    const bytesOf = (t: string) => t.split('.').map((p) => Buffer.from(p, 'base64url').toString('hex')).join('.');
    await fc.assert(fc.asyncProperty(fc.nat({ max: token.length - 1 }), fc.constantFrom(...`${B64URL}.=+/ `), fc.boolean(), async (at, replacement, insert) => {
      const mutated = insert ? token.slice(0, at) + replacement + token.slice(at) : token.slice(0, at) + replacement + token.slice(at + 1);
      fc.pre(mutated !== token && bytesOf(mutated) !== bytesOf(token));
      assert.equal(await accepted(mutated), false);
    }), { numRuns: 300 });
  });
});

describe('role selection, application and user input parsers', () => {
  it('selectRole never throws, and a selected role is always one of the token\'s roles', () => {
    const role = fc.record({ person_roleid: fc.string(), org_code: fc.string(), role_code: fc.string() });
    const claims = fc.record({ sub: fc.oneof(fc.string(), json), selected_roleid: fc.oneof(fc.string(), json), nhsid_nrbac_roles: fc.oneof(fc.array(fc.oneof(role, json)), json) }, { requiredKeys: [] });
    fc.assert(fc.property(claims, fc.option(fc.string(), { nil: undefined }), (c, urid) => {
      const result = selectRole(c as Record<string, unknown>, urid);
      if (result.ok) {
        assert.ok((c.nhsid_nrbac_roles as unknown[]).includes(result.value.role));
        assert.equal(result.value.role.person_roleid, urid || c.selected_roleid);
      }
    }), { numRuns: 2000 });
  });

  it('parseApplicationInput never throws; what it accepts is well-formed', () => {
    const input = fc.record({ name: fc.oneof(fc.string(), json), odsCode: fc.oneof(fc.stringMatching(/^[A-Z0-9]{3,10}$/), json), activities: fc.oneof(fc.array(fc.constantFrom('patient:read', 'identity:admin', 'nope')), json), rateLimit: fc.oneof(fc.integer(), json) }, { requiredKeys: [] });
    fc.assert(fc.property(fc.oneof(input, json), (body) => {
      const result = parseApplicationInput(body);
      if (result.ok) {
        assert.ok(result.value.name.length > 0 && /^[A-Z0-9]{3,10}$/.test(result.value.odsCode));
        assert.ok(result.value.activities.every(isActivity) && Number.isInteger(result.value.rateLimit) && result.value.rateLimit >= 1);
      } else {
        assert.equal(typeof result.problem, 'string');
      }
    }), { numRuns: 2000 });
  });

  it('parseUserInput never throws; what it accepts has distinct, mapped role profiles', () => {
    const profile = fc.record({ roleProfileId: fc.oneof(fc.stringMatching(/^\d{12}$/), json), odsCode: fc.oneof(fc.constant('A83008'), json), roleCode: fc.constantFrom('R8000', 'R8010', 'S8000:G8000:R8000', 'R1', 'nurse') }, { requiredKeys: [] });
    const input = fc.record({ userId: fc.oneof(fc.stringMatching(/^\d{12}$/), json), name: fc.oneof(fc.string(), json), roleProfiles: fc.oneof(fc.array(fc.oneof(profile, json), { maxLength: 4 }), json) }, { requiredKeys: [] });
    fc.assert(fc.property(fc.oneof(input, json), (body) => {
      const result = parseUserInput(body);
      if (result.ok) {
        const ids = result.value.roleProfiles.map((r) => r.roleProfileId);
        assert.equal(new Set(ids).size, ids.length);
        assert.ok(result.value.roleProfiles.every((r) => r.userId === result.value.userId && /R80(00|10)$/.test(r.roleCode)));
      }
    }), { numRuns: 2000 });
  });
});
