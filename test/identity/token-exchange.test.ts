import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { generateSigningKey } from '../../src/services/identity/keys.js';
import { DEMO_ISSUER } from '../../src/services/identity/demo-issuer.js';
import { assertionParts, CLIENT_ASSERTION_TYPE, json, postToken, principalOf, registerApp, signRaw, type RegisteredApp } from './fixtures.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

describe('POST /oauth2/token: token exchange of a CIS2-style ID token (user-restricted)', () => {
  let spine: TestSpine;
  let app: RegisteredApp;
  let adminToken: string;
  before(async () => {
    spine = await startTestSpine();
    app = await registerApp(spine, { activities: ['patient:read', 'patient:search', 'patient:write', 'patient:create', 'directory:read'], rateLimit: 500 });
    adminToken = (await createAppAndToken(spine, { activities: ['identity:admin'] })).token;
  });
  after(async () => { await spine.close(); });

  function exchangeForm(idToken: string, by: RegisteredApp = app): Record<string, string> {
    const { header, claims } = assertionParts(by);
    return {
      grant_type: TOKEN_EXCHANGE,
      subject_token_type: ID_TOKEN_TYPE,
      subject_token: idToken,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: signRaw(header, claims, by.key.privateKeyPem),
    };
  }

  /** A demo ID token addressed to `clientId` (default: the test app's CIS2 client id, its API key). */
  async function demoIdToken(userId: string, roleProfileId?: string, clientId = app.apiKey): Promise<string> {
    const response = await fetch(`${spine.url}/admin/identity/demo-id-tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: json({ userId, roleProfileId, clientId }),
    });
    assert.equal(response.status, 200);
    const body = await response.json() as { issuer: string; id_token: string };
    assert.equal(body.issuer, DEMO_ISSUER);
    return body.id_token;
  }

  it('the demo GP in the role the ID token selects gets a user principal with that role\'s activities', async () => {
    const response = await postToken(spine, exchangeForm(await demoIdToken('555000000001', '555000000101')));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.expires_in, '599');
    assert.equal(response.body.token_type, 'Bearer');
    const principal = principalOf(response.body.access_token!);
    assert.deepEqual({ ...principal, activities: undefined }, {
      appId: app.appId, apiKey: app.apiKey, appName: 'Test GP system', odsCode: 'A83008', accessMode: 'user',
      userId: '555000000001', roleProfileId: '555000000101', roleCode: 'R8000', rateLimit: 500, activities: undefined,
    });
    assert.ok((principal.activities as string[]).includes('patient:write'));
    // R8000 also grants messaging and audit:read, which this app is not registered for.
    assert.deepEqual(principal.activities, ['patient:read', 'patient:search', 'patient:write', 'patient:create', 'directory:read']);
  });

  it('a user\'s role never widens what the application itself may do', async () => {
    const narrowApp = await registerApp(spine, { activities: ['directory:read'], rateLimit: 500 });
    const response = await postToken(spine, exchangeForm(await demoIdToken('555000000001', '555000000101', narrowApp.apiKey), narrowApp));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(principalOf(response.body.access_token!).activities, ['directory:read']);
  });

  it('NHSD-Session-URID picks another of the user\'s roles, with its organisation and activities', async () => {
    const response = await postToken(spine, exchangeForm(await demoIdToken('555000000001', '555000000101')), { 'NHSD-Session-URID': '555000000111' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const principal = principalOf(response.body.access_token!);
    assert.equal(principal.roleProfileId, '555000000111');
    assert.equal(principal.roleCode, 'R8001');
    assert.equal(principal.odsCode, 'Y12345');
    assert.ok(!(principal.activities as string[]).includes('patient:create'));
  });

  it('a role that is not the user\'s is refused', async () => {
    const response = await postToken(spine, exchangeForm(await demoIdToken('555000000001')), { 'NHSD-Session-URID': '555000000102' });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { error: 'invalid_request', error_description: "Selected role '555000000102' is not one of the user's role profiles" });
  });

  it('no selected role at all is refused', async () => {
    const response = await postToken(spine, exchangeForm(await demoIdToken('555000000002')));
    assert.equal(response.status, 400);
    assert.equal(response.body.error_description, "No role selected: send the NHSD-Session-URID header or a 'selected_roleid' claim");
  });

  it('an ID token from an untrusted issuer is refused', async () => {
    const key = await generateSigningKey('RS256', 2048);
    const idToken = await new SignJWT({ selected_roleid: 'r1', nhsid_nrbac_roles: [{ person_roleid: 'r1', org_code: 'A83008', role_code: 'R8000' }] })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid }).setIssuer('https://cis2.example.test').setSubject('u1').setAudience(app.apiKey)
      .setJti(randomUUID()).setIssuedAt().setExpirationTime('5m').sign(await importJWK(key.privateJwk, 'RS256'));
    const response = await postToken(spine, exchangeForm(idToken));
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { error: 'invalid_request', error_description: "Invalid 'iss' claim in subject_token - not a trusted identity provider" });

    // Once an operator trusts the issuer's keys, the same token is exchanged.
    const trust = await fetch(`${spine.url}/admin/identity/trusted-issuers`, {
      method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: json({ issuer: 'https://cis2.example.test', jwks: { keys: [key.publicJwk] }, clientIds: [app.apiKey] }),
    });
    assert.equal(trust.status, 200);
    const accepted = await postToken(spine, exchangeForm(idToken));
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(principalOf(accepted.body.access_token!).userId, 'u1');
  });

  it('an expired ID token is refused', async () => {
    const key = await generateSigningKey('RS256', 2048);
    const trust = await fetch(`${spine.url}/admin/identity/trusted-issuers`, {
      method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: json({ issuer: 'https://old-idp.example.test', jwks: { keys: [key.publicJwk] }, clientIds: ['spine-client'] }),
    });
    assert.equal(trust.status, 200);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ selected_roleid: 'r1', nhsid_nrbac_roles: [{ person_roleid: 'r1', org_code: 'A83008', role_code: 'R8000' }] })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid }).setIssuer('https://old-idp.example.test').setSubject('u1')
      .setIssuedAt(now - 1200).setExpirationTime(now - 600).sign(await importJWK(key.privateJwk, 'RS256'));
    const response = await postToken(spine, exchangeForm(expired));
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'invalid_request');
    assert.match(response.body.error_description!, /^Invalid subject_token: .*exp/);
  });

  it('an ID token claiming the demo issuer but signed by another key is refused', async () => {
    const key = await generateSigningKey('RS256', 2048);
    const forged = await new SignJWT({ selected_roleid: '555000000104', nhsid_nrbac_roles: [{ person_roleid: '555000000104', org_code: 'X26', role_code: 'R9902' }] })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid }).setIssuer(DEMO_ISSUER).setSubject('555000000004')
      .setIssuedAt().setExpirationTime('5m').sign(await importJWK(key.privateJwk, 'RS256'));
    const response = await postToken(spine, exchangeForm(forged));
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'invalid_request');
    assert.match(response.body.error_description!, /^Invalid subject_token: /);
  });

  it('subject_token_type and subject_token are required', async () => {
    const form = exchangeForm('x.y.z');
    const wrongType = await postToken(spine, { ...form, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
    assert.deepEqual(wrongType.body, { error: 'invalid_request', error_description: "Missing or invalid subject_token_type - must be 'urn:ietf:params:oauth:token-type:id_token'" });
    const { subject_token: _, ...withoutToken } = form;
    const missing = await postToken(spine, withoutToken);
    assert.deepEqual(missing.body, { error: 'invalid_request', error_description: 'Missing subject_token' });
    const garbage = await postToken(spine, exchangeForm('not a jwt'));
    assert.deepEqual(garbage.body, { error: 'invalid_request', error_description: 'subject_token is not a well-formed JWT' });
  });

  it('the client assertion is still required and checked', async () => {
    const form = exchangeForm(await demoIdToken('555000000001', '555000000101'));
    const response = await postToken(spine, { ...form, client_assertion: 'garbage' });
    assert.deepEqual(response.body, { error: 'invalid_request', error_description: 'Malformed JWT in client_assertion' });
  });

  describe('an ID token is for the one application its aud names, once', () => {
    let key: Awaited<ReturnType<typeof generateSigningKey>>;
    let otherApp: RegisteredApp;
    const ISSUER = 'https://cis2-aud.example.test';
    before(async () => {
      key = await generateSigningKey('RS256', 2048);
      otherApp = await registerApp(spine, { activities: ['patient:read'], rateLimit: 500 });
      const trust = await fetch(`${spine.url}/admin/identity/trusted-issuers`, {
        method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: json({ issuer: ISSUER, jwks: { keys: [key.publicJwk] }, clientIds: [app.apiKey, otherApp.apiKey, 'cis2-named-client'] }),
      });
      assert.equal(trust.status, 200);
    });

    async function idToken(claims: { aud?: string | string[]; jti?: string | null }, issuer = ISSUER): Promise<string> {
      const jwt = new SignJWT({ selected_roleid: 'r1', nhsid_nrbac_roles: [{ person_roleid: 'r1', org_code: 'A83008', role_code: 'R8000' }] })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid }).setIssuer(issuer).setSubject('u2').setIssuedAt().setExpirationTime('5m');
      if (claims.aud !== undefined) jwt.setAudience(claims.aud);
      if (claims.jti !== null) jwt.setJti(claims.jti ?? randomUUID());
      return jwt.sign(await importJWK(key.privateJwk, 'RS256'));
    }

    // NHS England's token endpoint: 'Missing aud claim in JWT', and 'subject_token is invalid' for one it refuses.
    const MISSING_AUD = { error: 'invalid_request', error_description: 'Missing aud claim in JWT' };
    const NOT_FOR_THIS_APP = { error: 'invalid_request', error_description: 'subject_token is invalid' };

    it("another application's ID token is refused, and exchanged by the application it names", async () => {
      const token = await idToken({ aud: otherApp.apiKey });
      const stolen = await postToken(spine, exchangeForm(token));
      assert.equal(stolen.status, 400);
      assert.deepEqual(stolen.body, NOT_FOR_THIS_APP);
      const own = await postToken(spine, exchangeForm(token, otherApp));
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.deepEqual({ appId: principalOf(own.body.access_token!).appId, userId: principalOf(own.body.access_token!).userId }, { appId: otherApp.appId, userId: 'u2' });
    });

    it('a demo ID token addressed to another application is refused', async () => {
      const response = await postToken(spine, exchangeForm(await demoIdToken('555000000001', '555000000101', otherApp.apiKey)));
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, NOT_FOR_THIS_APP);
    });

    it('an ID token addressed to a client of no application is refused', async () => {
      const response = await postToken(spine, exchangeForm(await idToken({ aud: 'someone-elses-client' })));
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, NOT_FOR_THIS_APP);
    });

    it('an ID token addressed to no client is refused', async () => {
      const response = await postToken(spine, exchangeForm(await idToken({})));
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, MISSING_AUD);
      const empty = await postToken(spine, exchangeForm(await idToken({ aud: [] })));
      assert.deepEqual(empty.body, MISSING_AUD);
    });

    it('an audience list naming the exchanging application among others is accepted', async () => {
      const response = await postToken(spine, exchangeForm(await idToken({ aud: ['other', app.apiKey] })));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(principalOf(response.body.access_token!).userId, 'u2');
    });

    it('an audience list naming only other applications is refused', async () => {
      const response = await postToken(spine, exchangeForm(await idToken({ aud: [otherApp.apiKey, 'someone-elses-client'] })));
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, NOT_FOR_THIS_APP);
    });

    it('an issuer not registered for the application cannot sign in for it, even naming it in aud', async () => {
      const stranger = 'https://other-apps-idp.example.test';
      const trust = await fetch(`${spine.url}/admin/identity/trusted-issuers`, {
        method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: json({ issuer: stranger, jwks: { keys: [key.publicJwk] }, clientIds: [otherApp.apiKey] }),
      });
      assert.equal(trust.status, 200);
      const response = await postToken(spine, exchangeForm(await idToken({ aud: app.apiKey }, stranger)));
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, NOT_FOR_THIS_APP);
    });

    it('an application registered with a CIS2 client id exchanges ID tokens naming that id, not its API key', async () => {
      const named = await registerApp(spine, { activities: ['patient:read'], rateLimit: 500, cis2ClientId: 'cis2-named-client' });
      const byClientId = await postToken(spine, exchangeForm(await idToken({ aud: 'cis2-named-client' }), named));
      assert.equal(byClientId.status, 200, JSON.stringify(byClientId.body));
      assert.equal(principalOf(byClientId.body.access_token!).appId, named.appId);
      const byApiKey = await postToken(spine, exchangeForm(await idToken({ aud: named.apiKey }), named));
      assert.deepEqual(byApiKey.body, NOT_FOR_THIS_APP);
    });

    it('an administrator changes the CIS2 client id an application answers to (and back to its API key); a taken one is 409, the change audited', async () => {
      const moving = await registerApp(spine, { activities: ['patient:read'], rateLimit: 500, cis2ClientId: 'cis2-before' });
      // The identity provider serves the application under each of the ids it will have.
      const trust = await fetch(`${spine.url}/admin/identity/trusted-issuers`, {
        method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: json({ issuer: ISSUER, jwks: { keys: [key.publicJwk] }, clientIds: [app.apiKey, otherApp.apiKey, 'cis2-named-client', 'cis2-before', 'cis2-after', moving.apiKey] }),
      });
      assert.equal(trust.status, 200);
      assert.equal((await postToken(spine, exchangeForm(await idToken({ aud: 'cis2-before' }), moving))).status, 200);
      const setClientId = (apiKey: string, cis2ClientId: unknown) => fetch(`${spine.url}/admin/identity/applications/${apiKey}/cis2-client-id`, {
        method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: json({ cis2ClientId }),
      });
      const changed = await setClientId(moving.apiKey, 'cis2-after');
      assert.equal(changed.status, 200);
      assert.equal((await changed.json()).cis2ClientId, 'cis2-after');
      const byNewId = await postToken(spine, exchangeForm(await idToken({ aud: 'cis2-after' }), moving));
      assert.equal(byNewId.status, 200, JSON.stringify(byNewId.body));
      assert.deepEqual((await postToken(spine, exchangeForm(await idToken({ aud: 'cis2-before' }), moving))).body, NOT_FOR_THIS_APP);

      // Another application's id, or its API key (its id by default), is taken.
      for (const taken of ['cis2-named-client', otherApp.apiKey]) {
        const refused = await setClientId(moving.apiKey, taken);
        assert.equal(refused.status, 409, taken);
        assert.equal((await refused.json()).issue[0].diagnostics, `An application with CIS2 client id '${taken}' already exists`);
      }
      const back = await setClientId(moving.apiKey, null);
      assert.equal((await back.json()).cis2ClientId, moving.apiKey);
      assert.equal((await postToken(spine, exchangeForm(await idToken({ aud: moving.apiKey }), moving))).status, 200);

      for (const wrong of [42, '', 'x'.repeat(201), 'client\u0007id', ['c']]) {
        const refused = await setClientId(moving.apiKey, wrong);
        assert.equal(refused.status, 400, JSON.stringify(wrong));
        assert.match((await refused.json()).issue[0].diagnostics, /'?cis2ClientId'?/);
      }
      assert.equal((await setClientId('0'.repeat(32), 'cis2-nobody')).status, 404);
      const entries = await spine.ctx.db.query(
        `SELECT detail FROM audit.events WHERE action = 'identity.application.cis2-client-id.replace' AND resource = $1 ORDER BY seq`, [`Application/${moving.appId}`]);
      assert.deepEqual(entries.rows.map((r) => r.detail), [{ from: 'cis2-before', to: 'cis2-after' }, { from: 'cis2-after', to: moving.apiKey }]);

      // Replacements at once: each audit entry names the value it replaced, so they chain from the
      // first value to the last, whatever order they ran in (none names one another had replaced).
      const racing = Array.from({ length: 12 }, (_, i) => `cis2-race-${i}`);
      const answers = await Promise.all(racing.map((id) => setClientId(moving.apiKey, id)));
      assert.deepEqual(answers.map((a) => a.status), racing.map(() => 200));
      const raced = await spine.ctx.db.query(
        `SELECT detail FROM audit.events WHERE action = 'identity.application.cis2-client-id.replace' AND resource = $1 AND detail->>'to' LIKE 'cis2-race-%'`,
        [`Application/${moving.appId}`]);
      const next = new Map(raced.rows.map((r) => [r.detail.from as string, r.detail.to as string]));
      assert.equal(next.size, racing.length, `every entry replaced a different value: ${JSON.stringify(raced.rows.map((r) => r.detail))}`);
      const chain: string[] = [];
      for (let at = next.get(moving.apiKey); at !== undefined; at = next.get(at)) chain.push(at);
      assert.deepEqual([...chain].sort(), [...racing].sort());
      const final = await spine.ctx.db.query('SELECT cis2_client_id FROM identity.applications WHERE app_id = $1', [moving.appId]);
      assert.equal(final.rows[0].cis2_client_id, chain.at(-1));
    });

    it('no two applications answer to one CIS2 client id: a second is refused 409', async () => {
      const response = await fetch(`${spine.url}/admin/identity/applications`, {
        method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: json({ name: 'Impostor', odsCode: 'A83008', jwks: { keys: [app.key.publicJwk] }, cis2ClientId: otherApp.apiKey }),
      });
      assert.equal(response.status, 409);
      const outcome = await response.json();
      assert.equal(outcome.issue[0].details.coding[0].code, 'DUPLICATE_RESOURCE');
      assert.equal(outcome.issue[0].diagnostics, `An application with CIS2 client id '${otherApp.apiKey}' already exists`);
    });

    it('an ID token without a jti is refused, since its use could not be counted', async () => {
      const response = await postToken(spine, exchangeForm(await idToken({ aud: app.apiKey, jti: null })));
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, { error: 'invalid_request', error_description: "Missing 'jti' claim in subject_token" });
    });

    it('an ID token is exchanged once: a replay, even by the same app with a fresh assertion, is refused', async () => {
      const token = await idToken({ aud: app.apiKey });
      assert.equal((await postToken(spine, exchangeForm(token))).status, 200);
      const replay = await postToken(spine, exchangeForm(token));
      assert.equal(replay.status, 400);
      assert.deepEqual(replay.body, { error: 'invalid_request', error_description: 'Non-unique jti claim in subject_token - an ID token is exchanged once' });
      const stored = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM identity.used_id_tokens WHERE issuer = $1`, [ISSUER]);
      assert.ok(stored.rows[0].n >= 2);
    });

    it('a demo ID token is exchanged once too', async () => {
      const token = await demoIdToken('555000000001', '555000000101');
      assert.equal((await postToken(spine, exchangeForm(token))).status, 200);
      const replay = await postToken(spine, exchangeForm(token));
      assert.equal(replay.status, 400);
      assert.match(replay.body.error_description!, /^Non-unique jti claim in subject_token/);
    });

    it('a trusted issuer must be given the client ids it addresses', async () => {
      const response = await fetch(`${spine.url}/admin/identity/trusted-issuers`, {
        method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: json({ issuer: 'https://no-clients.example.test', jwks: { keys: [key.publicJwk] } }),
      });
      assert.equal(response.status, 400);
      const outcome = await response.json();
      assert.equal(outcome.issue[0].details.coding[0].code, 'MISSING_VALUE');
      assert.equal(outcome.issue[0].diagnostics, "Missing value - 'clientIds'");
    });
  });

  describe("an issuer's kind, not a token's claims, decides whether it speaks for staff or for a patient", () => {
    let key: Awaited<ReturnType<typeof generateSigningKey>>;
    const CIS2 = 'https://cis2-kind.example.test';
    const NHS_LOGIN = 'https://nhs-login-kind.example.test';
    const putIssuer = (body: unknown) => fetch(`${spine.url}/admin/identity/trusted-issuers`, {
      method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: json(body),
    });
    before(async () => {
      key = await generateSigningKey('RS256', 2048);
      assert.equal((await putIssuer({ issuer: CIS2, jwks: { keys: [key.publicJwk] }, clientIds: [app.apiKey] })).status, 200);
      assert.equal((await putIssuer({ issuer: NHS_LOGIN, jwks: { keys: [key.publicJwk] }, clientIds: [app.apiKey], kind: 'nhs-login' })).status, 200);
    });

    const STAFF = { selected_roleid: 'r1', nhsid_nrbac_roles: [{ person_roleid: 'r1', org_code: 'A83008', role_code: 'R8000' }] };
    const PATIENT = { nhs_number: '9000000009', identity_proofing_level: 'P9' };
    const idToken = async (issuer: string, claims: Record<string, unknown>) => new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid }).setIssuer(issuer).setSubject('u3').setAudience(app.apiKey)
      .setJti(randomUUID()).setIssuedAt().setExpirationTime('5m').sign(await importJWK(key.privateJwk, 'RS256'));

    it('an NHS login issuer signs a patient in', async () => {
      const response = await postToken(spine, exchangeForm(await idToken(NHS_LOGIN, PATIENT)));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const principal = principalOf(response.body.access_token!);
      assert.deepEqual({ accessMode: principal.accessMode, nhsNumber: principal.nhsNumber, userId: principal.userId }, { accessMode: 'patient', nhsNumber: '9000000009', userId: 'u3' });
    });

    it('an NHS login issuer cannot assert staff role profiles', async () => {
      const response = await postToken(spine, exchangeForm(await idToken(NHS_LOGIN, STAFF)));
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, { error: 'invalid_request', error_description: "subject_token's 'nhs_number' is not a valid NHS number" });
    });

    it("a CIS2 issuer (the default kind) cannot sign a patient in by adding an NHS number", async () => {
      const response = await postToken(spine, exchangeForm(await idToken(CIS2, PATIENT)));
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, { error: 'invalid_request', error_description: "No role selected: send the NHSD-Session-URID header or a 'selected_roleid' claim" });
      const staff = await postToken(spine, exchangeForm(await idToken(CIS2, { ...STAFF, ...PATIENT })));
      assert.equal(staff.status, 200, JSON.stringify(staff.body));
      assert.deepEqual({ accessMode: principalOf(staff.body.access_token!).accessMode, nhsNumber: principalOf(staff.body.access_token!).nhsNumber }, { accessMode: 'user', nhsNumber: undefined });
    });

    it('an issuer of another kind is refused naming the field, and the kind is listed', async () => {
      const response = await putIssuer({ issuer: 'https://saml.example.test', jwks: { keys: [key.publicJwk] }, clientIds: [app.apiKey], kind: 'saml' });
      assert.equal(response.status, 400);
      assert.match((await response.json()).issue[0].diagnostics, /'kind'/);
      const listed = await (await fetch(`${spine.url}/admin/identity/trusted-issuers`, { headers: { authorization: `Bearer ${adminToken}` } })).json() as { issuers: Array<{ issuer: string; kind: string }> };
      assert.deepEqual(listed.issuers.filter((i) => i.issuer === CIS2 || i.issuer === NHS_LOGIN).map((i) => [i.issuer, i.kind]), [[CIS2, 'cis2'], [NHS_LOGIN, 'nhs-login']]);
    });
  });

  it('the demo issuer publishes its public keys', async () => {
    const response = await fetch(`${spine.url}/identity/demo-cis2/jwks`);
    assert.equal(response.status, 200);
    const jwks = await response.json() as { keys: Array<Record<string, unknown>> };
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]!.kty, 'RSA');
    assert.equal(jwks.keys[0]!.d, undefined);
  });
});
