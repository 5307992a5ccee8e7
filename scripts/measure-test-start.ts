// The CPU of one test Spine start, by phase: `node --import tsx scripts/measure-test-start.ts [starts]`.
// It does what startTestSpine and startSpine do, step by step, on an embedded PostgreSQL of its own,
// and prints this process's CPU (process.cpuUsage) and PostgreSQL's (every server process, from
// /proc) for each phase: what a test file pays per start, whatever the machine's load.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresCpuSeconds, postmasterPid } from '../bench/support/cpu.js';

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const loadStart = cpuMs();
const { startEmbeddedPostgres } = await import('../src/platform/db/embedded.js');
const dataDir = mkdtempSync(join(tmpdir(), 'openspine-measure-'));
const server = await startEmbeddedPostgres(dataDir);
process.env.OPENSPINE_TEST_DATABASE_URL = server.connectionString;
const support = await import('../test/support/spine.js');
const { loadConfig } = await import('../src/platform/config.js');
const runtime = await import('../src/platform/runtime.js');
const { createDb } = await import('../src/platform/db/pool.js');
const { buildServer } = await import('../src/platform/http/server.js');
const { ALL_SERVICES } = await import('../src/services/registry.js');
const { pino } = await import('pino');
console.log(`module loading: node ${(cpuMs() - loadStart).toFixed(0)} ms`);

const postmaster = postmasterPid(dataDir);
/** CPU of the postmaster, its live children and the children it has reaped (bench/support/cpu.ts). */
const postgresCpuMs = (pid: number) => postgresCpuSeconds(pid) * 1000;
const rows: string[] = [];
async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  const node = cpuMs();
  const pg = postgresCpuMs(postmaster);
  const wall = performance.now();
  const result = await work();
  rows.push(`${name.padEnd(34)} node ${(cpuMs() - node).toFixed(0).padStart(6)} ms   postgres ${(postgresCpuMs(postmaster) - pg).toFixed(0).padStart(6)} ms   wall ${(performance.now() - wall).toFixed(0).padStart(6)} ms`);
  return result;
}

const modules = [...ALL_SERVICES];
const starts = Number(process.argv[2] ?? 3);
for (let i = 1; i <= starts; i++) {
  rows.length = 0;
  const total = { node: cpuMs(), pg: postgresCpuMs(postmaster) };
  const database = await phase('database (from the template)', () => support.createMigratedTestDatabase());
  const dir = mkdtempSync(join(tmpdir(), 'openspine-measure-data-'));
  const config = loadConfig({ port: 0, host: '127.0.0.1', dataDir: dir, demo: true },
    { LOG_LEVEL: 'silent', OPENSPINE_MAX_EVENT_LOOP_DELAY_MS: '0', DATABASE_URL: database.url });
  const log = pino({ level: 'silent' });
  const opened = await runtime.openDatabase(config, log, { serving: true });
  const applied = await phase('migrations', async () => {
    const db = createDb(database.url, { max: 1, connectTimeoutMs: config.pool.connectTimeoutMs });
    return runtime.migrateAll(db, modules).finally(() => db.close());
  });
  const ctx = await phase('context (token keys)', () => runtime.createContext(config, opened.db, log));
  for (const module of modules) {
    if (module.seedDemo) await phase(`seed ${module.name}`, () => module.seedDemo!(ctx));
  }
  const app = await phase('server build', () => buildServer(ctx, modules));
  await phase('listen', () => app.listen({ port: 0, host: '127.0.0.1' }));
  const startNode = cpuMs() - total.node;
  const startPg = postgresCpuMs(postmaster) - total.pg;
  await app.close();
  await ctx.audit.close();
  await opened.close();
  await phase('database drop', () => database.drop());
  rmSync(dir, { recursive: true, force: true });
  console.log(`\nstart ${i} (${applied.length} migrations applied):\n${rows.join('\n')}`);
  console.log(`start total (to listening):        node ${startNode.toFixed(0).padStart(6)} ms   postgres ${startPg.toFixed(0).padStart(6)} ms`);
}
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
console.log(`\nload average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
