import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { buildClientAssertion } from '../../src/services/identity/assertion-builder.js';
import { clientCredentials, postToken, principalOf } from './fixtures.js';
import { CLI } from '../support/cli.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

/** Runs the real CLI as a child process, as an operator would. */
async function openspine(args: string[], env: Record<string, string>) {
  const { stdout } = await run(process.execPath, [CLI, ...args], {
    cwd: root, env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 120_000,
  });
  return stdout;
}

describe('demo identities', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('the demo app\'s credentials file is private and its key gets a token with the demo activities', async () => {
    const path = join(spine.config.dataDir, 'demo-credentials.json');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const credentials = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(statSync(credentials.privateKeyPath).mode & 0o777, 0o600);
    assert.equal(readFileSync(credentials.privateKeyPath, 'utf8'), credentials.privateKeyPem);
    const assertion = await buildClientAssertion({ ...credentials, tokenUrl: `${spine.config.publicBaseUrl}/oauth2/token` });
    const response = await postToken(spine, clientCredentials(assertion));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const principal = principalOf(response.body.access_token!);
    assert.equal(principal.odsCode, 'A83008');
    assert.equal(principal.rateLimit, 100000);
    assert.deepEqual(principal.activities, ['patient:read', 'patient:search', 'patient:write', 'patient:create', 'messaging:use', 'directory:read', 'audit:read',
      'record-locator:produce', 'record-locator:consume', 'prescription:prescribe', 'prescription:dispense', 'prescription:track']);
    assert.equal(credentials.admin.apiKey.length, 32);
    assert.deepEqual(credentials.users.map((u: { userId: string }) => u.userId), ['555000000001', '555000000002', '555000000003', '555000000004', '555000000005']);
  });

  it('a second process on the same database re-uses the demo apps and writes no credentials', async () => {
    const before = readFileSync(join(spine.config.dataDir, 'demo-credentials.json'), 'utf8');
    const second = await startTestSpine({ databaseUrl: spine.databaseUrl });
    try {
      assert.equal(existsSync(join(second.config.dataDir, 'demo-credentials.json')), false);
      const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM identity.applications WHERE demo_slot IS NOT NULL`);
      assert.equal(rows[0].n, 2);
      const users = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM identity.role_profiles`);
      assert.equal(users.rows[0].n, 6);
    } finally {
      await second.close();
    }
    assert.equal(readFileSync(join(spine.config.dataDir, 'demo-credentials.json'), 'utf8'), before);
  });
});

