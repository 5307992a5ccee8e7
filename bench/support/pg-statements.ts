import { appendFileSync } from 'node:fs';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/platform/db/embedded.js';

/**
 * `BENCH_PG_STATEMENTS=file` (benches on the mixed rig): PostgreSQL's dearest statements of each
 * measured run, from `pg_stat_statements`, appended to `file`, to see where PostgreSQL's CPU per
 * request goes. The module is preloaded for this run only: the rig's server is restarted with it,
 * and the setting is reset at once, so the next start is as before.
 */
export const statementsFile = process.env.BENCH_PG_STATEMENTS || undefined;

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The embedded server of `dataDir` restarted with `pg_stat_statements` loaded. */
export async function withStatementStats(postgres: EmbeddedServer, dataDir: string): Promise<EmbeddedServer> {
  await withClient(postgres.connectionString, (c) => c.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`));
  await postgres.stop();
  const restarted = await startEmbeddedPostgres(dataDir);
  await withClient(restarted.connectionString, async (c) => {
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await c.query('ALTER SYSTEM RESET shared_preload_libraries');
    // Planning too, so a statement's parse-and-plan cost shows beside its execution.
    await c.query('ALTER SYSTEM SET pg_stat_statements.track_planning = on');
    await c.query('SELECT pg_reload_conf()');
  });
  return restarted;
}

/**
 * The embedded server of `dataDir` as a plain run needs it: a run killed while it had the module
 * preloaded leaves the setting behind, so it is reset here and the server restarted without it.
 */
export async function withoutStatementStats(postgres: EmbeddedServer, dataDir: string): Promise<EmbeddedServer> {
  const preloaded = await withClient(postgres.connectionString, async (c) => {
    const { rows } = await c.query<{ shared_preload_libraries: string }>('SHOW shared_preload_libraries');
    await c.query('ALTER SYSTEM RESET pg_stat_statements.track_planning');
    if (!rows[0]!.shared_preload_libraries.includes('pg_stat_statements')) return false;
    await c.query('ALTER SYSTEM RESET shared_preload_libraries');
    return true;
  });
  if (!preloaded) return postgres;
  await postgres.stop();
  return startEmbeddedPostgres(dataDir);
}

export async function resetStatementStats(url: string): Promise<void> {
  await withClient(url, (c) => c.query('SELECT pg_stat_statements_reset()'));
}

/** The run's top statements by total execution time, with calls and time per call and per request. */
export async function writeStatementStats(url: string, label: string, requests: number, top = 25): Promise<void> {
  const { rows } = await withClient(url, (c) => c.query<{ calls: string; total: number; mean: number; plan: number; hit: number; read: number; fpi: number; walKb: number; query: string }>(
    `SELECT calls, total_exec_time AS total, mean_exec_time AS mean, total_plan_time / calls AS plan, shared_blks_hit::float8 / calls AS hit, shared_blks_read::float8 / calls AS read,
            wal_fpi::float8 / calls AS fpi, wal_bytes::float8 / calls / 1024 AS "walKb",
            regexp_replace(query, '\\s+', ' ', 'g') AS query
       FROM pg_stat_statements WHERE calls > 0 ORDER BY total_exec_time + total_plan_time DESC LIMIT $1`, [top]));
  const all = rows.reduce((sum, r) => sum + r.total, 0);
  const planned = rows.reduce((sum, r) => sum + r.plan * Number(r.calls), 0);
  // Blocks per call found in shared buffers and read from outside them (the OS cache or the disk);
  // WAL per call, and the full-page images in it (a page's first change after a checkpoint).
  const lines = rows.map((r) => `${(r.total / Math.max(1, requests)).toFixed(3).padStart(7)} ms/req ${r.mean.toFixed(3).padStart(8)} ms/call ${String(r.calls).padStart(8)} calls `
    + `${r.plan.toFixed(3).padStart(7)} ms plan ${r.hit.toFixed(1).padStart(6)} hit ${r.read.toFixed(1).padStart(5)} read ${r.walKb.toFixed(1).padStart(6)} kB WAL ${r.fpi.toFixed(1).padStart(5)} FPI  ${r.query.slice(0, 400)}`);
  appendFileSync(statementsFile!, `# ${label}: ${requests} requests; top ${rows.length} statements ${(all / Math.max(1, requests)).toFixed(3)} ms of execution and ${(planned / Math.max(1, requests)).toFixed(3)} ms of planning a request\n${lines.join('\n')}\n\n`);
}
