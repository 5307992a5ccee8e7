import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { checkServeConfig } from './config.js';
import { createDb, type Db } from './db/pool.js';
import { isDatabaseUnavailable } from './db/faults.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './db/embedded.js';
import { migrate, type MigrateOptions, type MigrationSet } from './db/migrate.js';
import { systemClock, type Clock } from './clock.js';
import { createAuditWriter } from './audit/writer.js';
import { AccessTokens } from './auth/access-tokens.js';
import { SANDBOX_PRINCIPAL } from './auth/sandbox.js';
import { platformMigrations } from './migrations.js';
import type { BackgroundWorker, PlatformContext, ServiceModule } from './service.js';
import { startPeriodic } from './periodic.js';
import { collectStartupGarbage } from './startup-garbage.js';

/** How often a serving process chains pending audit entries that no process chained at their commit. */
const PENDING_AUDIT_SWEEP_MS = 1_000;

export interface Database {
  db: Db;
  embedded: EmbeddedServer | undefined;
  connectionString: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A process serving requests gets the configured statement timeouts; a CLI job (a seed of a
   * million patients, a migration building an index) runs without them. */
  serving?: boolean;
}

/** Connects to DATABASE_URL, or starts (or joins) the embedded PostgreSQL of `<dataDir>`. */
export async function openDatabase(config: Config, log: Logger, options: OpenOptions = {}): Promise<Database> {
  let embedded: EmbeddedServer | undefined;
  let url = config.databaseUrl;
  if (!url) {
    log.info({ dataDir: config.dataDir }, 'starting embedded PostgreSQL');
    embedded = await startEmbeddedPostgres(config.dataDir, (line) => log.info({ postgres: line }, line));
    url = embedded.connectionString;
  }
  const db = createDb(url, {
    max: config.pool.max,
    connectTimeoutMs: config.pool.connectTimeoutMs,
    statementTimeoutMs: options.serving ? config.pool.statementTimeoutMs : 0,
    log,
    // Only a serving process offloads searches; CLI jobs read and write the primary.
    replica: options.serving && config.replica.url
      ? { url: config.replica.url, maxLagMs: config.replica.maxLagMs, checkIntervalMs: config.replica.checkIntervalMs }
      : undefined,
  });
  return {
    db,
    embedded,
    connectionString: url,
    async close() {
      await db.close();
      await embedded?.stop();
    },
  };
}

export async function migrateAll(db: Db, modules: ServiceModule[], options: MigrateOptions = {}): Promise<string[]> {
  return migrateSets(db, modules.flatMap((m) => m.migrations), options);
}

/** The platform's migrations and the services' `sets` (a CLI command passes them without loading the services). */
export async function migrateSets(db: Db, sets: MigrationSet[], options: MigrateOptions = {}): Promise<string[]> {
  return migrate(db, [...platformMigrations, ...sets], options);
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, base: { service: 'openspine' } });
}

/** A platform context over an open database: used by `serve` and by CLI commands alike. */
export async function createContext(config: Config, db: Db, log: Logger, clock: Clock = systemClock): Promise<PlatformContext> {
  const tokens = await AccessTokens.load(db, clock);
  return { config, db, log, clock, audit: createAuditWriter(db, { log }), tokens };
}

export interface RunningSpine {
  app: FastifyInstance;
  ctx: PlatformContext;
  url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  modules: ServiceModule[];
  clock?: Clock;
  log?: Logger;
  /**
   * Each route's schemas compiled when it first checks a request, not before the server listens
   * (`compileEveryDoor`): for the test suite, whose processes each build every service and call
   * one or two. Not a setting a deployment has: a server compiles them all before it listens.
   */
  compileSchemasOnDemand?: boolean;
}

/**
 * Runs the first work on the database, waiting for it (with backoff, up to `startupWaitMs`) while it
 * is unreachable, restarting or too slow to connect: a process started beside a database that is
 * still starting, failing over or busy comes up when it answers instead of exiting.
 */
async function untilDatabaseAnswers<T>(config: Config, log: Logger, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + config.pool.startupWaitMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await work();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || Date.now() + delay > deadline) throw err;
      log.warn({ err: (err as Error).message, retryInMs: delay }, 'the database does not answer yet; waiting for it');
      await sleep(delay);
    }
  }
}

/** Starts a whole Spine process: database, migrations, demo data, HTTP, workers. */
export async function startSpine(config: Config, options: StartOptions): Promise<RunningSpine> {
  checkServeConfig(config);
  const log = options.log ?? createLogger(config);
  const database = await openDatabase(config, log, { serving: true });
  try {
    // Migrations may build indexes over millions of rows: they run without the serving timeouts.
    const applied = await untilDatabaseAnswers(config, log, async () => {
      const migrationDb = createDb(database.connectionString, { max: 1, connectTimeoutMs: config.pool.connectTimeoutMs });
      return migrateAll(migrationDb, options.modules).finally(() => migrationDb.close());
    });
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
    const ctx = await createContext(config, database.db, log, options.clock);
    if (config.seedDemo) {
      for (const module of options.modules) await module.seedDemo?.(ctx);
    }
    if (config.sandbox) log.warn('SANDBOX MODE: calls without a valid credential act as the built-in sandbox app and user');
    else if (config.demo) log.warn('DEMO MODE: demo data and well-known credentials are active (loopback only)');
    // Loaded here, not with this module: a CLI command opens the database through it and never serves.
    const [{ buildServer }, { compileEveryDoor }] = await Promise.all([import('./http/server.js'), import('./http/validation.js')]);
    const app = await buildServer(ctx, options.modules, { sandboxPrincipal: config.sandbox ? SANDBOX_PRINCIPAL : undefined });
    if (!options.compileSchemasOnDemand) {
      compileEveryDoor();
      collectStartupGarbage();
    }
    await app.listen({ port: config.port, host: config.host });
    const workers: BackgroundWorker[] = [
      // Entries written with their writes are chained by the process that wrote them, soon after the
      // commit (chainSoon); this sweep chains those whose process stopped before it could.
      startPeriodic(log, 'chaining pending audit entries', PENDING_AUDIT_SWEEP_MS, () => ctx.audit.sweepPending()),
      ...options.modules.flatMap((m) => m.startWorkers?.(ctx) ?? []),
    ];
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const scheme = config.tls ? 'https' : 'http';
    const url = `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    // An ephemeral port (tests) is only known now; the OAuth2 audience depends on it.
    if (config.port === 0 && config.publicBaseUrl.endsWith(':0')) config.publicBaseUrl = url;
    let stopping: Promise<void> | undefined;
    return {
      app,
      ctx,
      url,
      stop() {
        // Graceful: report not ready and keep serving while the balancer notices (drainMs), then stop
        // accepting, let in-flight requests finish, then workers, audit, pool, database.
        stopping ??= (async () => {
          app.readiness.draining = true;
          if (config.drainMs > 0) await sleep(config.drainMs);
          await app.close();
          await Promise.all(workers.map((w) => w.stop()));
          await ctx.audit.close();
          await database.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}
