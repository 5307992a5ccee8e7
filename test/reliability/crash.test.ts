import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalServerProcess, createTestDatabase, startOwnPostgres, type OwnPostgres } from '../support/spine.js';
import { CrashClient, Ledger, startLoad } from './support/crash-load.js';
import { verifyAcknowledged } from './support/acknowledged.js';
import { CLI } from '../support/cli.js';

// Standing suite "Crash" (issue 9). A load client writes through the compiled `openspine serve`
// (MESH sends and acknowledgements, PDS creates and PATCHes, NRL creates, EPS prescriptions from
// order to claim) and records every 2xx;
// the serve process, then PostgreSQL, is SIGKILLed mid-load KILLS times each, then PostgreSQL is
// frozen past the timeouts. After each phase every acknowledged write is there exactly once, with
// its audit record, and `openspine audit verify` passes. The load client is support/crash-load.ts.

const root = new URL('../..', import.meta.url).pathname;
const KILLS = 5;
/** Acknowledged writes to wait for between two kills: each kill lands mid-load. */
const WRITES_BETWEEN_KILLS = 6;
/** Freezes of PostgreSQL, each longer than the timeouts the serve runs with (statement 3 s, its client 2 s later). */
const FREEZES = 3;
const FREEZE_MS = 6_500;

interface Serve {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  output(): string;
}

/** Runs the compiled CLI (as deployed, not from source) with `env`; its output's tail is kept. */
function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'info', ...env } });
  let output = '';
  const keep = (d: Buffer) => { output = (output + d).slice(-20_000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('crash: SIGKILL mid-load loses no acknowledged write', { timeout: 290_000 }, () => {
  let postgres: OwnPostgres;
  let database: { url: string; drop(): Promise<void> };
  let dataDir: string;
  let serve: Serve;
  let appBearer: string;
  let userBearer: string;
  let initialInbox: Set<string>;
  const ledger = new Ledger();
  const client = new CrashClient(() => ({ url: serve.url, appBearer, userBearer }));
  const env = () => ({
    OPENSPINE_DATA_DIR: dataDir, DATABASE_URL: database.url,
    OPENSPINE_DB_CONNECT_TIMEOUT_MS: '1000', OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '3000',
  });

  async function startServe(): Promise<Serve> {
    const run = runCli(['serve', '--demo', '--port', '0'], env());
    let url: string | undefined;
    for (let i = 0; i < 600 && !url; i++) {
      url = /listening on (http:\/\/[0-9.:]+)/.exec(run.output())?.[1];
      if (!url) await sleep(100);
    }
    assert.ok(url, `serve did not start:\n${run.output()}`);
    return { ...run, url };
  }

  async function token(args: string[]): Promise<string> {
    const run = runCli(['token', '--url', serve.url, ...args], env());
    assert.equal(await run.exited, 0, run.output());
    return (JSON.parse(run.output().trim().split('\n').at(-1)!) as { access_token: string }).access_token;
  }

  async function waitForService(timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await client.call('/_status').catch(() => undefined);
      if (status?.status === 200) return;
      assert.ok(Date.now() < deadline, `not recovered: ${status?.status} ${status?.text}`);
      await sleep(200);
    }
  }

  /** Every acknowledged write is there exactly once, with its audit record; the chain verifies. */
  async function verify() {
    await waitForService();
    await verifyAcknowledged({ client, ledger, databaseUrl: database.url, userBearer, appBearer, initialInbox });
    const auditVerify = runCli(['audit', 'verify'], env());
    assert.equal(await auditVerify.exited, 0, auditVerify.output());
    assert.match(auditVerify.output(), /audit chain intact/);
  }

  before(async () => {
    assert.ok(existsSync(CLI), `${CLI} missing: npm run build first`);
    postgres = await startOwnPostgres();
    database = await createTestDatabase(postgres.server.connectionString);
    dataDir = mkdtempSync(join(tmpdir(), 'openspine-crash-'));
    serve = await startServe();
    appBearer = await token([]);
    userBearer = await token(['--user', '555000000001', '--role', '555000000101']);
    initialInbox = new Set(await client.inbox());
  });

  after(async () => {
    if (serve) {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
    await database?.drop();
    await postgres?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const kinds = () => [['MESH sends', ledger.meshSent.size], ['MESH acknowledgements', ledger.meshAcked.size], ['PDS creates', ledger.pdsCreated.size],
    ['PDS patches', ledger.pdsPatched.size], ['NRL creates', ledger.nrlCreated.size], ['EPS transitions', ledger.epsTransitions.size]] as const;

  /** Runs the load, doing `fault` KILLS times once writes are being acknowledged, then checks everything. */
  async function underLoad(what: string, tag: string, times: number, fault: () => Promise<void>) {
    const started = Date.now();
    const before = { acknowledged: ledger.acknowledged(), failed: ledger.failed };
    const load = startLoad(client, ledger, tag);
    try {
      for (let n = 1; n <= times; n++) {
        await load.progress(WRITES_BETWEEN_KILLS);
        await fault();
      }
      await load.progress(WRITES_BETWEEN_KILLS);
      // A kind written rarely (a PDS patch needs a patient created first) may have none yet on a
      // slow machine: the load goes on until every kind has one, so each is checked below.
      await load.until('every kind of write was acknowledged', () => kinds().every(([, count]) => count > 0));
    } finally {
      await load.stop();
    }
    assert.ok(ledger.failed > before.failed, 'the faults were felt: some writes got no answer or a 503');
    await verify();
    for (const [kind, count] of kinds()) assert.ok(count > 0, `no ${kind} acknowledged`);
    console.log(`crash (${what}): ${times} survived, ${ledger.acknowledged() - before.acknowledged} acknowledged writes this phase, `
      + `${ledger.acknowledged()} checked in all, 0 lost or duplicated, ${Date.now() - started} ms [${ledger.summary()}]`);
  }

  it(`the serve process SIGKILLed ${KILLS} times mid-load: every acknowledged write there once, audited`, { timeout: 200_000 }, async () => {
    await underLoad('serve SIGKILL', 's', KILLS, async () => {
      serve.child.kill('SIGKILL');
      await serve.exited;
      serve = await startServe();
    });
  });

  it(`PostgreSQL SIGKILLed ${KILLS} times mid-load (its supervisor restarts it): every acknowledged write there once, audited`, { timeout: 200_000 }, async () => {
    await underLoad('PostgreSQL SIGKILL', 'p', KILLS, async () => {
      process.kill(postgres.postmasterPid(), 'SIGKILL');
      await postgres.waitUntilUp();
    });
  });

  it(`PostgreSQL frozen (SIGSTOP) past the statement timeout ${FREEZES} times mid-load: every acknowledged write there once, audited`, { timeout: 200_000 }, async () => {
    await underLoad('PostgreSQL SIGSTOP', 'f', FREEZES, async () => {
      const frozen = postgres.serverPids();
      for (const pid of frozen) signalServerProcess(pid, 'SIGSTOP');
      try {
        await sleep(FREEZE_MS);
      } finally {
        for (const pid of frozen) signalServerProcess(pid, 'SIGCONT');
      }
    });
  });
});
