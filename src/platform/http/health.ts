import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';

export const OPENSPINE_VERSION = '0.1.0';

/** `/_ping` says the process is up; `/_status` also proves the database answers (as NHS APIs have). */
export function registerHealth(app: FastifyInstance, config: Config, db: Db, prefix = '') {
  app.get(`${prefix}/_ping`, async () => ({ status: 'pass', ping: 'pong', service: 'openspine' }));
  app.get(`${prefix}/_status`, async (_request, reply) => {
    const started = process.hrtime.bigint();
    let database: { status: 'pass' | 'fail'; responseTimeMs?: number; error?: string };
    try {
      await db.query('SELECT 1');
      database = { status: 'pass', responseTimeMs: Number(process.hrtime.bigint() - started) / 1e6 };
    } catch (err) {
      database = { status: 'fail', error: (err as Error).message };
    }
    const status = database.status;
    reply.code(status === 'pass' ? 200 : 503);
    return {
      status,
      version: OPENSPINE_VERSION,
      services: config.services,
      sandbox: config.sandbox,
      checks: { database },
    };
  });
}
