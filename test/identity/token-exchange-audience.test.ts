import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
import { generateSigningKey } from '../../src/services/identity/keys.js';
import type { TestSpine } from '../support/spine.js';
import { json, postToken, principalOf, registerApp, type RegisteredApp } from './fixtures.js';
import { demoIdToken as demoIdTokenOf, exchangeForm as exchangeFormOf, startExchangeSpine, type ExchangeSpine } from './token-exchange-support.js';

/** Token exchange: an ID token is for the one application its aud names, and is exchanged once. */
describe('POST /oauth2/token: token exchange of a CIS2-style ID token (user-restricted): audience and single use', () => {
  let setup: ExchangeSpine;
  let spine: TestSpine;
  let app: RegisteredApp;
  let adminToken: string;
  before(async () => {
    setup = await startExchangeSpine();
    ({ spine, app, adminToken } = setup);
  });
  after(async () => { await spine.close(); });

  const exchangeForm = (idToken: string, by: RegisteredApp = app) => exchangeFormOf(idToken, by);
  /** A demo ID token addressed to `clientId` (default: the test app's CIS2 client id, its API key). */
  const demoIdToken = (userId: string, roleProfileId?: string, clientId = app.apiKey) => demoIdTokenOf(setup, userId, roleProfileId, clientId);

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
});
