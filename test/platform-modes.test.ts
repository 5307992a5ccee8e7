import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import { startTestSpine, createTestDatabase, type TestSpine } from './support/spine.js';
import { createAppAndToken } from './support/identity.js';
import { registerApp, assertionParts, signRaw, postToken, CLIENT_ASSERTION_TYPE } from './identity/fixtures.js';
import { meshAuthorization, MB1, V2 } from './messaging/support/mesh-client.js';
import { checkServeConfig, ConfigError, loadConfig } from '../src/platform/config.js';
import { identityService } from '../src/services/identity/index.js';
import { directoryService } from '../src/services/directory/index.js';
import { directoryApi } from '../src/services/directory/api.js';
import { CLI } from './support/cli.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const REAL_KEY = 'a-shared-secret-only-this-environment-knows';

async function inboxAs(spine: TestSpine, mailbox: string, sharedKey?: string) {
  return fetch(`${spine.url}/messageexchange/${mailbox}/inbox`, { headers: { accept: V2, authorization: meshAuthorization(mailbox, { sharedKey }) } });
}

describe('a Spine served without --demo, on a fresh store', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ demo: false, env: { MESH_SHARED_KEY: REAL_KEY } }); });
  after(async () => { await spine.close(); });

  it('seeds no demo data: no apps, users, issuers, credentials file, mailboxes or patients', async () => {
    assert.equal(spine.config.demo, false);
    assert.equal(existsSync(join(spine.config.dataDir, 'demo-credentials.json')), false);
    const counts = await spine.ctx.db.query(`SELECT
      (SELECT count(*)::int FROM identity.applications) AS apps,
      (SELECT count(*)::int FROM identity.users) AS users,
      (SELECT count(*)::int FROM identity.trusted_issuers) AS issuers,
      (SELECT count(*)::int FROM directory.mesh_mailboxes) AS mailboxes,
      (SELECT count(*)::int FROM demographics.patients) AS patients`);
    assert.deepEqual(counts.rows[0], { apps: 0, users: 0, issuers: 0, mailboxes: 0, patients: 0 });
  });

  it('the MESH sandbox mailbox and key get 403, and the demo issuer publishes no keys', async () => {
    assert.equal((await inboxAs(spine, MB1, 'TestKey')).status, 403);
    assert.equal((await inboxAs(spine, MB1, REAL_KEY)).status, 403);
    assert.deepEqual(await (await fetch(`${spine.url}/identity/demo-cis2/jwks`)).json(), { keys: [] });
  });

  it('the admin API cannot mint demo ID tokens', async () => {
    const { token } = await createAppAndToken(spine, { activities: ['identity:admin'] });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const minted = await fetch(`${spine.url}/admin/identity/demo-id-tokens`, { method: 'POST', headers, body: JSON.stringify({ userId: '555000000001' }) });
    assert.equal(minted.status, 404);
  });
});

describe('demo credentials stay behind when a demo store is later served without --demo', () => {
  let databaseUrl: string;
  let drop: () => Promise<void>;
  let idToken: string;
  before(async () => {
    ({ url: databaseUrl, drop } = await createTestDatabase());
    const demo = await startTestSpine({ databaseUrl });
    try {
      const { token } = await createAppAndToken(demo, { activities: ['identity:admin'] });
      const minted = await fetch(`${demo.url}/admin/identity/demo-id-tokens`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: '555000000004', roleProfileId: '555000000104' }),
      });
      assert.equal(minted.status, 200);
      idToken = (await minted.json() as { id_token: string }).id_token;
      assert.equal((await inboxAs(demo, MB1)).status, 200);
    } finally {
      await demo.stop();
    }
  });
  after(async () => { await drop(); });

  it('the demo issuer is no longer trusted, and neither the sandbox MESH key nor the sandbox mailboxes\' published password opens them', async () => {
    const spine = await startTestSpine({ databaseUrl, demo: false, env: { MESH_SHARED_KEY: REAL_KEY } });
    try {
      const app = await registerApp(spine, { activities: ['identity:admin'] });
      const { header, claims } = assertionParts(app);
      const response = await postToken(spine, {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        subject_token: idToken,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: signRaw(header, claims, app.key.privateKeyPem),
      });
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, { error: 'invalid_request', error_description: "Invalid 'iss' claim in subject_token - not a trusted identity provider" });
      assert.equal((await inboxAs(spine, MB1, 'TestKey')).status, 403);
      // Found by probing: with the deployment's own key (which every MESH client of it holds), the
      // seeded mailboxes' password 'password' still opened them.
      const withRealKey = await inboxAs(spine, MB1, REAL_KEY);
      assert.equal(withRealKey.status, 403);
      assert.deepEqual((await withRealKey.json() as { detail: unknown }).detail, [{ event: 'AUTH', code: '403', msg: 'Invalid Authentication Token' }]);
      // A mailbox given a password of its own opens with the deployment's key.
      await directoryApi(spine.ctx.db).upsertMailbox({ mailboxId: 'X26OWN1', mailboxName: 'Own password', odsCode: 'X26', orgCode: 'X26', password: 'a-password-of-its-own', active: true });
      const own = await fetch(`${spine.url}/messageexchange/X26OWN1/inbox`, { headers: { accept: V2, authorization: meshAuthorization('X26OWN1', { sharedKey: REAL_KEY, password: 'a-password-of-its-own' }) } });
      assert.equal(own.status, 200, await own.text());
    } finally {
      await spine.stop();
    }
  });
});

