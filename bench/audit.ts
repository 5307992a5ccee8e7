/**
 * Audit writer throughput: `node --import tsx bench/audit.ts [--seconds 5] [--connections 50]`
 * (also picked up by `npm run bench -- audit`).
 *
 * N concurrent callers each await `record()` in a loop, as N in-flight requests would, against a
 * real PostgreSQL (DATABASE_URL, else an embedded one under .bench/audit). Reports entries/s, the
 * latency a request waits for its entry to be durable, the CPU each entry costs this process, and
 * entries per commit (group commit at work), at N and 4N callers. Ends with `verify` over it all.
 */
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/platform/db/embedded.js';
import { createDb } from '../src/platform/db/pool.js';
import { migrate } from '../src/platform/db/migrate.js';
import { platformMigrations } from '../src/platform/migrations.js';
import { createAuditWriter } from '../src/platform/audit/writer.js';
import { verifyAuditChain } from '../src/platform/audit/verify.js';
import type { BenchOptions } from './options.js';
import { log, printTable, type BenchLine } from './support/report.js';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function withFreshDatabase<T>(benchDir: string, work: (url: string) => Promise<T>): Promise<T> {
  let embedded: EmbeddedServer | undefined;
  const serverUrl = process.env.DATABASE_URL ?? (embedded = await startEmbeddedPostgres(join(benchDir, 'audit'))).connectionString;
  const name = `bench_audit_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await embedded?.stop();
  }
}

interface RunFigures {
  callers: number;
  rate: number;
  p50: number;
  p99: number;
  cpuPerEntryMs: number;
  perCommit: number;
}

/** `callers` loops, each awaiting record() back to back for `seconds`, on a fresh chain. */
async function measure(url: string, callers: number, seconds: number): Promise<RunFigures> {
  const db = createDb(url, 10);
  await migrate(db, platformMigrations);
  const before = (await db.query<{ entries: number; commits: number }>(
    'SELECT count(*)::int AS entries, count(DISTINCT xmin::text)::int AS commits FROM audit.events')).rows[0]!;
  const writer = createAuditWriter(db);
  const latencies: number[] = [];
  log(`audit: ${callers} concurrent callers for ${seconds}s`);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let n = 0;
  await Promise.all(Array.from({ length: callers }, async (_, caller) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await writer.record({
        requestId: `bench-${caller}-${n++}`, action: 'patient.read', resource: 'Patient/9000000009', nhsNumbers: ['9000000009'],
        outcome: 'success', appId: 'bench-app', appName: 'Bench app', userId: '555021935107', roleProfileId: '555021936108',
        roleCode: 'R8000', odsCode: 'Y12345', clientAddress: '127.0.0.1', detail: { caller },
      });
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await writer.close();
  const after = (await db.query<{ entries: number; commits: number }>(
    'SELECT count(*)::int AS entries, count(DISTINCT xmin::text)::int AS commits FROM audit.events')).rows[0]!;
  await db.close();
  latencies.sort((a, b) => a - b);
  return {
    callers,
    rate: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPerEntryMs: (cpu.user + cpu.system) / 1000 / latencies.length,
    perCommit: (after.entries - before.entries) / (after.commits - before.commits),
  };
}

/**
 * Two runs: the given concurrency, and four times it. Group commit makes throughput about
 * concurrency / commit time, so a server at 8,000 requests/s (hundreds in flight) batches more
 * per commit than 50 callers can.
 */
export async function bench(options: Pick<BenchOptions, 'seconds' | 'connections' | 'benchDir'>): Promise<BenchLine[]> {
  return withFreshDatabase(options.benchDir, async (url) => {
    const lines: BenchLine[] = [];
    for (const callers of [options.connections, options.connections * 4]) {
      const run = await measure(url, callers, options.seconds);
      lines.push(
        { bench: 'audit', what: `record() with ${callers} concurrent callers`, value: `${run.rate.toFixed(0)} entries/s`,
          note: `${run.perCommit.toFixed(1)} entries per commit` },
        { bench: 'audit', what: `  wait until durable (${callers} callers)`, value: `p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms` },
        { bench: 'audit', what: `  CPU per entry in the API process`, value: `${(run.cpuPerEntryMs * 1000).toFixed(0)} µs`,
          target: '< 1 ms', met: run.cpuPerEntryMs < 1 },
      );
    }
    const db = createDb(url, 2);
    const started = performance.now();
    const verdict = await verifyAuditChain(db);
    const seconds = (performance.now() - started) / 1000;
    await db.close();
    lines.push({ bench: 'audit', what: `verify ${verdict.records} records`, value: `${(verdict.records / seconds).toFixed(0)} records/s`,
      met: verdict.intact, note: verdict.intact ? 'chain intact' : 'CHAIN BROKEN' });
    return lines;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flag = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number`);
    return value;
  };
  bench({ seconds: flag('seconds', 5), connections: flag('connections', 50), benchDir: resolve('.bench') })
    .then(printTable, (err) => {
      process.stderr.write(`bench audit: ${(err as Error).message}\n`);
      process.exit(1);
    })
    .then(() => process.exit(0));
}
