import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { generateSigningKey, type GeneratedKeyPair } from '../../src/services/identity/keys.js';
import {
  assertionParts, clientCredentials, CLIENT_ASSERTION_TYPE, json, postToken, principalOf, registerApp, signRaw, type RegisteredApp,
} from './fixtures.js';

/** What an attacker tries against the token endpoint and the admin API, over HTTP. */
describe('identity under attack', () => {
  let spine: TestSpine;
  let app: RegisteredApp;
  let other: RegisteredApp;
  let adminToken: string;
  before(async () => {
    spine = await startTestSpine();
    app = await registerApp(spine);
    other = await registerApp(spine);
    adminToken = (await createAppAndToken(spine, { activities: ['identity:admin'] })).token;
  });
  after(async () => { await spine.close(); });

  const sign = (header: Record<string, unknown>, claims: Record<string, unknown>) => signRaw(header, claims, app.key.privateKeyPem);
  const now = () => Math.floor(Date.now() / 1000);
  const postRaw = (body: string, contentType = 'application/x-www-form-urlencoded') =>
    fetch(`${spine.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const admin = (method: string, path: string, body: unknown) => fetch(`${spine.url}/admin/identity${path}`, {
    method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });

  describe('client assertions', () => {
    it('a NUL in iss (unauthenticated) is an unknown API key, 401, never a 500', async () => {
      const { header, claims } = assertionParts(app);
      const response = await postToken(spine, clientCredentials(sign(header, { ...claims, iss: 'a\u0000b', sub: 'a\u0000b' })));
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, { error: 'invalid_request', error_description: 'Invalid iss/sub claims in JWT' });
    });

    it('a jti holding a NUL is remembered like any other: one token, then Non-unique jti', async () => {
      const { header, claims } = assertionParts(app);
      const assertion = sign(header, { ...claims, jti: `${randomUUID()}\u0000` });
      assert.equal((await postToken(spine, clientCredentials(assertion))).status, 200);
      const replay = await postToken(spine, clientCredentials(assertion));
      assert.deepEqual(replay.body, { error: 'invalid_request', error_description: 'Non-unique jti claim in JWT' });
    });

    it('a jti holding a lone surrogate is refused naming the claim, so two different ones cannot collide as one spent jti', async () => {
      // Found by probing: 'x\uD800' was spent as 'x\uFFFD', so a later, different 'x\uDC00' was refused as Non-unique.
      const stem = randomUUID();
      for (const jti of [`${stem}\ud800`, `${stem}\udc00`]) {
        const { header, claims } = assertionParts(app);
        const response = await postToken(spine, clientCredentials(sign(header, { ...claims, jti })));
        assert.equal(response.status, 400);
        assert.deepEqual(response.body, { error: 'invalid_request', error_description: 'Invalid jti claim in JWT - it holds a lone surrogate, which no UTF-8 text can' });
      }
      const { header, claims } = assertionParts(app);
      assert.equal((await postToken(spine, clientCredentials(sign(header, { ...claims, jti: `${stem}\ud83d\ude00` })))).status, 200, 'a surrogate pair is a character like any other');
    });

    it('an assertion before its nbf gets no token (RFC 7523 §3); after it, one', async () => {
      const early = assertionParts(app);
      const refused = await postToken(spine, clientCredentials(sign(early.header, { ...early.claims, nbf: now() + 120 })));
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body, { error: 'invalid_request', error_description: 'Invalid nbf claim in JWT - JWT is not yet valid' });
      // Refused before its signature and jti are looked at: the same assertion's jti is still unspent.
      assert.equal((await postToken(spine, clientCredentials(sign(early.header, { ...early.claims, nbf: now() - 5 })))).status, 200);
      const odd = assertionParts(app);
      const notANumber = await postToken(spine, clientCredentials(sign(odd.header, { ...odd.claims, nbf: 'soon' })));
      assert.deepEqual(notANumber.body, { error: 'invalid_request', error_description: 'Invalid nbf claim in JWT - must be a number of seconds since the epoch' });
    });

    it("another application's kid is 401 no matching public key, even with that application's own signature", async () => {
      const { header, claims } = assertionParts(app);
      const response = await postToken(spine, clientCredentials(signRaw({ ...header, kid: other.key.kid }, claims, other.key.privateKeyPem)));
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, { error: 'invalid_request', error_description: "Invalid 'kid' header in JWT - no matching public key" });
    });

    it('HS256 keyed with the public key (algorithm confusion) is refused on its alg', async () => {
      const { header, claims } = assertionParts(app);
      const secret = new TextEncoder().encode(JSON.stringify(app.key.publicJwk));
      const forged = await new SignJWT(claims).setProtectedHeader({ ...header, alg: 'HS256' }).sign(secret);
      const response = await postToken(spine, clientCredentials(forged));
      assert.equal(response.status, 400);
      assert.equal(response.body.error_description, "Invalid 'alg' header in JWT - unsupported JWT algorithm - must be 'RS512'");
    });

    it('jku, x5u and an embedded jwk naming the attacker\'s key are never fetched nor trusted', async () => {
      let fetched = 0;
      const server: Server = createServer((_req, res) => { fetched += 1; res.end('{}'); });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
        const attacker: GeneratedKeyPair = await generateSigningKey('RS512', 2048);
        const { header, claims } = assertionParts(app);
        const response = await postToken(spine, clientCredentials(signRaw(
          { ...header, jku: url, x5u: url, jwk: attacker.publicJwk }, claims, attacker.privateKeyPem)));
        assert.equal(response.status, 401);
        assert.equal(response.body.error, 'unknown_error');
        assert.equal(fetched, 0);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('the token request', () => {
    it('one parameter repeated 80,000 times (under 1 MB, no credential) is refused at once, and the server answers others meanwhile', async () => {
      // Found by probing: each repeat copied the list so far, and 30,000 repeats held the event loop 40 s.
      const started = Date.now();
      const flood = postRaw('grant_type=&'.repeat(80_000));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const ping = await fetch(`${spine.url}/_ping`);
      assert.equal(ping.status, 200);
      const refused = await flood;
      assert.equal(refused.status, 400);
      assert.deepEqual(await refused.json(), { error: 'invalid_request', error_description: 'Invalid grant_type' });
      assert.ok(Date.now() - started < 5_000, `answered in ${Date.now() - started} ms`);
    });

    it('a parameter sent twice is refused, even with the same value (RFC 6749 §3.1)', async () => {
      const { header, claims } = assertionParts(app);
      const form = new URLSearchParams(clientCredentials(sign(header, claims)));
      form.append('grant_type', 'client_credentials');
      const twice = await postRaw(form.toString());
      assert.equal(twice.status, 400);
      assert.deepEqual(await twice.json(), { error: 'invalid_request', error_description: 'Invalid grant_type' });
      // Two assertions: which one would have been checked? Neither is.
      const second = assertionParts(other);
      const assertions = new URLSearchParams(clientCredentials(sign(header, { ...claims, jti: randomUUID() })));
      assertions.append('client_assertion', signRaw(second.header, second.claims, other.key.privateKeyPem));
      const response = await postRaw(assertions.toString());
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: 'Invalid client_assertion' });
    });

    it('a JSON body is 415 in the OAuth2 shape: the token endpoint reads forms only (RFC 6749 §3.2)', async () => {
      const { header, claims } = assertionParts(app);
      const response = await postRaw(JSON.stringify(clientCredentials(sign(header, claims))), 'application/json');
      assert.equal(response.status, 415);
      assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: "Unsupported Content-Type 'application/json'" });
    });

    it('a parameter named __proto__ is a parameter like any other', async () => {
      const { header, claims } = assertionParts(app);
      const form = new URLSearchParams(clientCredentials(sign(header, claims)));
      form.append('__proto__', 'x');
      form.append('__proto__', 'y');
      const response = await postRaw(form.toString());
      assert.equal(response.status, 200);
      assert.equal(principalOf((await response.json() as { access_token: string }).access_token).appId, app.appId);
    });
  });

  describe('token exchange with a trusted issuer that signs odd claims', () => {
    const ISSUER = 'https://odd-idp.example.test';
    let key: GeneratedKeyPair;
    before(async () => {
      key = await generateSigningKey('RS256', 2048);
      assert.equal((await admin('PUT', '/trusted-issuers', { issuer: ISSUER, jwks: { keys: [key.publicJwk] }, clientIds: [app.apiKey] })).status, 200);
    });

    async function exchange(claims: Record<string, unknown>, issuer = ISSUER) {
      const idToken = await new SignJWT({ selected_roleid: 'r1', nhsid_nrbac_roles: [{ person_roleid: 'r1', org_code: 'A83008', role_code: 'R8000' }], ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid }).setIssuer(issuer).setSubject((claims.sub as string | undefined) ?? 'u1')
        .setAudience(app.apiKey).setJti((claims.jti as string | undefined) ?? randomUUID()).setIssuedAt().setExpirationTime('5m')
        .sign(await importJWK(key.privateJwk, 'RS256'));
      const { header, claims: assertion } = assertionParts(app);
      return postToken(spine, {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token_type: 'urn:ietf:params:oauth:token-type:id_token', subject_token: idToken,
        client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: sign(header, assertion),
      });
    }

    it('an issuer name holding a NUL is untrusted, never a 500', async () => {
      const response = await exchange({}, 'https://odd\u0000idp');
      assert.equal(response.status, 400);
      assert.equal(response.body.error_description, "Invalid 'iss' claim in subject_token - not a trusted identity provider");
    });

    it('a jti holding a NUL is exchanged once, never a 500', async () => {
      const jti = `${randomUUID()}\u0000`;
      assert.equal((await exchange({ jti })).status, 200);
      assert.match((await exchange({ jti })).body.error_description!, /^Non-unique jti claim in subject_token/);
    });

    it('an ID token whose jti holds a lone surrogate is refused naming the claim', async () => {
      const response = await exchange({ jti: `${randomUUID()}\udfff` });
      assert.equal(response.status, 400);
      assert.equal(response.body.error_description, "Invalid 'jti' claim in subject_token - it holds a lone surrogate, which no UTF-8 text can");
    });

    it('a sub or role with control characters makes no access token (it would fail every audit record)', async () => {
      const badSub = await exchange({ sub: 'u\u0000' });
      assert.equal(badSub.status, 400);
      assert.match(badSub.body.error_description!, /'sub' claim/);
      const badRole = await exchange({ selected_roleid: 'r2', nhsid_nrbac_roles: [{ person_roleid: 'r2', org_code: 'A83\u0000008', role_code: 'R8000' }] });
      assert.equal(badRole.status, 400);
      assert.equal(badRole.body.error_description, "Selected role 'r2' is not one of the user's role profiles");
    });
  });

  describe('keys an operator registers', () => {
    const weak = async (bits: number) => (await generateSigningKey('RS512', bits)).publicJwk;

    it('an application key under 2048 bits, for another algorithm or for encryption is refused, naming the rule', async () => {
      const small = { ...(await weak(1024)) };
      const strong = (await generateSigningKey('RS512', 2048)).publicJwk;
      for (const key of [small, { ...strong, alg: 'RS256' }, { ...strong, use: 'enc' }, { kty: 'RSA', kid: 'k', n: 'AQAB', e: 'AQAB' }, { ...strong, k: 'c2VjcmV0' }]) {
        const response = await admin('POST', '/applications', { name: 'Weak keys', odsCode: 'A83008', jwks: { keys: [key] } });
        assert.equal(response.status, 400, JSON.stringify(key).slice(0, 80));
        const outcome = await response.json() as { issue: Array<{ diagnostics: string }> };
        assert.match(outcome.issue[0]!.diagnostics, /'jwks' must be a JWKS of public RSA keys of at least 2048 bits for RS512/);
      }
      const rotate = await admin('PUT', `/applications/${app.apiKey}/jwks`, { keys: [small] });
      assert.equal(rotate.status, 400);
    });

    it('a trusted issuer\'s symmetric (oct) or short key is refused: its JWKS holds public RSA keys only', async () => {
      for (const key of [{ kty: 'oct', kid: 's', k: 'c2VjcmV0' }, await weak(1024), { ...(await weak(2048)), alg: 'HS256' }]) {
        const response = await admin('PUT', '/trusted-issuers', { issuer: 'https://weak-idp.example.test', jwks: { keys: [key] }, clientIds: ['spine'] });
        assert.equal(response.status, 400);
        assert.match((await response.json() as { issue: Array<{ diagnostics: string }> }).issue[0]!.diagnostics, /public RSA keys of at least 2048 bits for RS256 or RS512/);
      }
      const issuers = (await (await fetch(`${spine.url}/admin/identity/trusted-issuers`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { issuers: Array<{ issuer: string }> };
      assert.ok(!issuers.issuers.some((i) => i.issuer === 'https://weak-idp.example.test'));
    });
  });

  it('the admin API is 401 without a token and 403 with a token lacking identity:admin', async () => {
    const none = await fetch(`${spine.url}/admin/identity/applications`);
    assert.equal(none.status, 401);
    const { token } = await createAppAndToken(spine, { activities: ['patient:read'] });
    const weak = await fetch(`${spine.url}/admin/identity/applications`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: json({ name: 'x', odsCode: 'A83008' }) });
    assert.equal(weak.status, 403);
  });
});
