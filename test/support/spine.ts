import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { loadConfig, type Config, type ConfigFlags } from '../../src/platform/config.js';
import { startSpine, type RunningSpine } from '../../src/platform/runtime.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/platform/db/embedded.js';
import { ALL_SERVICES } from '../../src/services/registry.js';
import type { ServiceModule } from '../../src/platform/service.js';
import type { Clock } from '../../src/platform/clock.js';
import { forgetTemplate, migratedTemplate, withDatabase } from './migrated-template.js';

let ownServer: Promise<EmbeddedServer> | undefined;

/** The PostgreSQL server tests run on: the runner's (or OPENSPINE_TEST_DATABASE_URL), else one of our own. */
async function serverUrl(): Promise<string> {
  const fromEnv = process.env.OPENSPINE_TEST_DATABASE_URL;
  if (fromEnv) return fromEnv;
  ownServer ??= startEmbeddedPostgres(mkdtempSync(join(tmpdir(), 'openspine-pg-')));
  return (await ownServer).connectionString;
}

/** A fresh, empty database on the test server (or on `admin`); dropped by the returned function. */
export async function createTestDatabase(adminUrl?: string): Promise<{ url: string; drop(): Promise<void> }> {
  return createDatabase(adminUrl ?? await serverUrl());
}

/**
 * A fresh database on the test server with every service's migrations applied (copied from the
 * server's migrated template, `migrated-template.ts`); dropped by the returned function.
 */
export async function createMigratedTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = await serverUrl();
  try {
    return await createDatabase(admin, await migratedTemplate(admin));
  } catch (err) {
    // Another run on this server (other code, other migrations) dropped this run's template.
    if ((err as { code?: string }).code !== UNDEFINED_DATABASE) throw err;
    forgetTemplate(admin);
    return createDatabase(admin, await migratedTemplate(admin));
  }
}

const UNDEFINED_DATABASE = '3D000';

