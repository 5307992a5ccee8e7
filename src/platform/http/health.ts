import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import { withRetryAfter } from './errors.js';

export const OPENSPINE_VERSION = '0.1.0';

// `/_status` must answer within a second whatever the database does.
const CHECK_TIMEOUT_MS = 800;

type DatabaseCheck = { status: 'pass' | 'fail'; responseTimeMs?: number; error?: string };

/** Runs `SELECT 1`, giving up after CHECK_TIMEOUT_MS; says only pass or fail, never a host or port. */
async function checkDatabase(db: Db, log: FastifyBaseLogger): Promise<DatabaseCheck> {
  const started = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), CHECK_TIMEOUT_MS); });
  try {
    const outcome = await Promise.race([db.query('SELECT 1').then(() => 'pass' as const), timedOut]);
    if (outcome === 'timeout') return { status: 'fail', error: `the database did not answer within ${CHECK_TIMEOUT_MS} ms` };
    return { status: 'pass', responseTimeMs: Number(process.hrtime.bigint() - started) / 1e6 };
  } catch (err) {
    // The driver's error names the server's address: the operator finds it in the log, the caller does not.
    log.warn({ err }, '_status: the database check failed');
    return { status: 'fail', error: 'the database is unreachable' };
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the process is being taken out of rotation; one per server, read by every `/_status`. */
export interface Readiness {
  draining: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    readonly readiness: Readiness;
  }
}

/**
 * `/_ping` says the process is up and not draining: what a load balancer should check, so that a
 * database outage reaches clients as each API's own 503 rather than as the balancer's "no server".
 * `/_status` also proves the database answers (as NHS APIs have): for monitoring, and for a
 * readiness probe that should take the process out while its database is unreachable.
 */
export function registerHealth(app: FastifyInstance, config: Config, db: Db, prefix = '') {
  if (!app.hasDecorator('readiness')) app.decorate('readiness', { draining: false });
  const readiness = app.readiness;
  const open = { config: { public: true } } as const;
  app.get(`${prefix}/_ping`, open, async (_request, reply) => {
    if (!readiness.draining) return { status: 'pass', ping: 'pong', service: 'openspine' };
    reply.code(503).header('Retry-After', '2');
    return { status: 'fail', ping: 'pong', service: 'openspine', draining: true };
  });
  app.get(`${prefix}/_status`, open, async (request, reply) => {
    const database = await checkDatabase(db, request.log);
    const status = database.status === 'pass' && !readiness.draining ? 'pass' : 'fail';
    reply.code(status === 'pass' ? 200 : 503);
    if (status !== 'pass') reply.headers(withRetryAfter());
    return {
      status,
      version: OPENSPINE_VERSION,
      services: config.services,
      sandbox: config.sandbox,
      ...(readiness.draining ? { draining: true } : {}),
      checks: { database },
    };
  });
}
