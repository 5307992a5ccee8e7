import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { runLoad, type LoadFigures, type LoadRun } from './support/load.js';
import { startServerProcess, type ServerProcess } from './support/server.js';
import { postmasterPid } from './support/cpu.js';
import { combineRuns, measureRun, type CpuSplit, type MeasuredRun } from './support/alternate.js';
import { log, type BenchLine } from './support/report.js';
import { withLock } from './support/lock.js';
import type { BenchOptions } from './options.js';

/** The machine's ceilings, measured in the same run as the benches they are compared with. */
export interface Ceilings {
  hello: LoadFigures;
  pkRead: LoadFigures;
  /** Bare Fastify + one durable single-row insert per request. */
  insert: LoadFigures;
  insertsPerSecond: number;
  /** CPU ms per request of the bare server and of PostgreSQL, for the capacity model. */
  cpuMs: Record<'hello' | 'pkRead' | 'insert', CpuPerRequest>;
}

/** CPU ms per request: the server's, PostgreSQL's, and the load client's (this process, autocannon). */
export type CpuPerRequest = CpuSplit;

/** Where the ceiling server and its PostgreSQL run, for the work done on them. */
interface CeilingRig { url: string; databaseUrl: string; server: ServerProcess; postmaster: number }

const ROWS = 1_000_000;

/** A table of 1M rows with a ~2 KB payload each, about the size of a stored Patient; made once per data dir. */
async function prepareTable(client: pg.Client) {
  await client.query(`CREATE TABLE IF NOT EXISTS bench_rows (id integer PRIMARY KEY, payload jsonb NOT NULL)`);
  const { rows } = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM bench_rows');
  if (Number(rows[0]!.n) === ROWS) return;
  log(`ceiling: filling bench_rows with ${ROWS} rows (once per data dir)`);
  await client.query('TRUNCATE bench_rows');
  await client.query(`INSERT INTO bench_rows SELECT i, jsonb_build_object('id', i, 'text', repeat(md5(i::text), 60)) FROM generate_series(1, ${ROWS}) AS i`);
  await client.query('VACUUM ANALYZE bench_rows');
}

/** Single-row autocommit inserts from `clients` connections for `seconds`: PostgreSQL's durable-write ceiling here. */
async function insertRate(url: string, clients: number, seconds: number): Promise<number> {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query('DROP TABLE IF EXISTS bench_inserts');
  await setup.query('CREATE TABLE bench_inserts (id bigserial PRIMARY KEY, payload text NOT NULL)');
  await setup.end();
  const deadline = Date.now() + seconds * 1000;
  let inserted = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    while (Date.now() < deadline) {
      await client.query('INSERT INTO bench_inserts (payload) VALUES ($1)', ['a small audit-sized row of about a hundred bytes, like an access record']);
      inserted += 1;
    }
    await client.end();
  }));
  return inserted / seconds;
}

/** The ceiling PostgreSQL (its own embedded server, data kept in `<benchDir>/ceiling`) and the bare server on it. */
function withCeilingServer<T>(options: BenchOptions, work: (rig: CeilingRig) => Promise<T>): Promise<T> {
  mkdirSync(options.benchDir, { recursive: true });
  return withLock(join(options.benchDir, 'ceiling.lock'), () => withCeilingServerLocked(options, work));
}

async function withCeilingServerLocked<T>(options: BenchOptions, work: (rig: CeilingRig) => Promise<T>): Promise<T> {
  const dir = join(options.benchDir, 'ceiling');
  const postgres = await startEmbeddedPostgres(dir);
  try {
    const client = new pg.Client({ connectionString: postgres.connectionString });
    await client.connect();
    await prepareTable(client);
    await client.query('CREATE TABLE IF NOT EXISTS bench_inserts (id bigserial PRIMARY KEY, payload text NOT NULL)');
    await client.end();
    const server = await startServerProcess({
      args: ['--import', 'tsx', 'bench/support/ceiling-server.ts'],
      env: { BENCH_DATABASE_URL: postgres.connectionString },
    });
    try {
      return await work({ url: server.url, databaseUrl: postgres.connectionString, server, postmaster: postmasterPid(dir) });
    } finally {
      await server.stop();
    }
  } finally {
    await postgres.stop();
  }
}

