import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestSpine } from '../support/spine.js';
import { postToken, principalOf, registerApp, type RegisteredApp } from './fixtures.js';
import { demoIdToken as demoIdTokenOf, exchangeForm as exchangeFormOf, startExchangeSpine, type ExchangeSpine } from './token-exchange-support.js';

/** Token exchange of the demo issuer's ID tokens: which role the session acts in, and what the exchange request must carry. */
describe("POST /oauth2/token: token exchange of a CIS2-style ID token (user-restricted): the session's role and the request", () => {
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

  it('the demo GP in the role the ID token selects gets a user principal with that role\'s activities', async () => {
    const response = await postToken(spine, exchangeForm(await demoIdToken('555000000001', '555000000101')));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.expires_in, '599');
    assert.equal(response.body.token_type, 'Bearer');
    const principal = principalOf(response.body.access_token!);
    assert.deepEqual({ ...principal, activities: undefined }, {
      appId: app.appId, apiKey: app.apiKey, appName: 'Test GP system', odsCode: 'A83008', accessMode: 'user',
      userId: '555000000001', roleProfileId: '555000000101', roleCode: 'R8000', rateLimit: 500, activities: undefined,
      // What the application is registered for, kept beside the user's (a refusal can say which lacks an activity).
      appActivities: ['patient:read', 'patient:search', 'patient:write', 'patient:create', 'directory:read'],
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
    assert.deepEqual(principalOf(response.body.access_token!).appActivities, ['directory:read']);
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
});
