import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../platform/service.js';
import { classifyError } from '../../platform/http/error-mapper.js';
import { SpineError } from '../../platform/http/errors.js';
import { grantToken } from './grant.js';
import { DEMO_JWKS_PATH, demoIssuerJwks } from './demo-issuer.js';

/** OAuth2 errors are `{error, error_description}` (RFC 6749 §5.2), as NHS England's platform sends them. */
function registerOAuthErrorShape(scope: FastifyInstance) {
  scope.setErrorHandler((err, request, reply) => {
    const classified = classifyError(err, request);
    // Catalogued OAuth errors carry their own `error`; anything else (bad media type, bad body) is
    // an invalid request, and only a real fault is a server_error.
    const error = err instanceof SpineError ? classified.spec.code : classified.spec.status >= 500 ? 'server_error' : 'invalid_request';
    return reply
      .code(classified.spec.status)
      .headers({ 'cache-control': 'no-store', pragma: 'no-cache', ...classified.headers })
      .send({ error, error_description: classified.diagnostics ?? classified.spec.display });
  });
}

export async function registerOAuthRoutes(app: FastifyInstance, ctx: PlatformContext) {
  await app.register(async (scope) => {
    registerOAuthErrorShape(scope);
    scope.post('/oauth2/token', async (request, reply) => {
      const form = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
      const urid = request.headers['nhsd-session-urid'];
      const { response } = await grantToken(ctx, { form, sessionUrid: typeof urid === 'string' ? urid : undefined });
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(response);
    });
  });

  // The embedded demo issuer's public keys, as an OIDC provider publishes them.
  app.get(DEMO_JWKS_PATH, async () => {
    const jwks = await demoIssuerJwks(ctx);
    return jwks ?? { keys: [] };
  });
}
