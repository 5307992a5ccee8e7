import type { ServiceName } from '../platform/config.js';
import type { MigrationSet } from '../platform/db/migrate.js';
import { identityMigrations } from './identity/migrations.js';
import { directoryMigrations } from './directory/migrations.js';
import { demographicsMigrations } from './demographics/migrations.js';
import { messagingMigrations } from './messaging/store/migrations.js';
import { recordLocatorMigrations } from './record-locator/migrations.js';
import { eventsMigrations } from './events/migrations.js';
import { consentMigrations } from './consent/migrations.js';
import { exportMigrations } from './export/migrations.js';
import { prescriptionsMigrations } from './prescriptions/migrations.js';
import { consoleMigrations } from './console/migrations.js';

/**
 * Every service's migrations, in the registry's order, without loading the services themselves
 * (their routes, schemas, seeds and workers): what a CLI command applies before it touches the
 * store, where loading every service cost more than the command. Each service module's
 * `migrations` are these same sets (test/cli-load.test.ts holds the two to each other).
 */
export const SERVICE_MIGRATIONS: ReadonlyArray<readonly [ServiceName, readonly MigrationSet[]]> = [
  ['identity', identityMigrations],
  ['directory', [directoryMigrations]],
  ['audit', []],
  ['demographics', [demographicsMigrations]],
  ['messaging', [messagingMigrations]],
  ['record-locator', [recordLocatorMigrations]],
  ['events', [eventsMigrations]],
  ['consent', [consentMigrations]],
  ['export', [exportMigrations]],
  ['prescriptions', [prescriptionsMigrations]],
  ['console', [consoleMigrations]],
];

/** The migrations of the services named, in the registry's order (as `servicesNamed(names)`'s modules carry them). */
export function migrationSetsOf(names: readonly ServiceName[]): MigrationSet[] {
  return SERVICE_MIGRATIONS.filter(([name]) => names.includes(name)).flatMap(([, sets]) => sets);
}
