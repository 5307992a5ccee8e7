import type { ServiceModule } from '../../platform/service.js';
import { demographicsMigrations } from './migrations.js';
import { registerReadRoutes } from './routes/read-patient.js';
import { registerSearchRoute } from './routes/search-patients.js';
import { registerPatchRoute } from './routes/patch-patient.js';
import { registerCreateRoute } from './routes/create-patient.js';
import { registerMetadataRoutes } from './routes/metadata.js';
import { registerCoverageRoutes } from './routes/coverage.js';
import { registerUnsupportedMethods } from './routes/unsupported-methods.js';
import { pdsErrorHandler } from './validation-errors.js';
import { sessionRoleCheck } from './request-headers.js';
import { serveOpenApi } from '../../platform/http/openapi.js';
import { PDS_BASE } from './routes/paths.js';
import { loadNhsSandbox } from './seed/nhs-sandbox.js';
import { seedSyntheticPatients } from './population/dataset.js';
import { startReplayPruner } from './handlers/replays.js';

/** PDS FHIR API (Personal Demographics Service) under /personal-demographics/FHIR/R4. */
export const demographicsService: ServiceModule = {
  name: 'demographics',
  migrations: [demographicsMigrations],
  async routes(app, ctx) {
    app.setErrorHandler(pdsErrorHandler);
    // After the platform's authentication (its onRequest hook is the root's): the principal is known.
    app.addHook('onRequest', sessionRoleCheck(ctx.config.sandbox));
    await serveOpenApi(app, {
      path: `${PDS_BASE}/openapi.json`,
      title: 'Personal Demographics Service (FHIR) API',
      description: 'OpenSpine PDS: the routes and schemas it checks, from NHS England\'s PDS FHIR API specification.',
    });
    registerReadRoutes(app, ctx);
    registerSearchRoute(app, ctx);
    await registerPatchRoute(app, ctx);
    registerCreateRoute(app, ctx);
    registerMetadataRoutes(app, ctx);
    registerCoverageRoutes(app, ctx);
    registerUnsupportedMethods(app);
  },
  async seedDemo(ctx) {
    await loadNhsSandbox(ctx);
  },
  startWorkers: (ctx) => [startReplayPruner(ctx)],
  datasets: {
    'nhs-sandbox': (ctx) => loadNhsSandbox(ctx),
    'synthetic-patients': seedSyntheticPatients,
  },
};