describe('openspine apps and token commands', () => {
  let spine: TestSpine;
  let dataDir: string;
  before(async () => {
    spine = await startTestSpine();
    dataDir = mkdtempSync(join(tmpdir(), 'openspine-cli-'));
  });
  after(async () => { await spine.close(); rmSync(dataDir, { recursive: true, force: true }); });

  it('apps create registers an app, writes its private key and prints {apiKey, kid, privateKeyPath}; token --url gets it a token', async () => {
    const env = { DATABASE_URL: spine.databaseUrl };
    const stdout = await openspine(['apps', 'create', '--name', 'CLI GP system', '--ods', 'B86012', '--activities', 'patient:read,identity:admin',
      '--rate-limit', '9', '--key-bits', '2048', '--data-dir', dataDir], env);
    const printed = JSON.parse(stdout);
    assert.deepEqual(Object.keys(printed).sort(), ['apiKey', 'kid', 'privateKeyPath']);
    assert.match(printed.apiKey, /^[0-9a-f]{32}$/);
    assert.equal(printed.privateKeyPath, join(dataDir, 'keys', `${printed.kid}.pem`));
    assert.match(readFileSync(printed.privateKeyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(statSync(printed.privateKeyPath).mode & 0o777, 0o600);

    const listed = JSON.parse(await openspine(['apps', 'list', '--data-dir', dataDir], env)) as Array<Record<string, unknown>>;
    const mine = listed.find((a) => a.apiKey === printed.apiKey)!;
    assert.deepEqual(mine.kids, [printed.kid]);
    assert.deepEqual(mine.activities, ['patient:read', 'identity:admin']);
    assert.equal(mine.rateLimit, 9);
    assert.equal(mine.odsCode, 'B86012');

    // No --kid: the kid `apps create` chose is the key's thumbprint, which the command works out.
    const token = JSON.parse(await openspine(['token', '--app', printed.apiKey, '--key', printed.privateKeyPath,
      '--url', spine.url, '--data-dir', dataDir], env));
    assert.equal(token.expires_in, '599');
    const principal = principalOf(token.access_token);
    assert.equal(principal.apiKey, printed.apiKey);
    assert.equal(principal.appName, 'CLI GP system');
    // In-process, token --user addresses the demo ID token to this app's CIS2 client id (its API key), or it could not exchange it.
    const userToken = JSON.parse(await openspine(['token', '--app', printed.apiKey, '--key', printed.privateKeyPath,
      '--user', '555000000002', '--role', '555000000102', '--data-dir', dataDir], env));
    assert.deepEqual({ apiKey: principalOf(userToken.access_token).apiKey, userId: principalOf(userToken.access_token).userId }, { apiKey: printed.apiKey, userId: '555000000002' });
    const users = await fetch(`${spine.url}/admin/identity/users`, { headers: { authorization: `Bearer ${token.access_token}` } });
    assert.equal(users.status, 200);
  });

  it('token --user exchanges a demo ID token over HTTP using the demo credentials', async () => {
    const token = JSON.parse(await openspine(['token', '--user', '555000000002', '--role', '555000000102', '--url', spine.url, '--data-dir', spine.config.dataDir], {}));
    const principal = principalOf(token.access_token);
    assert.equal(principal.accessMode, 'user');
    assert.equal(principal.roleCode, 'R8010');
    assert.equal(principal.userId, '555000000002');
  });

  it('token --user without --url exchanges, in-process, a demo ID token addressed to the app (its CIS2 client id)', async () => {
    const token = JSON.parse(await openspine(['token', '--user', '555000000002', '--role', '555000000102', '--data-dir', spine.config.dataDir], { DATABASE_URL: spine.databaseUrl }));
    const principal = principalOf(token.access_token);
    assert.deepEqual({ accessMode: principal.accessMode, userId: principal.userId, appName: principal.appName }, { accessMode: 'user', userId: '555000000002', appName: 'OpenSpine demo clinical system' });
  });

  it('token without --url mints in-process against the database', async () => {
    const token = JSON.parse(await openspine(['token', '--data-dir', spine.config.dataDir], { DATABASE_URL: spine.databaseUrl }));
    assert.equal(token.token_type, 'Bearer');
    const principal = principalOf(token.access_token);
    assert.equal(principal.appName, 'OpenSpine demo clinical system');
    // Same database, same signing secret: the running server accepts it.
    assert.equal((await fetch(`${spine.url}/admin/identity/users`, { headers: { authorization: `Bearer ${token.access_token}` } })).status, 403);
  });

  it('apps create --url registers through the running Spine\'s admin API (as the demo admin app)', async () => {
    const printed = JSON.parse(await openspine(['apps', 'create', '--name', 'Over HTTP', '--ods', 'RQI', '--key-bits', '2048',
      '--url', spine.url, '--data-dir', spine.config.dataDir], {}));
    const listed = JSON.parse(await openspine(['apps', 'list', '--url', spine.url, '--data-dir', spine.config.dataDir], {})) as Array<Record<string, unknown>>;
    assert.deepEqual(listed.find((a) => a.apiKey === printed.apiKey)?.kids, [printed.kid]);
    assert.ok(existsSync(printed.privateKeyPath));
  });

  it('apps create with a bad ODS code fails with a message and registers nothing', async () => {
    await assert.rejects(openspine(['apps', 'create', '--name', 'Bad', '--ods', 'lower', '--data-dir', dataDir], { DATABASE_URL: spine.databaseUrl }),
      (err: Error & { stderr: string }) => /'odsCode' must be an ODS code/.test(err.stderr));
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM identity.applications WHERE name = 'Bad'`);
    assert.equal(rows[0].n, 0);
  });
});

describe('a Spine started without demo data', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ env: { OPENSPINE_SEED_DEMO: 'false' } }); });
  after(async () => { await spine.close(); });

  it('has no demo apps, no credentials file and no demo identity provider', async () => {
    assert.equal(existsSync(join(spine.config.dataDir, 'demo-credentials.json')), false);
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM identity.applications`);
    assert.equal(rows[0].n, 0);
    assert.deepEqual(await (await fetch(`${spine.url}/identity/demo-cis2/jwks`)).json(), { keys: [] });
    const { token } = await createAppAndToken(spine, { activities: ['identity:admin'] });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    assert.equal((await fetch(`${spine.url}/admin/identity/users`, { method: 'POST', headers, body: JSON.stringify({ userId: 'u1', name: 'U' }) })).status, 201);
    const minted = await fetch(`${spine.url}/admin/identity/demo-id-tokens`, { method: 'POST', headers, body: JSON.stringify({ userId: 'u1' }) });
    assert.equal(minted.status, 404);
    assert.match((await minted.json()).issue[0].diagnostics, /demo identity provider is not enabled/);
    const issuers = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM identity.trusted_issuers`);
    assert.equal(issuers.rows[0].n, 0);
  });
});
