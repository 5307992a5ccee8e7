import type { Command } from 'commander';
import { configFrom, withStoreOptions } from './options.js';

export function registerServeCommands(program: Command) {
  withStoreOptions(program.command('serve'))
    .description('start the Spine: HTTP APIs, workers, and (with no DATABASE_URL) the embedded PostgreSQL')
    .option('--port <port>', 'port to listen on (env PORT; default 9000)')
    .option('--host <host>', 'address to listen on (env HOST; default 127.0.0.1)')
    .option('--demo', 'demo mode: demo data and well-known demo credentials (env OPENSPINE_DEMO=true; loopback only)')
    .option('--sandbox', 'sandbox mode (implies --demo): calls without a valid credential act as a built-in sandbox app and user (loopback only)')
    .option('--no-seed-demo', 'in demo mode, do not seed demo data on start')
    .option('--token-rate-limit <n>', 'POST /oauth2/token requests per minute per client address (env OPENSPINE_TOKEN_RATE_LIMIT; default 6000)')
    .option('--trust-gateway', 'record locator: take the caller from the NHSD-Connection-Metadata header an API gateway injects (env OPENSPINE_TRUST_GATEWAY=true; on with --sandbox)')
    .option('--tls-key <file>', 'TLS private key (env TLS_KEY)')
    .option('--tls-cert <file>', 'TLS certificate (env TLS_CERT)')
    .option('--tls-ca <file>', 'CA for client certificates: enables mutual TLS (env TLS_CA)')
    .action(async (options) => {
      const config = configFrom(options);
      const { startSpine } = await import('../platform/runtime.js');
      const { servicesNamed } = await import('../services/registry.js');
      const spine = await startSpine(config, { modules: servicesNamed(config.services) });
      spine.ctx.log.info({ url: spine.url, services: config.services }, `OpenSpine listening on ${spine.url}`);
      const shutdown = (signal: string) => {
        spine.ctx.log.info({ signal }, 'shutting down');
        spine.stop().then(() => process.exit(0), (err) => {
          spine.ctx.log.error({ err }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });

  withStoreOptions(program.command('migrate'))
    .description('apply pending database migrations and exit')
    .option('--contract', 'also apply contract steps (they remove what the previous release needed): run once every process runs this release')
    .action(async (options) => {
      const config = configFrom(options);
      const { createLogger, migrateSets, openDatabase } = await import('../platform/runtime.js');
      const { migrationSetsOf } = await import('../services/migration-sets.js');
      const database = await openDatabase(config, createLogger(config));
      try {
        const applied = await migrateSets(database.db, migrationSetsOf(config.services), { contract: options.contract === true });
        process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await database.close();
      }
    });
}
