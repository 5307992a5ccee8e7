import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology } from './support/topology.js';
import { CrashClient, Ledger, NRL_ORG, startLoad } from '../reliability/support/crash-load.js';
import { nextNhsNumber, pointerBody } from '../record-locator/support.js';
import { verifyAcknowledged } from '../reliability/support/acknowledged.js';

// Standing suite "Survive a data-centre outage" (issue 13). Three `openspine serve` processes behind
// HAProxy share one highly available PostgreSQL (Patroni, etcd, synchronous replication, HAProxy
// routing to the primary). Under the mixed write load of the crash suite (MESH sends and
// acknowledgements, PDS creates and PATCHes, NRL creates), the primary is lost, then a whole "site"
// (a database node and the OpenSpine process beside it), then every process is restarted in turn.
// After each, every acknowledged write is present exactly once with its audit record, no MESH
// message is lost or delivered twice, and `openspine audit verify` passes.

const root = new URL('../..', import.meta.url).pathname;
const CLI = join(root, 'dist/cli/main.js');
const WRITES = 8;

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('resilience: a lost database primary, a lost site and a rolling restart lose nothing', { timeout: 900_000 }, () => {
  let topology: Topology;
  let appBearer = '';
  let userBearer = '';
  let initialInbox = new Set<string>();
  const ledger = new Ledger();
  const client = new CrashClient(() => ({ url: topology.apiUrl, appBearer, userBearer }));
  const cliEnv = () => ({ ...topology.serveEnv(topology.serves[0]!, {}), OPENSPINE_DATA_DIR: topology.credentialsDir });

  async function token(args: string[]) {
    const run = await runCli(['token', '--url', topology.apiUrl, ...args], cliEnv());
    assert.equal(run.code, 0, run.output);
    return (JSON.parse(run.output.trim().split('\n').at(-1)!) as { access_token: string }).access_token;
  }

  /**
   * A search (a lag-tolerant read: the standby may serve it) answers 200 at every process, whatever
   * became of the standby; prints where each process's searches went so far.
   */
  async function searchesAnswered() {
    const subject = encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nextNhsNumber()}`);
    for (const serve of topology.serves) {
      const base = `http://127.0.0.1:${serve.port}`;
      const response = await fetch(`${base}/record-locator/consumer/FHIR/R4/DocumentReference?subject:identifier=${subject}`, {
        headers: { authorization: `Bearer ${appBearer}`, 'nhsd-end-user-organisation-ods': NRL_ORG, 'x-request-id': randomUUID() },
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(response.status, 200, `${serve.name}: ${await response.text()}`);
      await response.arrayBuffer().catch(() => undefined);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      const reads = [...metrics.matchAll(/^openspine_db_lag_tolerant_reads_total\{pool="(\w+)",reason="([\w-]+)"\} (\d+)/gm)].map((m) => `${m[1]}/${m[2]}=${m[3]}`);
      console.log(`resilience: ${serve.name} lag-tolerant reads ${reads.join(' ') || 'none'}`);
    }
  }

  async function verify() {
    await verifyAcknowledged({ client, ledger, databaseUrl: topology.databaseUrl, userBearer, appBearer, initialInbox });
    await searchesAnswered();
    const audit = await runCli(['audit', 'verify'], cliEnv());
    assert.equal(audit.code, 0, audit.output);
    assert.match(audit.output, /audit chain intact/);
  }

  /** Writes one NRL pointer (not in the ledger: the checks ignore pointers they were not told of); true on 201. */
  async function probeWrite(): Promise<boolean> {
    const response = await fetch(`${topology.apiUrl}/record-locator/producer/FHIR/R4/DocumentReference`, {
      method: 'POST', body: JSON.stringify(pointerBody(NRL_ORG, nextNhsNumber())), signal: AbortSignal.timeout(10_000),
      headers: { authorization: `Bearer ${appBearer}`, 'nhsd-end-user-organisation-ods': NRL_ORG, 'x-request-id': randomUUID(), 'content-type': 'application/fhir+json' },
    }).catch(() => undefined);
    await response?.arrayBuffer();
    return response?.status === 201;
  }

  /**
   * Runs the load, applies `fault` once writes are flowing, and measures the window in which writes
   * failed: from the fault until the first write begun after it is acknowledged.
   */
  async function underLoad(what: string, fault: () => Promise<void>, recover: () => Promise<void>, measureWindow = true) {
    const failedBefore = ledger.failed;
    client.unsuccessful.clear();
    const acknowledgedBefore = ledger.acknowledged();
    const load = startLoad(client, ledger, what.replace(/[^a-z]/g, '').slice(0, 3));
    let windowMs = 0;
    try {
      await load.progress(WRITES);
      const started = Date.now();
      await fault();
      while (!(await probeWrite())) {
        assert.ok(Date.now() - started < 120_000, `no write acknowledged for 120 s after: ${what}\n${topology.nodeLogs()}`);
        await sleep(100);
      }
      windowMs = Date.now() - started;
      await load.progress(WRITES);
    } finally {
      await load.stop();
    }
    await recover();
    await verify();
    const result = { what, windowMs, failed: ledger.failed - failedBefore, acknowledged: ledger.acknowledged() - acknowledgedBefore,
      unsuccessful: JSON.stringify(Object.fromEntries(client.unsuccessful)) };
    console.log(`resilience (${what}): ${measureWindow ? `writes failed for ${(windowMs / 1000).toFixed(1)} s, ` : ''}${result.failed} requests failed, `
      + `${result.acknowledged} writes acknowledged this phase, ${ledger.acknowledged()} checked in all, 0 lost or duplicated [${ledger.summary()}]; `
      + `not 2xx: ${result.unsuccessful}`);
    return result;
  }

  before(async () => {
    topology = await Topology.start({ serves: 3 });
    appBearer = await token([]);
    userBearer = await token(['--user', '555000000001', '--role', '555000000101']);
    initialInbox = new Set(await client.inbox());
  });

  after(async () => { await topology?.stop(); });

  it('the primary\'s PostgreSQL SIGKILLed: the synchronous standby is promoted and every acknowledged write is there once', async () => {
    const primary = (await topology.leader())!;
    const result = await underLoad('primary lost', async () => {
      topology.crashPostgres(primary);
    }, async () => {
      // The old primary rejoins as the standby (pg_rewind); wait until it is synchronous again.
      const leader = await waitFor('a new leader', () => topology.leader(), 90_000, () => topology.nodeLogs());
      assert.notEqual(leader.name, primary.name, 'the standby took over');
      await waitFor('a synchronous standby again', () => topology.syncStandby(), 120_000, () => topology.nodeLogs());
    });
    assert.ok(result.failed > 0, 'the fault was felt');
  });

  it('a whole site lost (a database node and the OpenSpine process beside it): the same checks', async () => {
    const primary = (await topology.leader())!;
    const serve = topology.serves[0]!;
    await underLoad('site lost', async () => {
      serve.proc!.child.kill('SIGKILL');
      await topology.killNode(primary);
    }, async () => {
      const leader = await waitFor('a new leader', () => topology.leader(), 120_000, () => topology.nodeLogs());
      assert.notEqual(leader.name, primary.name);
      topology.startNode(primary);
      await topology.startServe(serve);
      await waitFor('a synchronous standby again', () => topology.syncStandby(), 120_000, () => topology.nodeLogs());
    });
  });

  it('a rolling restart of every OpenSpine process, one at a time, under load: zero failed requests', async () => {
    const result = await underLoad('rolling restart', async () => {
      for (const serve of topology.serves) {
        serve.proc!.child.kill('SIGTERM');
        assert.equal(await serve.proc!.exited, 0, serve.proc!.output());
        await topology.startServe(serve);
        // Back in rotation before the next one leaves.
        await sleep(1_500);
      }
    }, async () => undefined, false);
    assert.equal(result.failed, 0, `no request failed during the rolling restart: ${result.unsuccessful}`);
  });
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000, detail: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `${what} within ${timeoutMs} ms\n${detail()}`);
    await sleep(250);
  }
}
