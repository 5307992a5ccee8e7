import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from './errors.js';
import { fhirErrorHandler } from './error-mapper.js';
import { echoRequestIds } from './request-ids.js';
import { securityHeaders } from './security-headers.js';

type ErrorHandler = (err: unknown, request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Requests the router refuses before any route matches (a path that is not valid percent-encoded
 * UTF-8, a path parameter over the router's limit) are answered in the error shape of the service
 * whose routes they were aimed at: the error handler of the scope that registered the route with the
 * longest static prefix of the path, or whose own prefix it is under when that is longer (MESH
 * error body under /messageexchange, NRL's OperationOutcome anywhere under /record-locator, a path
 * no route of it starts included, …), else the platform's FHIR one. Without this Fastify answers in its own
 * `{error, code, message, statusCode}`, which no NHS client expects.
 */
export function frameworkErrorRouting() {
  const security = securityHeaders();
  const scopes: Array<{ prefix: string; scope: FastifyInstance; segments?: true }> = [];
  // A route's static prefix may end inside a segment (`/Patient/` of `/Patient/:id`); a scope's covers whole ones.
  const startsWith = (path: string, entry: { prefix: string; segments?: true }) => path.startsWith(entry.prefix)
    && (!entry.segments || path.length === entry.prefix.length || '/?'.includes(path[entry.prefix.length]!));
  return {
    /** Fastify's `frameworkErrors` option. */
    frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
      const refusal = err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new SpineError(PLATFORM_ERRORS.INVALID_VALUE, 'Invalid value - a path parameter is longer than this endpoint accepts')
        : new SpineError(PLATFORM_ERRORS.INVALID_VALUE, 'Invalid value - the request path is not valid percent-encoded UTF-8');
      const path = request.raw.url ?? '';
      let best: { prefix: string; scope: FastifyInstance } | undefined;
      for (const entry of scopes) {
        if (startsWith(path, entry) && entry.prefix.length > (best?.prefix.length ?? -1)) best = entry;
      }
      const handler = (best?.scope.errorHandler ?? fhirErrorHandler) as ErrorHandler;
      // No route matched, so none of the hooks runs for this answer (onRequest's security headers,
      // onSend's echo of the request's ids): it sets them itself.
      reply.headers(security);
      echoRequestIds(request, reply);
      return handler.call(best?.scope, refusal, request, reply);
    },
    /** Records, for each route and each prefixed scope, the scope whose error handler gives its shape. */
    register(app: FastifyInstance) {
      app.addHook('onRoute', function (this: FastifyInstance, route) {
        const prefix = route.url.split(/[:*]/)[0]!;
        if (!scopes.some((s) => s.prefix === prefix && s.scope === this)) scopes.push({ prefix, scope: this });
      });
      // And each scope registered under a prefix (`/record-locator`), for paths none of its routes starts.
      app.addHook('onRegister', (scope) => {
        if (scope.prefix) scopes.push({ prefix: scope.prefix, scope, segments: true });
      });
    },
  };
}
