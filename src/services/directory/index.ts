import type { ServiceModule } from '../../platform/service.js';
import { directoryMigrations } from './migrations.js';
import { seedDirectoryDemo } from './seed/demo.js';
import { loadSdsSandbox } from './seed/sds-dataset.js';
import { sdsRoutes } from './sds/routes.js';
import { organisationRoutes } from './admin/organisation-routes.js';
import { meshRoutes } from './admin/mesh-routes.js';
import { postcodeAreaRoutes } from './admin/postcode-area-routes.js';
import { sdsAdminRoutes } from './admin/sds-routes.js';

/** Directory (SDS / ODS): organisations, accredited systems, MHS endpoints, MESH mailboxes and workflows. */
export const directoryService: ServiceModule = {
  name: 'directory',
  migrations: [directoryMigrations],
  async routes(app, ctx) {
    await app.register(async (sds) => sdsRoutes(sds, ctx), { prefix: '/spine-directory' });
    // Admin API: plain JSON, platform OperationOutcome errors, activity directory:admin.
    await organisationRoutes(app, ctx);
    await meshRoutes(app, ctx);
    await postcodeAreaRoutes(app, ctx);
    await sdsAdminRoutes(app, ctx);
  },
  seedDemo: seedDirectoryDemo,
  datasets: {
    'nhs-sds-sandbox': (ctx) => loadSdsSandbox(ctx),
  },
};
