import type { ServiceModule } from '../../platform/service.js';
import { consoleMigrations } from './migrations.js';
import { registerAssets, registerConsoleHttp, registerCookies } from './http.js';
import { registerLoginRoutes } from './routes/login.js';
import { registerOverviewRoutes } from './routes/overview.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerWhoLookedRoutes } from './routes/who-looked.js';
import { registerPatientRoutes } from './routes/patients.js';
import { registerMessageRoutes } from './routes/messages.js';
import { registerRecordRoutes } from './routes/records.js';
import { registerDirectoryRoutes } from './routes/directory.js';
import { purgeExpired } from './store.js';
import { startPeriodic } from '../../platform/periodic.js';

/** How often ended sessions and abandoned sign-ins are forgotten. */
const SWEEP_MS = 10 * 60 * 1000;

/**
 * The operations console at /console: server-rendered pages in NHS England's design system for
 * operators, privacy officers, administrators and patients. It reads and changes other services
 * only through their api.ts, and audits every action.
 */
export const consoleService: ServiceModule = {
  name: 'console',
  migrations: [consoleMigrations],
  async routes(app, ctx) {
    await app.register(async (scope) => {
      await registerCookies(scope);
      registerConsoleHttp(scope, ctx);
      await registerAssets(scope);
      await registerLoginRoutes(scope, ctx);
      await registerOverviewRoutes(scope, ctx);
      await registerAuditRoutes(scope, ctx);
      await registerWhoLookedRoutes(scope, ctx);
      await registerPatientRoutes(scope, ctx);
      await registerMessageRoutes(scope, ctx);
      await registerRecordRoutes(scope, ctx);
      await registerDirectoryRoutes(scope, ctx);
    }, { prefix: '/console' });
  },
  startWorkers(ctx) {
    return [startPeriodic(ctx.log, 'console session sweep', SWEEP_MS, () => purgeExpired(ctx.db, ctx.clock.now()))];
  },
};
