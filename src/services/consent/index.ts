import type { ServiceModule } from '../../platform/service.js';
import { serveOpenApi } from '../../platform/http/openapi.js';
import { consentMigrations } from './migrations.js';
import { configureNdopScope } from './routes/scope.js';
import { consentApiRoutes } from './routes/consent-api.js';
import { checkApiRoutes } from './routes/check-api.js';
import { startBulkCheckWorker } from './bulk/mesh-check.js';
import { seedConsentDemo } from './seed.js';

/** National Data Opt-out (NDOP): the opt-out flag as a Consent resource, and the bulk opt-out check. */
export const consentService: ServiceModule = {
  name: 'consent',
  migrations: [consentMigrations],
  async routes(app, ctx) {
    await app.register(async (ndop) => {
      configureNdopScope(ndop);
      await serveOpenApi(ndop, {
        path: '/openapi.json',
        title: 'National Data Opt-out Consent API',
        description: 'OpenSpine NDOP Consent API (STU3): its routes and what each accepts, checked at the door.',
      });
      await consentApiRoutes(ndop, ctx);
    }, { prefix: '/consent/STU3' });
    await app.register(async (check) => checkApiRoutes(check, ctx));
  },
  seedDemo: seedConsentDemo,
  startWorkers: (ctx) => [startBulkCheckWorker(ctx)],
};
