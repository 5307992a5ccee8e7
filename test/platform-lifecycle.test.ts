import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createTestDatabase, startTestSpine } from './support/spine.js';
import { ALL_SERVICES } from '../src/services/registry.js';
import type { ServiceModule } from '../src/platform/service.js';
import { CLI } from './support/cli.js';

const root = new URL('..', import.meta.url).pathname;

/** Runs the CLI (as built); resolves with its exit code and output. */
function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 0))));
  return { child, exited, output: () => output };
}

describe('platform lifecycle', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  after(async () => { for (const cleanup of cleanups.reverse()) await cleanup(); });

  it('two processes migrating one database at once both succeed and apply each migration once', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const first = runCli(['migrate'], { DATABASE_URL: database.url });
    const second = runCli(['migrate'], { DATABASE_URL: database.url });
    const codes = await Promise.all([first.exited, second.exited]);
    assert.deepEqual(codes, [0, 0], `${first.output()}\n${second.output()}`);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ n: number; distinct_ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT (schema_name, id))::int AS distinct_ids FROM platform.migrations`);
    await client.end();
    assert.ok(rows[0]!.n > 0);
    assert.equal(rows[0]!.n, rows[0]!.distinct_ids);
    const outputs = [first.output(), second.output()];
    // Exactly one of them did the work; the other waited on the lock and found nothing to do.
    assert.equal(outputs.filter((o) => o.includes('database is up to date')).length, 1, outputs.join('\n'));
  });

  it('graceful shutdown finishes in-flight requests and refuses new ones', async () => {
    let arrived = 0;
    const slowModule: ServiceModule = {
      name: 'identity',
      migrations: [],
      async routes(app) {
        app.get('/test/slow', { config: { public: true } }, async () => { arrived += 1; await sleep(400); return { done: true }; });
      },
    };
    const spine = await startTestSpine({ modules: [...ALL_SERVICES, slowModule] });
    cleanups.push(() => spine.close());
    const inFlight = Array.from({ length: 10 }, () => fetch(`${spine.url}/test/slow`).then(async (r) => ({ status: r.status, body: await r.json() })));
    // In flight means the handler is running: a connection whose request has not arrived yet is
    // idle, and closing idle connections at shutdown is intended.
    while (arrived < inFlight.length) await sleep(10);
    const stopping = spine.stop();
    const results = await Promise.all(inFlight);
    await stopping;
    for (const result of results) assert.deepEqual(result, { status: 200, body: { done: true } });
    await assert.rejects(fetch(`${spine.url}/_ping`));
  });

  it('`serve` on the embedded PostgreSQL starts, answers, stops cleanly on SIGTERM and restarts on the same data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'openspine-serve-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    for (const round of [1, 2]) {
      const env: Record<string, string> = { OPENSPINE_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
      delete process.env.DATABASE_URL;
      const serve = runCli(['serve', '--demo', '--port', '0'], env);
      let url: string | undefined;
      for (let i = 0; i < 900 && !url; i++) {
        url = /listening on (http:\/\/[0-9.:]+)/.exec(serve.output())?.[1];
        if (!url) await sleep(100);
      }
      assert.ok(url, `round ${round}: server did not start:\n${serve.output()}`);
      const status = await fetch(`${url}/_status`);
      assert.equal(status.status, 200);
      assert.equal((await status.json()).checks.database.status, 'pass');
      serve.child.kill('SIGTERM');
      assert.equal(await serve.exited, 0, serve.output());
    }
  });
});
