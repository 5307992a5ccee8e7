import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalServerProcess, startSpineOnOwnPostgres, startTestSpine, type SpineOnOwnPostgres, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import type { FuzzPlan, FuzzResult } from './support/fuzz-client.js';

/**
 * The standing fuzz suite (issue 9): fast-check sends malformed requests to every registered route
 * of every service, authenticated (a token with every activity, fresh NHSMESH headers) so they reach
 * the handlers: bad JSON, wrong types at every depth, huge and unicode values (lone surrogates,
 * NUL), injection strings, bad NHS numbers, odd headers, oversized bodies, concurrent duplicates.
 * Never a 5xx, never a crash, always the API's error shape, and nothing stored from an invalid
 * write. The client runs in its own process so the server keeps this one's event loop. Then the
 * same again (5% as many) with the database killed and held down, and again with it frozen: every
 * route still answers (at once, or within the timeouts when frozen), and a request that needs the
 * database gets its API's 503, in the API's shape, with Retry-After; any other 5xx is a failure.
 *
 * OPENSPINE_FUZZ_CASES (default 100,000 in all) and OPENSPINE_FUZZ_SEED make a run larger or
 * replay one; the seed is printed.
 */
const TOTAL = Number(process.env.OPENSPINE_FUZZ_CASES ?? 100_000);
const SEED = Number(process.env.OPENSPINE_FUZZ_SEED ?? Date.now() % 2 ** 31);
const INVALID_WRITES = Math.round(TOTAL * 0.15);
/** Sent with the database down, on top of TOTAL. */
const WITH_DATABASE_DOWN = Math.round(TOTAL * 0.05);
const CLIENT = fileURLToPath(new URL('./support/fuzz-client.ts', import.meta.url));
const NHS_NUMBERS = ['9000000009', '9000000017', '9000000025', '9000000033'];
const ODS = 'A83008';

/** Tables that every request may write whether or not it is valid: the audit trail, replay guards,
 * the shared per-application rate-limit windows, the per-minute traffic figures of the console's
 * overview, and (with a read replica) the callers' write marks. ($validate, like _search, is a read by POST.) */
const WRITTEN_BY_ANY_REQUEST = /^(audit\.|messaging\.(nonces|auth_nonces)|identity\.(token_jtis|used_jtis)|platform\.(rate_windows|traffic_minutes|caller_commits))/;

function runClient(plan: FuzzPlan): Promise<FuzzResult & { failure?: string }> {
  return new Promise((resolve, reject) => {
    // The plan (every route with its schemas) goes on stdin: it outgrew the limit of one argument.
    const child = spawn(process.execPath, ['--import', 'tsx', CLIENT], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.end(JSON.stringify(plan));
    let out = '';
    child.stdout.on('data', (part: Buffer) => { out += part.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as FuzzResult & { failure?: string });
      } catch {
        reject(new Error(`fuzz client exited ${code} without a result: ${out.slice(-2_000)}`));
      }
    });
  });
}

