import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { generateSigningKey } from '../../src/services/identity/keys.js';
import { purgeExpiredJtis } from '../../src/services/identity/store/applications.js';
import {
  assertionParts, clientCredentials, CLIENT_ASSERTION_TYPE, postToken, principalOf, registerApp, signRaw, type RegisteredApp,
} from './fixtures.js';

describe('POST /oauth2/token: client credentials with a signed JWT (NHS England application-restricted)', () => {
  let spine: TestSpine;
  let app: RegisteredApp;
  before(async () => {
    spine = await startTestSpine();
    app = await registerApp(spine, { activities: ['patient:read', 'directory:read'], rateLimit: 77, odsCode: 'B82005' });
  });
  after(async () => { await spine.close(); });

  const sign = (header: Record<string, unknown>, claims: Record<string, unknown>) => signRaw(header, claims, app.key.privateKeyPem);

  /** One request, expecting NHS England's error body exactly. */
  async function expectError(form: Record<string, string>, status: number, description: string, error = 'invalid_request') {
    const response = await postToken(spine, form);
    assert.equal(response.status, status, JSON.stringify(response.body));
    assert.deepEqual(response.body, { error, error_description: description });
    assert.equal(response.headers.get('cache-control'), 'no-store');
  }

  async function expectAssertionError(vary: (parts: ReturnType<typeof assertionParts>) => void, status: number, description: string) {
    const parts = assertionParts(app);
    vary(parts);
    await expectError(clientCredentials(sign(parts.header, parts.claims)), status, description);
  }

  it('a valid assertion gets a 599-second Bearer token carrying the app as principal', async () => {
    const before = Date.now();
    const { header, claims } = assertionParts(app);
    const response = await postToken(spine, clientCredentials(sign(header, claims)));
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body).sort(), ['access_token', 'expires_in', 'issued_at', 'token_type']);
    assert.equal(response.body.expires_in, '599');
    assert.equal(response.body.token_type, 'Bearer');
    assert.match(response.body.issued_at!, /^\d{13}$/);
    assert.ok(Number(response.body.issued_at) >= before - 1000 && Number(response.body.issued_at) <= Date.now() + 1000);
    assert.deepEqual(principalOf(response.body.access_token!), {
      appId: app.appId, apiKey: app.apiKey, appName: 'Test GP system', odsCode: 'B82005',
      accessMode: 'application', activities: ['patient:read', 'directory:read'], rateLimit: 77,
    });
  });

  it('a method other than POST is 405 with Allow: POST, in the OAuth2 shape (RFC 6749 section 3.2)', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const response = await fetch(`${spine.url}/oauth2/token`, { method });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get('allow'), 'POST');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: `${method} is not supported: the token endpoint takes POST (RFC 6749 section 3.2)` });
    }
    const head = await fetch(`${spine.url}/oauth2/token`, { method: 'HEAD' });
    assert.deepEqual([head.status, head.headers.get('allow')], [405, 'POST']);
  });

  it('Missing grant_type', () => expectError({}, 400, 'Missing grant_type'));
  it("Unsupported grant_type 'X'", () => expectError({ grant_type: 'password' }, 400, "Unsupported grant_type 'password'"));
  it('Missing client_assertion_type', () => expectError({ grant_type: 'client_credentials' }, 400,
    "Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
  it('invalid client_assertion_type', () => expectError({ grant_type: 'client_credentials', client_assertion_type: 'jwt' }, 400,
    "Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
  it('Missing client_assertion', () => expectError({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE }, 400, 'Missing client_assertion'));
  it('Malformed JWT in client_assertion', () => expectError(clientCredentials('not-a-jwt'), 400, 'Malformed JWT in client_assertion'));
  it('Failed to decode JWT', () => expectError(clientCredentials('aGVsbG8.d29ybGQ.c2ln'), 400, 'Failed to decode JWT'));

  it("Missing 'alg' header", () => expectAssertionError((p) => { delete p.header.alg; }, 400, "Missing 'alg' header in JWT"));
  it("Invalid 'alg' header (RS256)", () => expectAssertionError((p) => { p.header.alg = 'RS256'; }, 400,
    "Invalid 'alg' header in JWT - unsupported JWT algorithm - must be 'RS512'"));
  it("Invalid 'alg' header (none)", () => expectAssertionError((p) => { p.header.alg = 'none'; }, 400,
    "Invalid 'alg' header in JWT - unsupported JWT algorithm - must be 'RS512'"));
  it("Missing 'kid' header", () => expectAssertionError((p) => { delete p.header.kid; }, 400, "Missing 'kid' header in JWT"));
  it('Missing iss claim', () => expectAssertionError((p) => { delete p.claims.iss; }, 400, 'Missing or non-matching iss/sub claims in JWT'));
  it('non-matching iss/sub claims', () => expectAssertionError((p) => { p.claims.sub = 'someone-else'; }, 400, 'Missing or non-matching iss/sub claims in JWT'));
  it('Missing jti claim', () => expectAssertionError((p) => { delete p.claims.jti; }, 400, 'Missing jti claim in JWT'));
  it('Missing exp claim', () => expectAssertionError((p) => { delete p.claims.exp; }, 400, 'Missing exp claim in JWT'));
  it('an expired assertion', () => expectAssertionError((p) => { p.claims.exp = Math.floor(Date.now() / 1000) - 10; }, 400,
    'Invalid exp claim in JWT - JWT has expired'));
  it('exp more than 5 minutes ahead', () => expectAssertionError((p) => { p.claims.exp = Math.floor(Date.now() / 1000) + 330; }, 400,
    'Invalid exp claim in JWT - more than 5 minutes in future'));

  it("an unknown kid is 401 Invalid 'kid' header", () => expectAssertionError((p) => { p.header.kid = 'no-such-key'; }, 401,
    "Invalid 'kid' header in JWT - no matching public key"));
  it('an unknown API key is 401 Invalid iss/sub claims', () => expectAssertionError((p) => { p.claims.iss = p.claims.sub = 'unknown-api-key'; }, 401,
    'Invalid iss/sub claims in JWT'));
  it('a wrong aud is 401', () => expectAssertionError((p) => { p.claims.aud = 'https://api.service.nhs.uk/oauth2/token'; }, 401,
    'Missing or invalid aud claim in JWT'));
  it('a missing aud is 401', () => expectAssertionError((p) => { delete p.claims.aud; }, 401, 'Missing or invalid aud claim in JWT'));
  it('an aud given as an array is 401 (NHS: the token URL exactly)', () => expectAssertionError((p) => { p.claims.aud = [app.tokenUrl]; }, 401,
    'Missing or invalid aud claim in JWT'));

  it('a signature by another key is 401 unknown_error', async () => {
    const other = await generateSigningKey('RS512', 2048);
    const { header, claims } = assertionParts(app);
    const response = await postToken(spine, clientCredentials(signRaw(header, claims, other.privateKeyPem)));
    assert.equal(response.status, 401);
    assert.equal(response.body.error, 'unknown_error');
    assert.match(response.body.error_description!, /^An unknown error occurred processing this request/);
  });

  it('a replayed jti is refused with Non-unique jti, and a refused assertion does not burn its jti', async () => {
    const { header, claims } = assertionParts(app);
    const forged = signRaw(header, claims, (await generateSigningKey('RS512', 2048)).privateKeyPem);
    assert.equal((await postToken(spine, clientCredentials(forged))).status, 401);
    const assertion = sign(header, claims);
    assert.equal((await postToken(spine, clientCredentials(assertion))).status, 200);
    await expectError(clientCredentials(assertion), 400, 'Non-unique jti claim in JWT');
    // A new assertion with the same jti is a replay too.
    await expectError(clientCredentials(sign(header, { ...claims, exp: (claims.exp as number) - 1 })), 400, 'Non-unique jti claim in JWT');
  });

  it('a huge jti is remembered too', async () => {
    const { header, claims } = assertionParts(app);
    const assertion = sign(header, { ...claims, jti: 'j'.repeat(20_000) });
    assert.equal((await postToken(spine, clientCredentials(assertion))).status, 200);
    await expectError(clientCredentials(assertion), 400, 'Non-unique jti claim in JWT');
  });

  it('used jtis are forgotten once their assertion has expired', async () => {
    const { header, claims } = assertionParts(app);
    assert.equal((await postToken(spine, clientCredentials(sign(header, claims)))).status, 200);
    const count = async () => (await spine.ctx.db.query(`SELECT count(*)::int AS n FROM identity.used_jtis WHERE jti = $1`, [claims.jti])).rows[0].n;
    assert.equal(await count(), 1);
    await purgeExpiredJtis(spine.ctx.db, new Date((claims.exp as number) * 1000 - 1000));
    assert.equal(await count(), 1);
    await purgeExpiredJtis(spine.ctx.db, new Date((claims.exp as number) * 1000 + 1000));
    assert.equal(await count(), 0);
  });

  it('concurrent requests with one jti: exactly one token', async () => {
    const { header, claims } = assertionParts(app);
    const assertion = sign(header, claims);
    const responses = await Promise.all(Array.from({ length: 6 }, () => postToken(spine, clientCredentials(assertion))));
    assert.deepEqual(responses.map((r) => r.status).sort(), [200, 400, 400, 400, 400, 400]);
  });

  it('a JSON body (broken or not) or an XML body is an OAuth2 error, never a 500', async () => {
    const asJson = await fetch(`${spine.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":' });
    assert.equal(asJson.status, 415);
    assert.equal((await asJson.json()).error, 'invalid_request');
    const asXml = await fetch(`${spine.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<grant_type/>' });
    assert.equal(asXml.status, 415);
    assert.equal((await asXml.json()).error, 'invalid_request');
    const empty = await fetch(`${spine.url}/oauth2/token`, { method: 'POST' });
    assert.equal(empty.status, 400);
    assert.deepEqual(await empty.json(), { error: 'invalid_request', error_description: 'Missing grant_type' });
  });
});

describe('jti replay protection holds across processes on one database', () => {
  let first: TestSpine;
  let second: TestSpine;
  before(async () => {
    // Two API processes behind one public URL, as behind a load balancer.
    first = await startTestSpine({ flags: { publicBaseUrl: 'https://spine.example.test' } });
    second = await startTestSpine({ databaseUrl: first.databaseUrl, flags: { publicBaseUrl: 'https://spine.example.test' } });
  });
  after(async () => { await second.close(); await first.close(); });

  it('an assertion used on one process is a replay on the other', async () => {
    const app = await registerApp(first);
    const { header, claims } = assertionParts(app);
    assert.equal(claims.aud, 'https://spine.example.test/oauth2/token');
    const assertion = signRaw(header, { ...claims, jti: randomUUID() }, app.key.privateKeyPem);
    assert.equal((await postToken(first, clientCredentials(assertion))).status, 200);
    const replay = await postToken(second, clientCredentials(assertion));
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error_description, 'Non-unique jti claim in JWT');
  });
});