function insertLoad(options: BenchOptions, url: string): Promise<LoadRun> {
  return runLoad({ url, connections: options.connections, seconds: options.seconds, next: () => ({ method: 'POST', path: '/insert' }) });
}

function pkReadLoad(options: BenchOptions, url: string): Promise<LoadRun> {
  return runLoad({
    url, connections: options.connections, seconds: options.seconds,
    next: () => ({ path: `/pk/${1 + Math.floor(Math.random() * ROWS)}` }),
  });
}

/** A load run with the CPU it cost the bare server, PostgreSQL and the load client, per request. */
async function withCpu(rig: CeilingRig, load: () => Promise<LoadRun>): Promise<{ figures: LoadFigures; cpuMs: CpuPerRequest }> {
  return combineRuns([await measureRun(rig.server.pid, rig.postmaster, load)]);
}

/** The ceilings' loads for a bench that runs them in turn with its own (support/alternate.ts). */
export interface CeilingLoads {
  pkRead(seconds: number): Promise<MeasuredRun>;
  insert(seconds: number): Promise<MeasuredRun>;
}

/** The bare server and its PostgreSQL kept up while `work` runs, so a bench can alternate its loads with theirs. */
export function withCeilingLoads<T>(options: BenchOptions, work: (loads: CeilingLoads) => Promise<T>): Promise<T> {
  return withCeilingServer(options, (rig) => work({
    pkRead: (seconds) => measureRun(rig.server.pid, rig.postmaster, () => pkReadLoad({ ...options, seconds }, rig.url)),
    insert: (seconds) => measureRun(rig.server.pid, rig.postmaster, () => insertLoad({ ...options, seconds }, rig.url)),
  }));
}

export async function measureCeilings(options: BenchOptions): Promise<{ ceilings: Ceilings; lines: BenchLine[] }> {
  return withCeilingServer(options, async (rig) => {
    const { url, databaseUrl } = rig;
    log('ceiling: bare Fastify hello');
    const hello = await withCpu(rig, () => runLoad({ url, connections: options.connections, seconds: options.seconds, next: () => ({ path: '/hello' }) }));
    log('ceiling: bare Fastify + PostgreSQL primary-key read');
    const pkRead = await withCpu(rig, () => pkReadLoad(options, url));
    log('ceiling: bare Fastify + PostgreSQL single-row insert');
    const insert = await withCpu(rig, () => insertLoad(options, url));
    log('ceiling: PostgreSQL single-row inserts, 20 clients');
    const insertsPerSecond = await insertRate(databaseUrl, 20, Math.min(options.seconds, 5));
    const cpu = (c: CpuPerRequest) => `CPU/req: server ${c.server.toFixed(3)} ms, PostgreSQL ${c.postgres.toFixed(3)} ms, load client ${c.client.toFixed(3)} ms`;
    return {
      ceilings: {
        hello: hello.figures, pkRead: pkRead.figures, insert: insert.figures, insertsPerSecond,
        cpuMs: { hello: hello.cpuMs, pkRead: pkRead.cpuMs, insert: insert.cpuMs },
      },
      lines: [
        { bench: 'ceiling', what: 'bare Fastify hello', figures: hello.figures, note: cpu(hello.cpuMs) },
        { bench: 'ceiling', what: 'bare Fastify + pg PK read (1M rows, ~2 KB)', figures: pkRead.figures, note: cpu(pkRead.cpuMs) },
        { bench: 'ceiling', what: 'bare Fastify + pg single-row insert', figures: insert.figures, note: cpu(insert.cpuMs) },
        { bench: 'ceiling', what: 'bare PostgreSQL single-row insert, 20 clients', value: `${insertsPerSecond.toFixed(0)} rows/s` },
      ],
    };
  });
}