async function createDatabase(admin: string, template?: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `openspine_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    // WAL_LOG (the default since PostgreSQL 15) copies the template through the WAL; FILE_COPY
    // checkpoints instead. Measured per database here (create, no-op migrate, drop, its share of a
    // checkpoint): WAL_LOG 250–390 ms of PostgreSQL CPU and ~0.4 s wall, FILE_COPY 380–400 ms and
    // 0.7–0.8 s; an empty database migrated afresh, 540–640 ms and ~0.9 s.
    await client.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY WAL_LOG` : `CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return {
    url: withDatabase(admin, name),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestSpineOptions {
  /**
   * Demo mode (demo apps, users, issuer, MESH sandbox mailboxes and key, NHS sandbox patients), which
   * most tests build on. Default true; `demo: false` starts a Spine as a deployment would (give
   * MESH_SHARED_KEY in `env` when it runs messaging).
   */
  demo?: boolean;
  flags?: ConfigFlags;
  env?: Record<string, string>;
  modules?: ServiceModule[];
  clock?: Clock;
  /** Reuse a database (e.g. to restart on the same data); by default a fresh one is made. */
  databaseUrl?: string;
  /** The server's logger (by default none: LOG_LEVEL is silent). */
  log?: Logger;
  /**
   * Each route's schemas compiled at its first request (default true: a test file calls the routes
   * of one or two services); false compiles them all before the server listens, as `serve` does.
   */
  compileSchemasOnDemand?: boolean;
}

export interface TestSpine extends RunningSpine {
  config: Config;
  databaseUrl: string;
  /** Stops the server, drops the database and the data directory. */
  close(): Promise<void>;
}

/**
 * Starts the real server on a random loopback port over a fresh PostgreSQL database: migrated
 * already (from the template) when it runs every service, empty with `modules`.
 */
export async function startTestSpine(options: TestSpineOptions = {}): Promise<TestSpine> {
  // A subset of services (or extra ones) migrates its own empty database, as a deployment of them would.
  const database = options.databaseUrl ? undefined : options.modules ? await createTestDatabase() : await createMigratedTestDatabase();
  const databaseUrl = options.databaseUrl ?? database!.url;
  const dataDir = mkdtempSync(join(tmpdir(), 'openspine-data-'));
  const config = loadConfig(
    { port: 0, host: '127.0.0.1', dataDir, demo: options.demo ?? true, ...options.flags },
    // The server shares its event loop with the test harness (fast-check, assertions), whose work
    // is not load: shedding on event-loop lag is off unless a test asks for it.
    { LOG_LEVEL: 'silent', OPENSPINE_MAX_EVENT_LOOP_DELAY_MS: '0', ...options.env, DATABASE_URL: databaseUrl },
  );
  const spine = await startSpine(config, {
    modules: options.modules ?? [...ALL_SERVICES], clock: options.clock, log: options.log, compileSchemasOnDemand: options.compileSchemasOnDemand ?? true,
  });
  return {
    ...spine,
    config,
    databaseUrl,
    async close() {
      await spine.stop();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Two Spine processes on one database, as behind a load balancer: `b` shares `a`'s database
 * (and its options). `close` stops `b`, then closes `a` (which drops the database).
 */
export async function startTwoTestSpines(options: Omit<TestSpineOptions, 'databaseUrl'> = {}): Promise<{ a: TestSpine; b: TestSpine; close(): Promise<void> }> {
  const a = await startTestSpine(options);
  const b = await startTestSpine({ ...options, databaseUrl: a.databaseUrl });
  return {
    a,
    b,
    async close() {
      await b.close();
      await a.close();
    },
  };
}

export interface OwnPostgres {
  server: EmbeddedServer;
  /** The cluster directory (its `postmaster.pid` names the running server). */
  cluster: string;
  /** The running postmaster's pid. */
  postmasterPid(): number;
  /** The postmaster and every process it started (each backend leads a process group of its own,
   * so signalling the postmaster's group does not reach them). */
  serverPids(): number[];
  /** The server processes whose title (`postgres: walwriter`, …) matches. */
  serverPidsNamed(title: RegExp): number[];
  /**
   * Sends `signal` to every server process (`serverPids`), passing over a backend that ended its
   * session meanwhile; returns the pids it reached.
   */
  signalAll(signal: NodeJS.Signals): number[];
  /** The supervisor process's pid. */
  supervisorPid(): number;
  /** Resolves once PostgreSQL (restarted by its supervisor) accepts connections again. */
  waitUntilUp(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Signals a server process; false for one that has just exited (a backend ending its session). */
export function signalServerProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    return false;
  }
}

/**
 * An embedded PostgreSQL of the test's own, for tests that kill or freeze the server: doing that
 * to the runner's shared server would break every other test file.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dataDir = mkdtempSync(join(tmpdir(), 'openspine-own-pg-'));
  const server = await startEmbeddedPostgres(dataDir);
  const cluster = join(dataDir, 'pg');
  const postmasterPid = () => Number(readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const serverPids = () => {
    const postmaster = postmasterPid();
    return [postmaster, ...childrenOf(postmaster)];
  };
  return {
    server,
    cluster,
    postmasterPid,
    serverPids,
    signalAll: (signal) => serverPids().filter((pid) => signalServerProcess(pid, signal)),
    serverPidsNamed: (title) => childrenOf(postmasterPid()).filter((pid) => {
      try {
        return title.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        return false;
      }
    }),
    supervisorPid: () => (JSON.parse(readFileSync(join(dataDir, 'pg-supervisor.json'), 'utf8')) as { pid: number }).pid,
    async waitUntilUp(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const client = new pg.Client({ connectionString: server.connectionString, connectionTimeoutMillis: 1_000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 100));
        } finally {
          await client.end().catch(() => undefined);
        }
      }
    },
    async close() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the Spine's `/_status` answers 200 (it has found its database again); fails after `timeoutMs`. */
export async function untilHealthy(spine: { url: string }, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 200))) {
    if ((await fetch(`${spine.url}/_status`)).status === 200) return;
    if (Date.now() > deadline) throw new Error(`the Spine did not find its database again within ${timeoutMs} ms`);
  }
}

/** The pids whose parent is `pid` (Linux /proc). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

export interface SpineOnOwnPostgres {
  postgres: OwnPostgres;
  spine: TestSpine;
  /** Stops the server, then PostgreSQL, and removes its data (the database goes with it). */
  close(): Promise<void>;
}

/** The real server over a fresh database on a PostgreSQL of the test's own, which the test may kill, freeze or stop. */
export async function startSpineOnOwnPostgres(options: Omit<TestSpineOptions, 'databaseUrl'> = {}): Promise<SpineOnOwnPostgres> {
  const postgres = await startOwnPostgres();
  try {
    const database = await createTestDatabase(postgres.server.connectionString);
    const spine = await startTestSpine({ ...options, databaseUrl: database.url });
    return {
      postgres,
      spine,
      async close() {
        await spine.close();
        await postgres.close();
      },
    };
  } catch (error) {
    await postgres.close();
    throw error;
  }
}
