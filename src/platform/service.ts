import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config, ServiceName } from './config.js';
import type { Db } from './db/pool.js';
import type { MigrationSet } from './db/migrate.js';
import type { Clock } from './clock.js';
import type { AuditWriter } from './audit/writer.js';
import type { AccessTokens } from './auth/access-tokens.js';
import type { Principal } from './auth/activities.js';
import type { OverloadAnswer } from './http/shed-answers.js';

/** What the platform hands every service: its only way to reach shared infrastructure. */
export interface PlatformContext {
  config: Config;
  db: Db;
  log: Logger;
  clock: Clock;
  audit: AuditWriter;
  tokens: AccessTokens;
}

/** A long-running background job (expiry sweeps, outbox delivery); stopped on shutdown. */
export interface BackgroundWorker {
  stop(): Promise<void>;
}

export interface SeedOptions {
  /** Free-form options from the CLI, e.g. { patients: 1000 } or { meshMailboxes: 'file.jsonl' }. */
  [option: string]: unknown;
  progress?: (done: number, total: number) => void;
}

/** One bounded context. The platform registers it, migrates it and seeds it; nothing more. */
export interface ServiceModule {
  name: ServiceName;
  migrations: MigrationSet[];
  /** Registers the service's routes (under its NHS URL prefixes) on an encapsulated instance. */
  routes(app: FastifyInstance, ctx: PlatformContext): Promise<void>;
  /** Demo data for a first start on an empty store. Must be idempotent. */
  seedDemo?(ctx: PlatformContext): Promise<void>;
  /** Named datasets for `openspine seed --dataset NAME`. Returns a one-line summary. */
  datasets?: Record<string, (ctx: PlatformContext, options: SeedOptions) => Promise<string>>;
  /**
   * Resolves an application API key to its principal, for routes whose NHS spec authenticates with
   * an `apikey` header (SDS). Offered by the identity service; the platform never reads its tables.
   */
  resolveApiKey?(ctx: PlatformContext): (apiKey: string) => Promise<Principal | undefined>;
  /** Whether a valid credential's principal has since been disabled (identity): the guard refuses it. */
  revocationCheck?(ctx: PlatformContext): (principal: Principal) => Promise<boolean>;
  /** The 503 load shedding sends under each of the service's URL prefixes, in its API's error shape. */
  overloadAnswers?: OverloadAnswer[];
  /** Background workers this service runs while serving. */
  startWorkers?(ctx: PlatformContext): BackgroundWorker[];
}
