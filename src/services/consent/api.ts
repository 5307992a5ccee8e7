import type { Queryable } from '../../platform/db/pool.js';
import { optedOutAmong } from './store.js';

/**
 * The opt-out, for other services that use patient data for purposes beyond direct care (bulk
 * export): which of these patients have a national data opt-out in effect at `at`.
 */
export function optedOutPatients(db: Queryable, nhsNumbers: readonly string[], at: Date): Promise<Set<string>> {
  return optedOutAmong(db, nhsNumbers, at);
}
