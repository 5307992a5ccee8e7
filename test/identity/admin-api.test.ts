import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { generateSigningKey } from '../../src/services/identity/keys.js';
import { assertionParts, clientCredentials, json, postToken, principalOf, signRaw } from './fixtures.js';

describe('identity admin API', () => {
  let spine: TestSpine;
  let token: string;
  before(async () => {
    spine = await startTestSpine();
    token = (await createAppAndToken(spine, { activities: ['identity:admin'] })).token;
  });
  after(async () => { await spine.close(); });

  const call = (method: string, path: string, body?: unknown) => fetch(`${spine.url}/admin/identity${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : json(body),
  });

  async function expectInvalid(response: Response, status: number, code: string, diagnostics: RegExp) {
    assert.equal(response.status, status);
    const outcome = await response.json();
    assert.equal(outcome.resourceType, 'OperationOutcome');
    assert.equal(outcome.issue[0].details.coding[0].code, code);
    assert.match(outcome.issue[0].diagnostics, diagnostics);
  }

  it('registers an application with its JWKS, lists it, and the app can then get tokens', async () => {
    const key = await generateSigningKey('RS512', 2048);
    const created = await call('POST', '/applications', {
      name: 'Pharmacy system', odsCode: 'FA565', activities: ['patient:read', 'messaging:use'], rateLimit: 20, jwks: { keys: [key.publicJwk] },
    });
    assert.equal(created.status, 201);
    const body = await created.json();
    assert.equal(body.privateKeyPem, undefined, 'a supplied JWKS means no key is generated');
    assert.match(body.application.apiKey, /^[0-9a-f]{32}$/);
    // Registered without a CIS2 client id, its users' ID tokens name its API key.
    assert.equal(body.application.cis2ClientId, body.application.apiKey);
    assert.deepEqual({ ...body.application, appId: undefined, apiKey: undefined, createdAt: undefined, cis2ClientId: undefined }, {
      appId: undefined, apiKey: undefined, createdAt: undefined, cis2ClientId: undefined, name: 'Pharmacy system', odsCode: 'FA565',
      activities: ['patient:read', 'messaging:use'], rateLimit: 20,
      jwks: { keys: [{ kty: 'RSA', kid: key.kid, n: key.publicJwk.n, e: key.publicJwk.e, alg: 'RS512', use: 'sig' }] },
    });
    const listed = await (await call('GET', '/applications')).json();
    assert.ok(listed.applications.some((a: { apiKey: string }) => a.apiKey === body.application.apiKey));

    const app = { apiKey: body.application.apiKey, appId: body.application.appId, key, tokenUrl: `${spine.config.publicBaseUrl}/oauth2/token` };
    const parts = assertionParts(app);
    const granted = await postToken(spine, clientCredentials(signRaw(parts.header, parts.claims, key.privateKeyPem)));
    assert.equal(granted.status, 200);
    assert.deepEqual(principalOf(granted.body.access_token!).activities, ['patient:read', 'messaging:use']);
  });

  it('key rotation: after the JWKS is replaced the old kid is 401 and the new key works', async () => {
    const oldKey = await generateSigningKey('RS512', 2048);
    const created = await (await call('POST', '/applications', { name: 'Rotating', odsCode: 'A83008', jwks: { keys: [oldKey.publicJwk] } })).json();
    const apiKey = created.application.apiKey as string;
    const newKey = await generateSigningKey('RS512', 2048);
    const tokenUrl = `${spine.config.publicBaseUrl}/oauth2/token`;
    const tryKey = (key: typeof oldKey) => {
      const parts = assertionParts({ apiKey, appId: created.application.appId, key, tokenUrl });
      return postToken(spine, clientCredentials(signRaw(parts.header, parts.claims, key.privateKeyPem)));
    };
    assert.equal((await tryKey(oldKey)).status, 200);
    const rotated = await call('PUT', `/applications/${apiKey}/jwks`, { keys: [newKey.publicJwk] });
    assert.equal(rotated.status, 200);
    assert.deepEqual((await rotated.json()).jwks.keys.map((k: { kid: string }) => k.kid), [newKey.kid]);
    assert.deepEqual((await tryKey(oldKey)).body, { error: 'invalid_request', error_description: "Invalid 'kid' header in JWT - no matching public key" });
    assert.equal((await tryKey(newKey)).status, 200);
    assert.deepEqual((await (await call('GET', `/applications/${apiKey}`)).json()).jwks.keys.map((k: { kid: string }) => k.kid), [newKey.kid]);
    await expectInvalid(await call('PUT', '/applications/nope/jwks', { keys: [newKey.publicJwk] }), 404, 'RESOURCE_NOT_FOUND', /nope/);
    await expectInvalid(await call('PUT', `/applications/${apiKey}/jwks`, { keys: [newKey.publicJwk, newKey.publicJwk] }), 400, 'INVALID_VALUE', /own 'kid'/);
    await expectInvalid(await call('GET', '/applications/nope'), 404, 'RESOURCE_NOT_FOUND', /nope/);
  });

  it('without a JWKS the Spine generates the key pair and returns the private key once', async () => {
    const created = await call('POST', '/applications', { name: 'Generated', odsCode: 'A83008' });
    assert.equal(created.status, 201);
    const body = await created.json();
    assert.match(body.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(body.application.jwks.keys[0].kid, body.kid);
    assert.equal(body.application.rateLimit, 50);
    assert.deepEqual(body.application.activities, ['patient:read', 'patient:search', 'patient:write', 'patient:create', 'messaging:use', 'directory:read']);
    const listed = await (await call('GET', '/applications')).text();
    assert.ok(!listed.includes('PRIVATE KEY') && !listed.includes('"d"'), 'private keys are never listed');
  });

  it('bad application input is 400 INVALID_VALUE naming the problem, and nothing is stored', async () => {
    const before = (await (await call('GET', '/applications')).json()).applications.length;
    await expectInvalid(await call('POST', '/applications', { name: 'X', odsCode: 'not an ods' }), 400, 'INVALID_VALUE', /'odsCode' must be an ODS code/);
    await expectInvalid(await call('POST', '/applications', { name: 'X', odsCode: 'A83008', activities: ['patient:fly'] }), 400, 'INVALID_VALUE', /^Invalid value - 'patient:fly' in field 'activities\/0'$/);
    await expectInvalid(await call('POST', '/applications', { name: 7, odsCode: 'A83008' }), 400, 'INVALID_VALUE', /^Invalid value - '7' in field 'name'$/);
    await expectInvalid(await call('POST', '/applications', { name: 'X', odsCode: 'A83008', rateLimit: '5' }), 400, 'INVALID_VALUE', /^Invalid value - '5' in field 'rateLimit'$/);
    await expectInvalid(await call('POST', '/applications', { name: 'X', odsCode: 'A83008', pets: 1 }), 400, 'INVALID_VALUE', /Additional properties are not allowed \('pets' was unexpected\)/);
    await expectInvalid(await call('POST', '/applications', { name: 'X', odsCode: 'A83008', rateLimit: 0 }), 400, 'INVALID_VALUE', /'rateLimit'/);
    await expectInvalid(await call('POST', '/applications', { name: '', odsCode: 'A83008' }), 400, 'INVALID_VALUE', /'name'/);
    const privateJwk = (await generateSigningKey('RS512', 2048)).privateJwk;
    await expectInvalid(await call('POST', '/applications', { name: 'X', odsCode: 'A83008', jwks: { keys: [privateJwk] } }), 400, 'INVALID_VALUE', /public RSA keys/);
    await expectInvalid(await call('POST', '/applications', '[1,2'), 400, 'MESSAGE_NOT_WELL_FORMED', /could not be parsed/);
    assert.equal((await (await call('GET', '/applications')).json()).applications.length, before);
  });

  it('creates users with role profiles, adds a role profile, and lists them', async () => {
    const created = await call('POST', '/users', {
      userId: '555123456789', name: 'Dr Test', roleProfiles: [{ roleProfileId: '555123456001', odsCode: 'A83008', roleCode: 'S8000:G8000:R8000' }],
    });
    assert.equal(created.status, 201);
    assert.deepEqual(await created.json(), {
      userId: '555123456789', name: 'Dr Test',
      roleProfiles: [{ roleProfileId: '555123456001', userId: '555123456789', odsCode: 'A83008', roleCode: 'S8000:G8000:R8000' }],
    });
    const added = await call('POST', '/users/555123456789/role-profiles', { odsCode: 'RQI', roleCode: 'R8003' });
    assert.equal(added.status, 201);
    const profile = await added.json();
    assert.match(profile.roleProfileId, /^\d{12}$/);
    const user = await (await call('GET', '/users/555123456789')).json();
    assert.equal(user.roleProfiles.length, 2);
    const users = (await (await call('GET', '/users')).json()).users as Array<{ userId: string }>;
    assert.ok(users.some((u) => u.userId === '555123456789'));
    // Who changed who may call the Spine is on the (platform) audit trail.
    const { rows } = await spine.ctx.db.query(
      `SELECT action, resource, app_name, outcome FROM audit.events WHERE resource = 'User/555123456789' ORDER BY seq`);
    assert.deepEqual(rows, [
      { action: 'identity.user.create', resource: 'User/555123456789', app_name: 'Test application', outcome: 'success' },
      { action: 'identity.role-profile.create', resource: 'User/555123456789', app_name: 'Test application', outcome: 'success' },
    ]);
  });

  it('duplicates are 409, unknown users 404, unmapped roles 400, and a failed create leaves no half user', async () => {
    await expectInvalid(await call('POST', '/users', { userId: '555000000001', name: 'Again' }), 409, 'DUPLICATE_RESOURCE', /already exists/);
    await expectInvalid(await call('GET', '/users/nobody'), 404, 'RESOURCE_NOT_FOUND', /No user with id 'nobody'/);
    await expectInvalid(await call('POST', '/users/nobody/role-profiles', { odsCode: 'A83008', roleCode: 'R8000' }), 404, 'RESOURCE_NOT_FOUND', /nobody/);
    await expectInvalid(await call('POST', '/users', { name: 'X', roleProfiles: [{ odsCode: 'A83008', roleCode: 'R1234' }] }), 400, 'INVALID_VALUE', /'roleCode'/);
    // The second role profile id is taken by a demo user: the whole create rolls back.
    const clash = await call('POST', '/users', { userId: '555999999999', name: 'Clash', roleProfiles: [
      { roleProfileId: '555999999001', odsCode: 'A83008', roleCode: 'R8000' }, { roleProfileId: '555000000101', odsCode: 'A83008', roleCode: 'R8000' },
    ] });
    await expectInvalid(clash, 409, 'DUPLICATE_RESOURCE', /Role profile '555000000101'/);
    assert.equal((await call('GET', '/users/555999999999')).status, 404);
  });

  it('trusted issuers: a private key or the demo issuer\'s name is refused', async () => {
    const key = await generateSigningKey('RS256', 2048);
    await expectInvalid(await call('PUT', '/trusted-issuers', { issuer: 'https://idp.test', jwks: { keys: [key.privateJwk] }, clientIds: ['spine'] }), 400, 'INVALID_VALUE', /public RSA keys/);
    await expectInvalid(await call('PUT', '/trusted-issuers', { issuer: 'urn:openspine:demo-cis2', jwks: { keys: [key.publicJwk] }, clientIds: ['spine'] }), 400, 'INVALID_VALUE', /demo issuer/);
    assert.equal((await call('PUT', '/trusted-issuers', { issuer: 'https://idp.test', jwks: { keys: [key.publicJwk] }, clientIds: ['spine'] })).status, 200);
    const issuers = (await (await call('GET', '/trusted-issuers')).json()).issuers as Array<{ issuer: string }>;
    assert.deepEqual(issuers.map((i) => i.issuer).sort(), ['https://idp.test', 'urn:openspine:demo-cis2']);
  });

  it('demo ID tokens: unknown users are 404 and a role that is not the user\'s is 400', async () => {
    await expectInvalid(await call('POST', '/demo-id-tokens', { userId: 'nobody' }), 404, 'RESOURCE_NOT_FOUND', /nobody/);
    await expectInvalid(await call('POST', '/demo-id-tokens', { userId: '555000000001', roleProfileId: '555000000102' }), 400, 'INVALID_VALUE', /not one of/);
    await expectInvalid(await call('POST', '/demo-id-tokens', { userId: 42 }), 400, 'INVALID_VALUE', /'userId'/);
  });
});
