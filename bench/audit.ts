/**
 * Audit writer throughput: `node --import tsx bench/audit.ts [--seconds 5] [--connections 50]`
 * (also picked up by `npm run bench -- audit`).
 *
 * N concurrent callers each await `record()` in a loop, as N in-flight requests would, against a
 * real PostgreSQL (DATABASE_URL, else an embedded one under .bench/audit). Reports entries/s, the
 * latency a request waits for its entry to be durable, the CPU each entry costs this process, and
 * entries per commit (group commit at work). Ends with `verify` over everything written.
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

export async function bench(options: Pick<BenchOptions, 'seconds' | 'connections' | 'benchDir'>): Promise<BenchLine[]> {
  return withFreshDatabase(options.benchDir, async (url) => {
    const db = createDb(url, 10);
    await migrate(db, platformMigrations);
    const writer = createAuditWriter(db);
    const latencies: number[] = [];
    log(`audit: ${options.connections} concurrent callers for ${options.seconds}s`);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const deadline = started + options.seconds * 1000;
    let n = 0;
    await Promise.all(Array.from({ length: options.connections }, async (_, caller) => {
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
    const { rows } = await db.query<{ entries: number; commits: number }>(
      'SELECT count(*)::int AS entries, count(DISTINCT xmin::text)::int AS commits FROM audit.events');
    const verifyStarted = performance.now();
    const verdict = await verifyAuditChain(db);
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    await db.close();
    latencies.sort((a, b) => a - b);
    const rate = latencies.length / elapsed;
    const cpuPerEntryMs = (cpu.user + cpu.system) / 1000 / latencies.length;
    return [
      { bench: 'audit', what: `record() with ${options.connections} concurrent callers`, value: `${rate.toFixed(0)} entries/s`, target: '≥ 8000 entries/s', met: rate >= 8000 },
      { bench: 'audit', what: 'record() wait until durable', value: `p50 ${percentile(latencies, 50).toFixed(2)} ms  p99 ${percentile(latencies, 99).toFixed(2)} ms` },
      { bench: 'audit', what: 'CPU per entry in the API process', value: `${(cpuPerEntryMs * 1000).toFixed(0)} µs`, target: '< 1 ms', met: cpuPerEntryMs < 1 },
      { bench: 'audit', what: 'group commit', value: `${(rows[0]!.entries / rows[0]!.commits).toFixed(1)} entries per commit (${rows[0]!.commits} commits)` },
      { bench: 'audit', what: `verify ${verdict.records} records`, value: `${(verdict.records / verifySeconds).toFixed(0)} records/s`, met: verdict.intact, note: verdict.intact ? 'chain intact' : 'CHAIN BROKEN' },
    ];
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
