import type { ServiceModule } from '../../platform/service.js';
import { prescriptionsMigrations } from './migrations.js';
import { configureEpsScope } from './routes/scope.js';
import { prescribingRoutes } from './routes/prescribing.js';
import { dispensingRoutes } from './routes/dispensing.js';
import { loadEpsDataset } from './seed.js';
import { startIssueExpiryWorker } from './handlers/expiry.js';
import { startReplayPruner } from './handlers/replay-retention.js';

/** Electronic Prescription Service (EPS): prescribing and dispensing FHIR APIs, from prescriber to pharmacy to claim. */
export const prescriptionsService: ServiceModule = {
  name: 'prescriptions',
  migrations: [prescriptionsMigrations],
  async routes(app, ctx) {
    await app.register(async (prescribing) => {
      configureEpsScope(prescribing, ctx);
      await prescribingRoutes(prescribing, ctx);
    }, { prefix: '/fhir-prescribing' });
    await app.register(async (dispensing) => {
      configureEpsScope(dispensing, ctx);
      await dispensingRoutes(dispensing, ctx);
    }, { prefix: '/fhir-dispensing' });
  },
  seedDemo: async (ctx) => { await loadEpsDataset(ctx); },
  datasets: { eps: loadEpsDataset },
  startWorkers: (ctx) => [...startIssueExpiryWorker(ctx), startReplayPruner(ctx)],
};
