import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { CLI } from './support/cli.js';

const root = new URL('..', import.meta.url).pathname;
const asRoot = process.getuid?.() === 0;

/** Runs the CLI from source on the embedded PostgreSQL of `dataDir`. */
function runCli(args: string[], dataDir: string) {
  const env: Record<string, string | undefined> = { ...process.env, OPENSPINE_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 0))));
  return { child, exited, output: () => output };
}

async function startServe(dataDir: string) {
  const serve = runCli(['serve', '--demo', '--port', '0'], dataDir);
  let url: string | undefined;
  for (let i = 0; i < 600 && !url; i++) {
    url = /listening on (http:\/\/[0-9.:]+)/.exec(serve.output())?.[1];
    if (!url) await sleep(100);
  }
  assert.ok(url, `serve did not start:\n${serve.output()}`);
  return { ...serve, url };
}

const postmasterPid = (dataDir: string) => Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function assertStops(pid: number, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  assert.ok(!isAlive(pid), `${what} (pid ${pid}) still running ${timeoutMs} ms later`);
}

/** Every file and directory under `dir` that another user could read (or list). */
function readableByOthers(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) continue;
    if ((stat.mode & 0o044) !== 0) found.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) found.push(...readableByOthers(path));
  }
  return found;
}

describe('embedded PostgreSQL: supervised, never orphaned, private', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'openspine-embedded-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('a serve killed with SIGKILL leaves no PostgreSQL running', { timeout: 90_000 }, async () => {
    const serve = await startServe(dataDir);
    const postmaster = postmasterPid(dataDir);
    const supervisor = (JSON.parse(readFileSync(join(dataDir, 'pg-supervisor.json'), 'utf8')) as { pid: number }).pid;
    serve.child.kill('SIGKILL');
    await serve.exited;
    await assertStops(postmaster, 'PostgreSQL of the killed serve');
    await assertStops(supervisor, 'its supervisor');
  });

  it('a token command shares the running serve\'s PostgreSQL; the last graceful stop stops it; secrets are private', { timeout: 90_000 }, async () => {
    const serve = await startServe(dataDir);
    const postmaster = postmasterPid(dataDir);
    const token = runCli(['token'], dataDir);
    assert.equal(await token.exited, 0, token.output());
    assert.match(token.output(), /"access_token"/);
    assert.equal(postmasterPid(dataDir), postmaster, 'token used the running server');
    assert.ok(isAlive(postmaster), 'token leaving did not stop the server serve still uses');
    assert.equal((await fetch(`${serve.url}/_status`)).status, 200);

    // Secrets: the data directory is private (as root, passable only, for the postgres account),
    // and nothing in it is readable by another user.
    assert.equal(statSync(dataDir).mode & 0o777, asRoot ? 0o711 : 0o700);
    assert.equal(statSync(join(dataDir, 'pg-password')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'demo-credentials.json')).mode & 0o777, 0o600);
    for (const key of readdirSync(join(dataDir, 'keys'))) assert.equal(statSync(join(dataDir, 'keys', key)).mode & 0o777, 0o600);
    assert.deepEqual(readableByOthers(dataDir), []);

    // The superuser password is this data directory's own, not the well-known one.
    const port = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3]);
    const wellKnown = new pg.Client({ connectionString: `postgres://postgres:openspine@127.0.0.1:${port}/postgres` });
    await assert.rejects(wellKnown.connect(), (err: { code?: string }) => err.code === '28P01');
    await wellKnown.end().catch(() => undefined);

    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0, serve.output());
    // Graceful: the server is already gone when serve has exited.
    assert.ok(!isAlive(postmaster), 'the last user\'s graceful stop stopped PostgreSQL');
  });

  it('a PostgreSQL left running by a killed supervisor is stopped and replaced at the next start', { timeout: 90_000 }, async () => {
    const server = await startEmbeddedPostgres(dataDir);
    const postmaster = postmasterPid(dataDir);
    const supervisor = (JSON.parse(readFileSync(join(dataDir, 'pg-supervisor.json'), 'utf8')) as { pid: number }).pid;
    process.kill(supervisor, 'SIGKILL');
    await assertStops(supervisor, 'the killed supervisor');
    assert.ok(isAlive(postmaster), 'PostgreSQL outlived its supervisor');
    await server.stop();
    const next = await startEmbeddedPostgres(dataDir);
    try {
      assert.ok(!isAlive(postmaster), 'the orphan was stopped');
      const client = new pg.Client({ connectionString: next.connectionString });
      await client.connect();
      await client.end();
    } finally {
      await next.stop();
    }
    assert.match(readFileSync(join(dataDir, 'pg-supervisor.log'), 'utf8'), new RegExp(`stopping PostgreSQL \\(pid ${postmaster}\\) left running by a process that died`));
  });

  it('as root, in a private directory the postgres account cannot enter, the cluster is kept where it can', { skip: !asRoot && 'only as root', timeout: 90_000 }, async () => {
    const privateDir = mkdtempSync(join(tmpdir(), 'openspine-private-'));
    assert.equal(statSync(privateDir).mode & 0o777, 0o700);
    const nested = join(privateDir, 'os', '.openspine');
    let cluster: string | undefined;
    try {
      const server = await startEmbeddedPostgres(nested);
      cluster = realpathSync(join(nested, 'pg'));
      assert.notEqual(cluster, join(nested, 'pg'));
      const client = new pg.Client({ connectionString: server.connectionString });
      await client.connect();
      assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
      await client.end();
      await server.stop();
      assert.equal(statSync(nested).mode & 0o777, 0o700);
      assert.equal(statSync(privateDir).mode & 0o777, 0o700, 'the private directory was left as it was');
    } finally {
      rmSync(privateDir, { recursive: true, force: true });
      if (cluster) rmSync(cluster, { recursive: true, force: true });
    }
  });
});
