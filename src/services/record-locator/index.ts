import type { ServiceModule } from '../../platform/service.js';
import { recordLocatorMigrations } from './migrations.js';
import { configureNrlScope } from './routes/scope.js';
import { producerRoutes } from './routes/producer.js';
import { consumerRoutes } from './routes/consumer.js';
import { permissionsAdminRoutes } from './routes/permissions-admin.js';
import { sandboxRoutes } from './routes/sandbox.js';
import { loadNrlDataset } from './seed.js';
import { seedSyntheticPointers } from './synthetic.js';
import { createPermissionCache } from './permission-cache.js';

/** National Record Locator (NRL): pointers to records held in providers' own systems; producer and consumer APIs. */
export const recordLocatorService: ServiceModule = {
  name: 'record-locator',
  migrations: [recordLocatorMigrations],
  async routes(app, ctx) {
    if (ctx.config.trustGateway && !ctx.config.sandbox) {
      ctx.log.warn('record locator trusts NHSD-Connection-Metadata: only an API gateway that sets it may reach this process');
    }
    const permissions = createPermissionCache(ctx.db, ctx.log);
    app.addHook('onClose', async () => permissions.close());
    await app.register(async (nrl) => {
      configureNrlScope(nrl);
      await nrl.register(async (producer) => producerRoutes(producer, ctx, permissions), { prefix: '/producer/FHIR/R4' });
      await nrl.register(async (consumer) => consumerRoutes(consumer, ctx, permissions), { prefix: '/consumer/FHIR/R4' });
    }, { prefix: '/record-locator' });
    // Plain JSON admin APIs with the platform's OperationOutcome errors.
    await permissionsAdminRoutes(app, ctx, permissions);
    if (ctx.config.sandbox) await sandboxRoutes(app, ctx, permissions);
  },
  seedDemo: async (ctx) => { await loadNrlDataset(ctx); },
  datasets: {
    nrl: loadNrlDataset,
    // Runs after demographics' dataset of the same name: `openspine seed --patients N`.
    'synthetic-patients': seedSyntheticPointers,
  },
};
