import type { ServiceModule } from '../../platform/service.js';
import { identityMigrations } from './migrations.js';
import { registerOAuthRoutes } from './oauth-routes.js';
import { registerAdminRoutes } from './admin-routes.js';
import { seedIdentityDemo } from './demo-seed.js';
import { purgeExpiredJtis } from './store/applications.js';
import { apiKeyResolver } from './api-keys.js';
import { purgeExpiredIdTokenUses } from './store/issuers.js';

/** How often used client-assertion and ID-token jtis past their expiry are forgotten. */
const JTI_SWEEP_MS = 60_000;

/** Identity: applications and their keys, users and role profiles, OAuth2 tokens, RBAC. */
export const identityService: ServiceModule = {
  name: 'identity',
  migrations: identityMigrations,
  async routes(app, ctx) {
    await registerOAuthRoutes(app, ctx);
    await registerAdminRoutes(app, ctx);
  },
  seedDemo: seedIdentityDemo,
  resolveApiKey: (ctx) => apiKeyResolver(ctx.db, ctx.clock),
  startWorkers(ctx) {
    const timer = setInterval(() => {
      const now = ctx.clock.now();
      Promise.all([purgeExpiredJtis(ctx.db, now), purgeExpiredIdTokenUses(ctx.db, now)])
        .catch((err: Error) => ctx.log.warn({ err }, 'jti sweep failed'));
    }, JTI_SWEEP_MS);
    timer.unref();
    return [{ async stop() { clearInterval(timer); } }];
  },
};