async function rowCounts(db: pg.Pool): Promise<Map<string, number>> {
  const { rows: tables } = await db.query<{ name: string }>(`
    SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`);
  const counts = new Map<string, number>();
  for (const { name } of tables) {
    const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`);
    counts.set(name, Number(rows[0]!.n));
  }
  return counts;
}

/** The server's warnings and errors, the latest kept: a 5xx's cause as the server saw it. */
function serverLog(keep = 50) {
  const lines: string[] = [];
  const log = pino({ level: 'warn', base: undefined }, { write: (line: string) => { lines.push(line.trim()); if (lines.length > keep) lines.shift(); } });
  return { log, lines };
}

function report(label: string, result: FuzzResult) {
  const histogram = Object.entries(result.histogram).sort(([a], [b]) => Number(a) - Number(b)).map(([s, n]) => `${s === '0' ? 'unanswered' : s === '-1' ? 'reset' : s}:${n}`).join(' ');
  console.log(`fuzz ${label}: ${result.tried} requests in ${(result.ms / 1000).toFixed(1)} s (seed ${result.seed}); statuses ${histogram}`);
}

/** A plan for every route of `spine`, with an application granted every activity (and NRL pointer types). */
async function planFor(spine: TestSpine): Promise<FuzzPlan> {
  const app = await createAppAndToken(spine, { odsCode: ODS });
  // The fuzzing application may produce pointers, so NRL writes get past its permission check.
  const granted = await fetch(`${spine.url}/admin/record-locator/permissions/${app.principal.appId}/${ODS}`, {
    method: 'PUT', headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(['http://snomed.info/sct|736253002', 'http://snomed.info/sct|1363501000000100']),
  });
  assert.equal(granted.status, 200, await granted.text());
  return {
    url: spine.url, token: app.token, odsCode: ODS, nhsNumbers: NHS_NUMBERS,
    routes: spine.app.routeTable.filter((r) => r.url !== '/metrics'),
    cases: 0, batch: 200, concurrency: 12, seed: SEED, meshPassword: 'password', meshSharedKey: spine.config.meshSharedKey,
  };
}

describe('fuzz: malformed requests to every route of every service', () => {
  let spine: TestSpine;
  let db: pg.Pool;
  let plan: FuzzPlan;
  const server = serverLog();
  /** A failure's message with what the server logged meanwhile. */
  const withServerLog = (failure: string | undefined) => `${failure ?? ''}\nserver log (warnings and errors, latest last):\n${server.lines.join('\n')}`;
  before(async () => {
    spine = await startTestSpine({ log: server.log });
    db = new pg.Pool({ connectionString: spine.databaseUrl, max: 2 });
    plan = await planFor(spine);
  });
  after(async () => {
    await db?.end();
    await spine?.close();
  });

  it('invalid writes are refused with a 4xx in the API\'s error shape, and store nothing', async () => {
    const beforeCounts = await rowCounts(db);
    const result = await runClient({ ...plan, cases: INVALID_WRITES, invalidWritesOnly: true });
    report('invalid writes', result);
    const afterCounts = await rowCounts(db);
    assert.deepEqual(result.violations, [], withServerLog(result.failure));
    const changed = [...afterCounts].filter(([table, n]) => n !== beforeCounts.get(table) && !WRITTEN_BY_ANY_REQUEST.test(table))
      .map(([table, n]) => `${table}: ${beforeCounts.get(table)} → ${n}`);
    assert.deepEqual(changed, [], `invalid writes were stored; accepted: ${result.accepted.slice(0, 10).join('\n')}`);
    assert.deepEqual(result.accepted, []);
    assert.ok(result.tried >= INVALID_WRITES);
  });

  it('any request to any route: never a 5xx, always the API\'s error shape', async () => {
    const result = await runClient({ ...plan, cases: TOTAL - INVALID_WRITES, seed: SEED + 1 });
    report('all routes', result);
    assert.deepEqual(result.violations, [], withServerLog(result.failure));
    assert.ok(result.tried >= TOTAL - INVALID_WRITES);
    const statuses = Object.keys(result.histogram).map(Number);
    assert.ok(statuses.some((s) => s >= 200 && s < 300), 'some requests reach a handler and succeed');
    // Still up, and still answering.
    const ping = await fetch(`${spine.url}/_ping`);
    assert.equal(ping.status, 200);
  });
});

describe('fuzz with the database down: every route still answers, a 5xx only as its API\'s 503', () => {
  let own: SpineOnOwnPostgres;
  let plan: FuzzPlan;
  const server = serverLog();
  before(async () => {
    // Its own PostgreSQL, killed here; tight timeouts, as a deployment would set them.
    own = await startSpineOnOwnPostgres({ log: server.log, env: { OPENSPINE_DB_CONNECT_TIMEOUT_MS: '1000', OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '1500' } });
    plan = await planFor(own.spine);
  });
  after(async () => {
    await own?.close();
  });

  it('any request to any route with PostgreSQL refusing connections: answered at once, in the API\'s shape, its 503 with Retry-After', { timeout: 600_000 }, async () => {
    const supervisor = own.postgres.supervisorPid();
    // Hold the supervisor so PostgreSQL stays down, then kill PostgreSQL.
    process.kill(supervisor, 'SIGSTOP');
    let result: FuzzResult & { failure?: string };
    try {
      process.kill(own.postgres.postmasterPid(), 'SIGKILL');
      await sleep(300);
      result = await runClient({ ...plan, cases: WITH_DATABASE_DOWN, seed: SEED + 2, databaseDown: true });
    } finally {
      process.kill(supervisor, 'SIGCONT');
    }
    report('database down', result);
    await assertAnsweredAndRecovers(result);
  });

  it('the same with PostgreSQL frozen (SIGSTOP): answered within the timeouts, its 503 with Retry-After; recovers when it thaws', { timeout: 600_000 }, async () => {
    await waitForRecovery();
    // Connections open in the pool when it freezes, so statements hang on them until the timeouts.
    const warm = await Promise.all(Array.from({ length: 12 }, async () => (await fetch(`${own.spine.url}/personal-demographics/FHIR/R4/Patient/${NHS_NUMBERS[0]}`, {
      headers: { authorization: `Bearer ${plan.token}`, 'x-request-id': randomUUID(), 'nhsd-end-user-organisation-ods': ODS },
    })).status));
    assert.deepEqual(warm, Array(12).fill(200));
    const frozen = own.postgres.serverPids();
    for (const pid of frozen) signalServerProcess(pid, 'SIGSTOP');
    let result: FuzzResult & { failure?: string };
    try {
      // A statement gives up after 1.5 s and the client 2 s later; a new connection after 1 s.
      result = await runClient({ ...plan, cases: WITH_DATABASE_DOWN, seed: SEED + 3, databaseDown: true, downAnswerMs: 12_000 });
    } finally {
      for (const pid of frozen) signalServerProcess(pid, 'SIGCONT');
    }
    report('database frozen', result);
    await assertAnsweredAndRecovers(result);
  });

  function assertAnsweredAndRecovers(result: FuzzResult & { failure?: string }) {
    assert.deepEqual(result.violations, [], `${result.failure ?? ''}\nserver log (warnings and errors, latest last):\n${server.lines.join('\n')}`);
    assert.ok(result.tried >= WITH_DATABASE_DOWN);
    assert.ok((result.histogram['503'] ?? 0) > 0, 'requests that need the database met its absence');
    return waitForRecovery();
  }

  /** Back by itself once PostgreSQL is. */
  async function waitForRecovery() {
    const deadline = Date.now() + 30_000;
    while ((await fetch(`${own.spine.url}/_status`)).status !== 200) {
      assert.ok(Date.now() < deadline, 'not recovered within 30 s');
      await sleep(200);
    }
  }
});