describe('demo mode', () => {
  it('answers only loopback Host names, as sandbox mode does (DNS rebinding)', async () => {
    const spine = await startTestSpine();
    try {
      const port = new URL(spine.url).port;
      const get = (host: string) => new Promise<number>((resolve, reject) => {
        httpRequest(`${spine.url}/_ping`, { headers: { host } }, (response) => { response.resume(); resolve(response.statusCode!); }).on('error', reject).end();
      });
      assert.equal(await get(`localhost:${port}`), 200);
      assert.equal(await get(`rebound.example:${port}`), 403);
    } finally {
      await spine.close();
    }
  });
});

describe('serving refuses unsafe configurations at start', () => {
  it('without --demo, MESH needs a shared key it was given, and not the sandbox one', async () => {
    await assert.rejects(startTestSpine({ demo: false }), (err: Error) => err instanceof ConfigError
      && err.message === 'MESH needs the shared secret of its environment: set MESH_SHARED_KEY (or run with --demo for the MESH sandbox key)');
    await assert.rejects(startTestSpine({ demo: false, env: { MESH_SHARED_KEY: 'TestKey' } }), /MESH sandbox's published key/);
    await assert.rejects(startTestSpine({ demo: false, env: { MESH_SHARED_KEY: 'Banana' } }), /'Banana' is a MESH sandbox's published key/);
  });

  it('without messaging, no MESH key is needed', async () => {
    const spine = await startTestSpine({ demo: false, flags: { services: 'identity,directory' }, modules: [identityService, directoryService] });
    try {
      assert.equal((await fetch(`${spine.url}/_ping`)).status, 200);
    } finally {
      await spine.close();
    }
  });

  it('demo and sandbox modes listen on loopback only', () => {
    for (const flags of [{ demo: true }, { sandbox: true }]) {
      for (const host of ['0.0.0.0', '::', '192.168.1.10', 'spine.example.org']) {
        assert.throws(() => checkServeConfig(loadConfig({ ...flags, host }, {})), (err: Error) => err instanceof ConfigError && err.message.includes(`not '${host}'`));
      }
      for (const host of ['127.0.0.1', 'localhost', '::1']) checkServeConfig(loadConfig({ ...flags, host }, {}));
    }
    checkServeConfig(loadConfig({ host: '0.0.0.0' }, { MESH_SHARED_KEY: REAL_KEY }));
  });

  it('sandbox mode implies demo mode, and demo mode the sandbox MESH key', () => {
    const sandbox = loadConfig({ sandbox: true }, {});
    assert.equal(sandbox.demo, true);
    assert.equal(sandbox.meshSharedKey, 'TestKey');
    assert.equal(loadConfig({}, { OPENSPINE_DEMO: 'true' }).meshSharedKey, 'TestKey');
    assert.equal(loadConfig({}, {}).meshSharedKey, '');
    assert.equal(loadConfig({}, {}).seedDemo, false);
  });

  it('the CLI says what is wrong in one sentence and exits 1', async () => {
    // Both are refused before any database is opened: this address has none.
    const databaseUrl = 'postgres://127.0.0.1:1/none';
    for (const [args, message] of [
      [['serve', '--demo', '--host', '0.0.0.0'], "openspine: demo mode has well-known credentials, so it only listens on loopback, not '0.0.0.0'\n"],
      [['serve'], 'openspine: MESH needs the shared secret of its environment: set MESH_SHARED_KEY (or run with --demo for the MESH sandbox key)\n'],
    ] as const) {
      await assert.rejects(run(process.execPath, [CLI, ...args], {
        cwd: root, env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, MESH_SHARED_KEY: '', OPENSPINE_DEMO: '', OPENSPINE_SANDBOX: '' }, timeout: 60_000,
      }), (err: Error & { code: number; stderr: string }) => err.code === 1 && err.stderr === message);
    }
  });

  it('npm start serves demo mode', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.start!, /\bserve --demo\b/);
  });
});
