import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken, userToken } from '../support/identity.js';
import { assertionParts, clientCredentials, postToken, registerApp, signRaw } from './fixtures.js';

const USERS = '/admin/identity/users';

describe('RBAC on a route that declares an activity (identity:admin)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const get = (token?: string) => fetch(`${spine.url}${USERS}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  async function expectOutcome(response: Response, status: number, code: string, diagnostics: RegExp) {
    assert.equal(response.status, status);
    assert.match(response.headers.get('content-type') ?? '', /application\/fhir\+json/);
    const body = await response.json();
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.equal(body.issue[0].details.coding[0].code, code);
    assert.match(body.issue[0].diagnostics, diagnostics);
  }

  it('no token is 401 ACCESS_DENIED', async () => {
    await expectOutcome(await get(), 401, 'ACCESS_DENIED', /Missing Authorization header/);
  });

  it('a forged or expired token is 401 ACCESS_DENIED', async () => {
    await expectOutcome(await get('eyJhbGciOiJIUzI1NiJ9.eyJwIjp7fX0.c2ln'), 401, 'ACCESS_DENIED', /Invalid or expired access token/);
  });

  it('an application token from /oauth2/token without identity:admin is 403, with it 200', async () => {
    const reader = await registerApp(spine, { activities: ['patient:read'] });
    const parts = assertionParts(reader);
    const denied = await postToken(spine, clientCredentials(signRaw(parts.header, parts.claims, reader.key.privateKeyPem)));
    assert.equal(denied.status, 200);
    await expectOutcome(await get(denied.body.access_token), 403, 'ACCESS_DENIED', /application Test GP system is not permitted 'identity:admin'/);

    const admin = await registerApp(spine, { activities: ['identity:admin'] });
    const adminParts = assertionParts(admin);
    const granted = await postToken(spine, clientCredentials(signRaw(adminParts.header, adminParts.claims, admin.key.privateKeyPem)));
    const ok = await get(granted.body.access_token);
    assert.equal(ok.status, 200);
    const body = await ok.json() as { users: Array<{ userId: string }> };
    assert.ok(body.users.some((u) => u.userId === '555000000001'));
  });

  it('user roles: a clerk (R8010) is 403, the Spine administrator role is 200', async () => {
    await expectOutcome(await get((await userToken(spine, { roleCode: 'R8010' })).token), 403, 'ACCESS_DENIED', /role R8010 is not permitted/);
    assert.equal((await get((await userToken(spine, { roleCode: 'R9902' })).token)).status, 200);
  });
});

describe('per-application rate limits', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('over the app\'s requests per second is 429 TOO_MANY_REQUESTS with Retry-After; other apps are unaffected', async () => {
    const limited = await createAppAndToken(spine, { activities: ['identity:admin'], rateLimit: 3 });
    const other = await createAppAndToken(spine, { activities: ['identity:admin'], rateLimit: 1000 });
    const call = (token: string) => fetch(`${spine.url}${USERS}`, { headers: { authorization: `Bearer ${token}` } });
    const responses = await Promise.all(Array.from({ length: 12 }, () => call(limited.token)));
    const statuses = responses.map((r) => r.status);
    // 12 requests span at most two one-second windows: at most 6 pass.
    assert.ok(statuses.filter((s) => s === 200).length <= 6, statuses.join());
    assert.ok(statuses.every((s) => s === 200 || s === 429), statuses.join());
    const throttled = responses.find((r) => r.status === 429)!;
    assert.match(throttled.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    const body = await throttled.json();
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.equal(body.issue[0].code, 'throttled');
    assert.equal(body.issue[0].details.coding[0].code, 'TOO_MANY_REQUESTS');
    assert.match(body.issue[0].diagnostics, /limited to 3 requests per second/);
    await Promise.all(responses.filter((r) => !r.bodyUsed).map((r) => r.arrayBuffer()));

    assert.equal((await call(other.token)).status, 200);
    await sleep(1100);
    assert.equal((await call(limited.token)).status, 200);
  });

  it('routes without an activity are not counted', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${spine.url}/_ping`)));
    assert.ok(responses.every((r) => r.status === 200));
  });
});
