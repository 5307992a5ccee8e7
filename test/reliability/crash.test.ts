import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createTestDatabase, startOwnPostgres, type OwnPostgres } from '../support/spine.js';
import { MB2, V2, meshAuthorization } from '../messaging/support/mesh-client.js';
import { CrashClient, Ledger, NRL_ORG, PDS, startLoad } from './support/crash-load.js';

// Standing suite "Crash" (issue 9). A load client writes through the compiled `openspine serve`
// (MESH sends and acknowledgements, PDS creates and PATCHes, NRL creates) and records every 2xx;
// the serve process, then PostgreSQL, is SIGKILLed mid-load KILLS times each, then PostgreSQL is
// frozen past the timeouts. After each phase every acknowledged write is there exactly once, with
// its audit record, and `openspine audit verify` passes. The load client is support/crash-load.ts.

const root = new URL('../..', import.meta.url).pathname;
const CLI = join(root, 'dist/cli/main.js');
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
    const pdsReader = () => ({ authorization: `Bearer ${userBearer}`, 'x-request-id': randomUUID() });
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      // PDS creates: each acknowledged one stored once, under the NHS number it was given; an
      // unanswered one (retried with its X-Request-ID) at most once.
      for (const [id, { family }] of ledger.pdsCreated) {
        const { rows } = await db.query('SELECT nhs_number FROM demographics.patients WHERE lower(family) = lower($1)', [family]);
        assert.deepEqual(rows.map((r) => r.nhs_number), [id], `acknowledged create ${family} stored exactly once`);
        assert.equal((await client.settledCall(`${PDS}/Patient/${id}`, { headers: pdsReader })).status, 200);
      }
      for (const family of ledger.pdsCreateUnanswered) {
        const { rows } = await db.query('SELECT nhs_number FROM demographics.patients WHERE lower(family) = lower($1)', [family]);
        assert.ok(rows.length <= 1, `unanswered create ${family} stored ${rows.length} times`);
      }
      // PDS PATCHes: each applied once (one version each), the last acknowledged one in place.
      for (const [id, patches] of ledger.pdsPatched) {
        const read = await client.settledCall(`${PDS}/Patient/${id}`, { headers: pdsReader });
        const version = Number(/W\/"(\d+)"/.exec(read.headers.get('etag') ?? '')?.[1]);
        const last = patches.at(-1)!;
        assert.ok(version - 1 >= patches.length, `${id}: ${patches.length} acknowledged patches but version ${version}`);
        assert.ok(version - 1 <= ledger.pdsPatchTried.get(id)!, `${id}: version ${version} after ${ledger.pdsPatchTried.get(id)} patches tried`);
        assert.ok(version >= last.version, `${id}: version ${version} older than acknowledged ${last.version}`);
        if (version === last.version) assert.equal((JSON.parse(read.text) as { gender: string }).gender, last.gender, `${id}: last acknowledged patch in place`);
      }
      // NRL creates: each acknowledged pointer readable and stored once.
      for (const [id, { url }] of ledger.nrlCreated) {
        const { rows } = await db.query(`SELECT id FROM record_locator.pointers WHERE resource->'content'->0->'attachment'->>'url' = $1`, [url]);
        assert.deepEqual(rows.map((r) => r.id), [id], `acknowledged pointer ${id} stored exactly once`);
        const read = await client.settledCall(`/record-locator/producer/FHIR/R4/DocumentReference/${id}`, { headers: () => ({ authorization: `Bearer ${appBearer}`, 'nhsd-end-user-organisation-ods': NRL_ORG, 'x-request-id': randomUUID() }) });
        assert.equal(read.status, 200, read.text);
      }
      for (const url of ledger.nrlUnanswered) {
        const { rows } = await db.query(`SELECT id FROM record_locator.pointers WHERE resource->'content'->0->'attachment'->>'url' = $1`, [url]);
        assert.ok(rows.length <= 1, `unanswered pointer ${url} stored ${rows.length} times`);
      }
      // MESH: every accepted message stored once; an acknowledged one never back in the inbox; an
      // unacknowledged one in it exactly once with its body; nothing in it twice.
      const listed = (await client.inbox()).filter((id) => !initialInbox.has(id));
      assert.equal(new Set(listed).size, listed.length, 'no message listed twice');
      const stored = await db.query('SELECT count(*)::int AS n FROM messaging.messages WHERE message_id = ANY($1)', [[...ledger.meshSent.keys()]]);
      assert.equal(stored.rows[0].n, ledger.meshSent.size, 'every accepted message stored');
      for (const id of ledger.meshAcked) assert.ok(!listed.includes(id), `acknowledged ${id} reappeared in the inbox`);
      const extra = listed.filter((id) => !ledger.meshSent.has(id));
      assert.ok(extra.length <= ledger.meshUnanswered, `${extra.length} unknown messages in the inbox, ${ledger.meshUnanswered} sends unanswered`);
      for (const [id] of ledger.meshSent) {
        if (!ledger.meshAcked.has(id) && !ledger.meshAckUnanswered.has(id)) assert.ok(listed.includes(id), `accepted ${id} lost from the inbox`);
      }
      // An acknowledgement is durable; one that got no answer either landed or left the message waiting.
      const acknowledgedEvents = await db.query(`SELECT DISTINCT message_id FROM messaging.message_events WHERE status = 'acknowledged' AND message_id = ANY($1)`,
        [[...ledger.meshAcked, ...ledger.meshAckUnanswered, ...listed]]);
      const acknowledged = new Set(acknowledgedEvents.rows.map((r) => r.message_id as string));
      for (const id of ledger.meshAcked) assert.ok(acknowledged.has(id), `acknowledged ${id} has no acknowledged event`);
      for (const id of ledger.meshAckUnanswered) assert.ok(acknowledged.has(id) !== listed.includes(id), `${id}: acknowledged ${acknowledged.has(id)}, listed ${listed.includes(id)}`);
      for (const id of listed) assert.ok(!acknowledged.has(id), `${id} is acknowledged yet listed`);
      const bodies = new Set<string>();
      for (const id of listed) {
        const download = await client.settledCall(`/messageexchange/${MB2}/inbox/${id}`, { headers: () => ({ authorization: meshAuthorization(MB2), accept: V2 }) });
        assert.equal(download.status, 200, download.text);
        if (ledger.meshSent.has(id)) assert.equal(download.text, ledger.meshSent.get(id));
        assert.ok(!bodies.has(download.text), `message body ${download.text} delivered twice`);
        bodies.add(download.text);
      }
      // Audit: every acknowledged write has its success record.
      const requestIds = [...ledger.pdsCreated.values(), ...[...ledger.pdsPatched.values()].flat(), ...ledger.nrlCreated.values()].map((w) => w.requestId);
      const audited = await db.query(`SELECT DISTINCT request_id FROM audit.events WHERE request_id = ANY($1) AND outcome = 'success'`, [requestIds]);
      const auditedIds = new Set(audited.rows.map((r) => r.request_id as string));
      assert.deepEqual(requestIds.filter((id) => !auditedIds.has(id)), [], 'acknowledged PDS/NRL writes without an audit record');
      for (const [action, ids] of [['message.send', [...ledger.meshSent.keys()]], ['message.acknowledge', [...ledger.meshAcked]]] as const) {
        const { rows } = await db.query(`SELECT DISTINCT resource FROM audit.events WHERE action = $1 AND outcome = 'success' AND resource = ANY($2)`, [action, ids.map((id) => `MeshMessage/${id}`)]);
        const seen = new Set(rows.map((r) => r.resource as string));
        assert.deepEqual(ids.filter((id) => !seen.has(`MeshMessage/${id}`)), [], `acknowledged MESH writes without a ${action} audit record`);
      }
    } finally {
      await db.end();
    }
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
    } finally {
      await load.stop();
    }
    assert.ok(ledger.failed > before.failed, 'the faults were felt: some writes got no answer or a 503');
    await verify();
    for (const [kind, count] of [['MESH sends', ledger.meshSent.size], ['MESH acknowledgements', ledger.meshAcked.size], ['PDS creates', ledger.pdsCreated.size],
      ['PDS patches', ledger.pdsPatched.size], ['NRL creates', ledger.nrlCreated.size]] as const) assert.ok(count > 0, `no ${kind} acknowledged`);
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
      for (const pid of frozen) signal(pid, 'SIGSTOP');
      try {
        await sleep(FREEZE_MS);
      } finally {
        for (const pid of frozen) signal(pid, 'SIGCONT');
      }
    });
  });
});

/** Signals a server process; one that has just exited (a backend ending its session) is skipped. */
function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
