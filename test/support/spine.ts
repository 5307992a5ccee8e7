import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config, type ConfigFlags } from '../../src/platform/config.js';
import { startSpine, type RunningSpine } from '../../src/platform/runtime.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/platform/db/embedded.js';
import { ALL_SERVICES } from '../../src/services/registry.js';
import type { ServiceModule } from '../../src/platform/service.js';
import type { Clock } from '../../src/platform/clock.js';

let ownServer: Promise<EmbeddedServer> | undefined;

/** The PostgreSQL server tests run on: the runner's (or OPENSPINE_TEST_DATABASE_URL), else one of our own. */
async function serverUrl(): Promise<string> {
  const fromEnv = process.env.OPENSPINE_TEST_DATABASE_URL;
  if (fromEnv) return fromEnv;
  ownServer ??= startEmbeddedPostgres(mkdtempSync(join(tmpdir(), 'openspine-pg-')));
  return (await ownServer).connectionString;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh, empty database on the test server; dropped by the returned function. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = await serverUrl();
  const name = `openspine_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
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
}

export interface TestSpine extends RunningSpine {
  config: Config;
  databaseUrl: string;
  /** Stops the server, drops the database and the data directory. */
  close(): Promise<void>;
}

/** Starts the real server on a random loopback port over a fresh PostgreSQL database. */
export async function startTestSpine(options: TestSpineOptions = {}): Promise<TestSpine> {
  const database = options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? database!.url;
  const dataDir = mkdtempSync(join(tmpdir(), 'openspine-data-'));
  const config = loadConfig(
    { port: 0, host: '127.0.0.1', dataDir, demo: options.demo ?? true, ...options.flags },
    { LOG_LEVEL: 'silent', ...options.env, DATABASE_URL: databaseUrl },
  );
  const spine = await startSpine(config, { modules: options.modules ?? [...ALL_SERVICES], clock: options.clock });
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
