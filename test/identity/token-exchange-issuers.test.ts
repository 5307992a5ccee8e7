import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
import { generateSigningKey } from '../../src/services/identity/keys.js';
import { DEMO_ISSUER } from '../../src/services/identity/demo-issuer.js';
import type { TestSpine } from '../support/spine.js';
import { json, postToken, principalOf, type RegisteredApp } from './fixtures.js';
import { demoIdToken as demoIdTokenOf, exchangeForm as exchangeFormOf, startExchangeSpine, type ExchangeSpine } from './token-exchange-support.js';

/** Token exchange: whose ID tokens are taken (trusted issuers, their keys and kinds) and the demo issuer's keys. */
describe('POST /oauth2/token: token exchange of a CIS2-style ID token (user-restricted): trusted issuers', () => {
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
