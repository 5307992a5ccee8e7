import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { runLoad, type LoadFigures } from './support/load.js';
import { startServerProcess } from './support/server.js';
import { log, type BenchLine } from './support/report.js';
import { withLock } from './support/lock.js';
import type { BenchOptions } from './options.js';

/** The machine's ceilings, measured in the same run as the benches they are compared with. */
export interface Ceilings {
  hello: LoadFigures;
  pkRead: LoadFigures;
  insertsPerSecond: number;
}

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
function withCeilingServer<T>(options: BenchOptions, work: (url: string, databaseUrl: string) => Promise<T>): Promise<T> {
  mkdirSync(options.benchDir, { recursive: true });
  return withLock(join(options.benchDir, 'ceiling.lock'), () => withCeilingServerLocked(options, work));
}

async function withCeilingServerLocked<T>(options: BenchOptions, work: (url: string, databaseUrl: string) => Promise<T>): Promise<T> {
  const postgres = await startEmbeddedPostgres(join(options.benchDir, 'ceiling'));
  try {
    const client = new pg.Client({ connectionString: postgres.connectionString });
    await client.connect();
    await prepareTable(client);
    await client.end();
    const server = await startServerProcess({
      args: ['--import', 'tsx', 'bench/support/ceiling-server.ts'],
      env: { BENCH_DATABASE_URL: postgres.connectionString },
    });
    try {
      return await work(server.url, postgres.connectionString);
    } finally {
      await server.stop();
    }
  } finally {
    await postgres.stop();
  }
}

function pkReadLoad(options: BenchOptions, url: string): Promise<LoadFigures> {
  return runLoad({
    url, connections: options.connections, seconds: options.seconds,
    next: () => ({ path: `/pk/${1 + Math.floor(Math.random() * ROWS)}` }),
  });
}

/**
 * The Fastify + primary-key-read ceiling alone, for a bench to measure right next to its own run:
 * on a shared machine the ceiling drifts within minutes, and a ratio is only fair at one moment.
 */
export function measurePkReadCeiling(options: BenchOptions): Promise<LoadFigures> {
  return withCeilingServer(options, (url) => pkReadLoad(options, url));
}

export async function measureCeilings(options: BenchOptions): Promise<{ ceilings: Ceilings; lines: BenchLine[] }> {
  return withCeilingServer(options, async (url, databaseUrl) => {
    log('ceiling: bare Fastify hello');
    const hello = await runLoad({ url, connections: options.connections, seconds: options.seconds, next: () => ({ path: '/hello' }) });
    log('ceiling: bare Fastify + PostgreSQL primary-key read');
    const pkRead = await pkReadLoad(options, url);
    log('ceiling: PostgreSQL single-row inserts, 20 clients');
    const insertsPerSecond = await insertRate(databaseUrl, 20, Math.min(options.seconds, 5));
    return {
      ceilings: { hello, pkRead, insertsPerSecond },
      lines: [
        { bench: 'ceiling', what: 'bare Fastify hello', figures: hello },
        { bench: 'ceiling', what: 'bare Fastify + pg PK read (1M rows, ~2 KB)', figures: pkRead },
        { bench: 'ceiling', what: 'bare PostgreSQL single-row insert, 20 clients', value: `${insertsPerSecond.toFixed(0)} rows/s` },
      ],
    };
  });
}
