import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { generateSigningKey, type GeneratedKeyPair } from '../../src/services/identity/keys.js';
import { json } from './fixtures.js';

/** The identity admin API quotes refused values in part, and stores of a JWKS only what verifying uses. */
describe('identity admin API: quoted values and stored keys', () => {
  let spine: TestSpine;
  let token: string;
  let key: GeneratedKeyPair;
  before(async () => {
    spine = await startTestSpine();
    token = (await createAppAndToken(spine, { activities: ['identity:admin'] })).token;
    key = await generateSigningKey('RS256', 2048);
  });
  after(async () => { await spine.close(); });

  const call = (method: string, path: string, body?: unknown) => fetch(`${spine.url}/admin/identity${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : json(body),
  });
  const diagnosticsOf = async (response: Response) => (await response.json()).issue[0].diagnostics as string;
  const big = 'x'.repeat(1_000_000);

  it('a huge value refused at the door is quoted by its first 100 characters and its length, not echoed', async () => {
    const activity = await call('POST', '/applications', { name: 'X', odsCode: 'A83008', activities: [big] });
    assert.equal(activity.status, 400);
    assert.equal(await diagnosticsOf(activity), `Invalid value - '${'x'.repeat(100)}… (1000000 characters)' in field 'activities/0'`);
    const demoUser = await call('POST', '/demo-id-tokens', { userId: big });
    assert.equal(demoUser.status, 400);
    assert.equal(await diagnosticsOf(demoUser), `Invalid value - '${'x'.repeat(100)}… (1000000 characters)' in field 'userId'`);
    const unknownUser = await call('GET', `/users/${'u'.repeat(300)}`);
    assert.equal(unknownUser.status, 404);
    assert.equal(await diagnosticsOf(unknownUser), `No user with id '${'u'.repeat(100)}… (300 characters)'`);
  });

  it('a trusted issuer\'s keys are stored and listed with their public members only', async () => {
    const response = await call('PUT', '/trusted-issuers', { issuer: 'https://junk-idp.example.test', jwks: { keys: [{ ...key.publicJwk, junk: big.slice(0, 100_000), x5c: ['abc'] }] }, clientIds: ['spine'] });
    assert.equal(response.status, 200);
    assert.deepEqual((await response.json()).jwks, { keys: [key.publicJwk] });
    const { rows } = await spine.ctx.db.query(`SELECT jwks FROM identity.trusted_issuers WHERE issuer = 'https://junk-idp.example.test'`);
    assert.deepEqual(rows[0].jwks, { keys: [key.publicJwk] });
  });

  it('a JWKS of more than 20 keys, a kid past 200 characters, a modulus past 16384 bits or more than 50 role profiles is refused', async () => {
    const many = await call('PUT', '/trusted-issuers', { issuer: 'https://many.example.test', jwks: { keys: Array.from({ length: 21 }, () => key.publicJwk) }, clientIds: ['spine'] });
    assert.equal(many.status, 400);
    const longKid = await call('PUT', '/trusted-issuers', { issuer: 'https://kid.example.test', jwks: { keys: [{ ...key.publicJwk, kid: 'k'.repeat(201) }] }, clientIds: ['spine'] });
    assert.equal(longKid.status, 400);
    const hugeModulus = `w${'A'.repeat(200_000)}`;
    const modulus = await call('PUT', '/trusted-issuers', { issuer: 'https://n.example.test', jwks: { keys: [{ ...key.publicJwk, n: hugeModulus }] }, clientIds: ['spine'] });
    assert.equal(modulus.status, 400);
    const appKey = await generateSigningKey('RS512', 2048);
    const app = await call('POST', '/applications', { name: 'X', odsCode: 'A83008', jwks: { keys: [{ ...appKey.publicJwk, n: hugeModulus }] } });
    assert.equal(app.status, 400);
    const manyRoles = await call('POST', '/users', { userId: 'many-roles', name: 'M', roleProfiles: Array.from({ length: 51 }, (_v, i) => ({ roleProfileId: `rp-${i}`, odsCode: 'A83008', roleCode: 'R8000' })) });
    assert.equal(manyRoles.status, 400, 'more than 50 role profiles: each is listed in every ID token of the user');
    assert.equal((await call('GET', '/users/many-roles')).status, 404);
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM identity.trusted_issuers WHERE issuer LIKE 'https://%.example.test' AND issuer <> 'https://junk-idp.example.test'`);
    assert.equal(rows[0].n, 0);
  });

  it('a user or role profile whose drawn id is taken draws another: 201, where it was 409 for a body naming no id', async () => {
    // newSdsId draws from 10^8 with crypto.randomInt: these draws are queued, each clash drawn twice.
    const draws = [40_001, 40_001, 40_002, 40_003, 40_003, 40_004];
    const randomInt = crypto.randomInt;
    mock.method(crypto, 'randomInt', (...args: Parameters<typeof randomInt>) => (draws.length > 0 ? draws.shift() : (randomInt as (...a: unknown[]) => unknown)(...args)));
    syncBuiltinESMExports();
    try {
      const first = await call('POST', '/users', { name: 'First' });
      assert.equal(first.status, 201);
      assert.equal((await first.json()).userId, '555000040001');
      const second = await call('POST', '/users', { name: 'Second' });
      assert.equal(second.status, 201, 'its first draw is the first user\'s id');
      assert.equal((await second.json()).userId, '555000040002');
      const role = await call('POST', '/users/555000040001/role-profiles', { odsCode: 'A83008', roleCode: 'R8000' });
      assert.equal(role.status, 201);
      assert.equal((await role.json()).roleProfileId, '555000040003');
      const another = await call('POST', '/users/555000040002/role-profiles', { odsCode: 'A83008', roleCode: 'R8000' });
      assert.equal(another.status, 201, 'its first draw is the first role profile\'s id');
      assert.equal((await another.json()).roleProfileId, '555000040004');
      assert.deepEqual(draws, []);
    } finally {
      mock.restoreAll();
      syncBuiltinESMExports();
    }
    // An id the body names is refused at once when taken, as before.
    const named = await call('POST', '/users', { userId: '555000040001', name: 'Again' });
    assert.equal(named.status, 409);
  });
});
