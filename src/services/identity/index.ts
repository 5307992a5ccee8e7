import type { ServiceModule } from '../../platform/service.js';
import { identityMigrations } from './migrations.js';
import { registerOAuthRoutes } from './oauth-routes.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerDemoAuthorizeRoutes } from './demo-authorize-routes.js';
import { purgeExpiredAuthorizationCodes } from './store/authorization-codes.js';
import { seedIdentityDemo } from './demo-seed.js';
import { purgeExpiredJtis } from './store/applications.js';
import { apiKeyResolver } from './api-keys.js';
import { revocationCheck } from './revocation.js';
import { purgeExpiredIdTokenUses } from './store/issuers.js';
import { serveOpenApi } from '../../platform/http/openapi.js';
import { OAUTH_OVERLOAD_ANSWER } from './overload-answer.js';
import { startPeriodic } from '../../platform/periodic.js';

/** How often used client-assertion and ID-token jtis past their expiry are forgotten. */
const JTI_SWEEP_MS = 60_000;

/**
 * Identity: applications and their keys, users and role profiles, OAuth2 tokens, RBAC.
 *
 * Security choices (test/identity/attacks.test.ts attacks each over HTTP):
 * - Client assertions (`client-assertion.ts`, `grant.ts`): RS512 only, verified with the key the
 *   app registered under that `kid`; `jku`, `x5u` and an embedded `jwk` are never fetched nor used.
 *   `exp` at most 5 minutes ahead, `nbf` (when sent) not in the future, `aud` the token URL exactly.
 *   The jti is spent only once the signature holds, so nobody can burn another app's jtis.
 * - Errors say which of kid, iss/sub or aud is wrong, as NHS England's platform does (its documented
 *   answers); a bad signature is the generic `unknown_error`.
 * - The token endpoint reads `application/x-www-form-urlencoded` only, refuses a repeated parameter,
 *   and is rate limited per client address (never per unverified `iss`).
 * - Values from a JWT reach the database only when storable (no NUL; huge jtis as digests); an
 *   ID token's user and role identifiers are short and free of control characters, since they are
 *   written into every audit record of the session.
 * - Registered keys are public RSA keys of at least 2048 bits (app keys for RS512; trusted issuers'
 *   for RS256/RS512): no private or symmetric key is ever stored or listed.
 * - The demo issuer, its code flow and its keys work in demo mode only (loopback only).
 */
export const identityService: ServiceModule = {
  name: 'identity',
  migrations: identityMigrations,
  async routes(app, ctx) {
    await serveOpenApi(app, {
      path: '/admin/identity/openapi.json',
      title: 'OpenSpine identity: OAuth2 token endpoint and admin API',
      description: 'Signed-JWT client credentials and token exchange (as NHS England\'s API platform), and the admin API for applications, users and trusted issuers.',
    });
    await registerOAuthRoutes(app, ctx);
    await registerAdminRoutes(app, ctx);
    await registerDemoAuthorizeRoutes(app, ctx);
  },
  seedDemo: seedIdentityDemo,
  resolveApiKey: (ctx) => apiKeyResolver(ctx.db, ctx.clock),
  revocationCheck,
  overloadAnswers: [OAUTH_OVERLOAD_ANSWER],
  startWorkers(ctx) {
    return [startPeriodic(ctx.log, 'sweep of used jtis, ID tokens and authorisation codes', JTI_SWEEP_MS, () => {
      const now = ctx.clock.now();
      return Promise.all([purgeExpiredJtis(ctx.db, now), purgeExpiredIdTokenUses(ctx.db, now), purgeExpiredAuthorizationCodes(ctx.db, now)]);
    })];
  },
};
