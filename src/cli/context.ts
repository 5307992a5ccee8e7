import { createContext, createLogger, migrateSets, openDatabase } from '../platform/runtime.js';
import type { PlatformContext } from '../platform/service.js';
import { migrationSetsOf } from '../services/migration-sets.js';
import { configFrom } from './options.js';

/**
 * Runs `work` with a platform context on the configured store (DATABASE_URL, or the embedded one),
 * migrated first. The migrations come without their services: loading every service (routes,
 * schemas, seeds) cost a command more than the command's own work.
 */
export async function withContext<T>(options: Record<string, unknown>, work: (ctx: PlatformContext) => Promise<T>): Promise<T> {
  const config = configFrom(options);
  const log = createLogger({ ...config, logLevel: 'warn' });
  const database = await openDatabase(config, log);
  try {
    await migrateSets(database.db, migrationSetsOf(config.services));
    return await work(await createContext(config, database.db, log));
  } finally {
    await database.close();
  }
}
