import type { ServiceModule } from '../../platform/service.js';
import { demographicsMigrations } from './migrations.js';

/** PDS FHIR API (Personal Demographics Service). */
export const demographicsService: ServiceModule = {
  name: 'demographics',
  migrations: [demographicsMigrations],
  async routes() {},
};
