import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { DEMO_IDENTITIES, consoleLogin, type ConsoleLogin } from '../support/console.js';
import { assertionParts, clientCredentials, postToken, registerApp, signRaw, type RegisteredApp } from '../identity/fixtures.js';
import { MB1, MB2, mesh, meshAuthorization } from '../messaging/support/mesh-client.js';
import { REVOCATION_REFRESH_MS } from '../../src/services/identity/api.js';

/**
 * Disabling from the console's directory page has effect where the thing is used: a disabled
 * application gets no token and its tokens are refused, a disabled mailbox neither authenticates nor
 * receives, a disabled organisation's applications and mailboxes likewise. Each change is audited.
 */
const until = async <T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => {
  // Tokens: every process re-reads the revocation list within REVOCATION_REFRESH_MS; MESH its mailboxes within 5 s.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) {
      assert.ok(done(value), what);
      return value;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('disabled organisations, mailboxes and applications', () => {
  let spine: TestSpine;
  let admin: ConsoleLogin;
  let app: RegisteredApp;
  const token = async (from: RegisteredApp) => {
    const { header, claims } = assertionParts(from);
    return postToken(spine, clientCredentials(signRaw(header, claims, from.key.privateKeyPem)));
  };
  const readPatient = (accessToken: string) => fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, {
    headers: { authorization: `Bearer ${accessToken}`, 'x-request-id': crypto.randomUUID() },
  });
  const change = async (path: string) => {
    const response = await admin.post(path, { _csrf: await admin.csrf() });
    assert.equal(response.status, 303, path);
  };

  before(async () => {
    spine = await startTestSpine();
    admin = await consoleLogin(spine.url, DEMO_IDENTITIES.administrator);
    app = await registerApp(spine, { activities: ['patient:read'], odsCode: 'A83008' });
  });
  after(async () => { await spine.close(); });

  it('a disabled application gets no token and the token it holds is refused 401; enabled again it works as before', async () => {
    const granted = await token(app);
    assert.equal(granted.status, 200);
    const held = granted.body.access_token!;
    assert.equal((await readPatient(held)).status, 200);

    await change(`/console/directory/applications/${app.apiKey}/disable`);
    const noToken = await token(app);
    assert.deepEqual({ status: noToken.status, body: noToken.body }, { status: 401, body: { error: 'invalid_request', error_description: 'Invalid iss/sub claims in JWT' } });
    const refused = await until(() => readPatient(held), (r) => r.status === 401, `the held token is refused within ${REVOCATION_REFRESH_MS} ms`);
    const outcome = await refused.json() as { issue: Array<{ code: string; details: { coding: Array<{ code: string }> }; diagnostics: string }> };
    assert.equal(outcome.issue[0]!.details.coding[0]!.code, 'ACCESS_DENIED');
    assert.match(outcome.issue[0]!.diagnostics, /application Test GP system or its organisation A83008 is disabled/);
    const page = await (await admin.get('/console/directory/applications')).text();
    assert.match(page, /Enable Test GP system/);

    await change(`/console/directory/applications/${app.apiKey}/enable`);
    assert.equal((await token(app)).status, 200);
    await until(() => readPatient(held), (r) => r.status === 200, 'the held token works again once the application is enabled');

    for (const action of ['disable', 'enable']) {
      const csv = await (await admin.get(`/console/audit.csv?action=console.directory.application.${action}`)).text();
      assert.match(csv, new RegExp(`console\\.directory\\.application\\.${action},success,Application/${app.appId},,555000000004,R9902,X26,OpenSpine console,`));
    }
  });

  it('a disabled mailbox cannot authenticate (MESH 403 AUTH) nor receive (MESH 417 unregistered recipient); enabled again it can', async () => {
    await change(`/console/directory/mailboxes/${MB2}/disable`);
    const inbox = await until(() => mesh(spine.url, `/${MB2}/inbox`, { version: 2 }), (r) => r.status === 403, 'MESH refuses the disabled mailbox');
    assert.deepEqual(((await inbox.json()) as { detail: unknown }).detail, [{ event: 'AUTH', code: '403', msg: 'Request Received from Inactive Mailbox' }]);
    const sent = await fetch(`${spine.url}/messageexchange/${MB1}/outbox`, {
      method: 'POST', body: 'to a disabled mailbox',
      headers: { authorization: meshAuthorization(MB1), 'mex-from': MB1, 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'content-type': 'application/octet-stream' },
    });
    assert.equal(sent.status, 417);
    assert.deepEqual(await sent.json(), { errorEvent: 'SEND', errorCode: '12', errorDescription: 'Unregistered to address' });
    await change(`/console/directory/mailboxes/${MB2}/enable`);
    await until(() => mesh(spine.url, `/${MB2}/inbox`, { version: 2 }), (r) => r.status === 200, 'MESH serves the mailbox again');
  });

  it('a disabled organisation: its applications get no token, their tokens are refused, its mailboxes are refused by MESH', async () => {
    const x26 = await registerApp(spine, { activities: ['patient:read'], odsCode: 'X26' });
    const held = (await token(x26)).body.access_token!;
    assert.equal((await readPatient(held)).status, 200);
    await change('/console/directory/organisations/X26/disable');
    assert.equal((await token(x26)).status, 401);
    await until(() => readPatient(held), (r) => r.status === 401, 'the organisation\'s application token is refused');
    const inbox = await until(() => mesh(spine.url, `/${MB1}/inbox`, { version: 2 }), (r) => r.status === 403, 'MESH refuses the organisation\'s mailbox');
    assert.deepEqual(((await inbox.json()) as { detail: unknown }).detail, [{ event: 'AUTH', code: '403', msg: 'Request Received from Inactive Mailbox' }]);
    // Another organisation's application is not affected.
    assert.equal((await token(app)).status, 200);
    await change('/console/directory/organisations/X26/enable');
    assert.equal((await token(x26)).status, 200);
    await until(() => mesh(spine.url, `/${MB1}/inbox`, { version: 2 }), (r) => r.status === 200, 'MESH serves the organisation\'s mailbox again');
    for (const action of ['disable', 'enable']) {
      const csv = await (await admin.get(`/console/audit.csv?action=console.directory.organisation.${action}`)).text();
      assert.match(csv, new RegExp(`console\\.directory\\.organisation\\.${action},success,Organization/X26,`));
    }
  });
});
