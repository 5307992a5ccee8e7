import type { ServiceModule } from '../../platform/service.js';
import { consoleMigrations } from './migrations.js';
import { registerAssets, registerConsoleHttp } from './http.js';
import { registerLoginRoutes } from './routes/login.js';
import { purgeExpired } from './store.js';

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
      registerConsoleHttp(scope, ctx);
      await registerAssets(scope);
      await registerLoginRoutes(scope, ctx);
    }, { prefix: '/console' });
  },
  startWorkers(ctx) {
    const timer = setInterval(() => {
      purgeExpired(ctx.db, ctx.clock.now()).catch((err: Error) => ctx.log.warn({ err }, 'console session sweep failed'));
    }, SWEEP_MS);
    timer.unref();
    return [{ async stop() { clearInterval(timer); } }];
  },
};
