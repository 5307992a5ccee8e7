import Fastify, { LogController, type FastifyContextConfig, type FastifyInstance, type FastifySchema } from 'fastify';
import type { PlatformContext, ServiceModule } from '../service.js';
import { registerSecurityHeaders } from './security-headers.js';
import { registerBodyParsers } from './body-parsers.js';
import { registerUrlGuard } from './url-guard.js';
import { registerRequestValidation } from './validation.js';
import { fhirErrorHandler, sendOperationOutcome } from './error-mapper.js';
import { PLATFORM_ERRORS } from './errors.js';
import { registerRequestIdEcho, requestIdFrom } from './request-ids.js';
import { registerMetrics } from './metrics.js';
import { registerHealth } from './health.js';
import { registerAuthGuard, registerRouteProtectionCheck, type RouteProtection } from '../auth/guard.js';
import { registerLoopbackHostCheck } from './host-check.js';
import { registerRouteAudit } from '../audit/route-audit.js';
import { registerRateLimit } from './rate-limit.js';
import { registerReadYourWrites } from './read-your-writes.js';
import { registerOverloadShedding } from './overload.js';
import { createAdmission } from './shed.js';
import { frameworkErrorRouting } from './framework-errors.js';
import { clientErrorRouting } from './client-errors.js';
import type { Principal } from '../auth/activities.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, with what it declares, for documentation and for the malformed-input tests. */
    routeTable: RouteEntry[];
    /** Every route with how it is protected (activity, public, or the service's own authentication). */
    routeProtection: RouteProtection[];
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  schema?: FastifySchema;
  config?: FastifyContextConfig;
  handler?: (...args: never[]) => unknown;
}

export interface ServerOptions {
  sandboxPrincipal?: Principal;
}

/** Builds the HTTP server with the platform's cross-cutting concerns, then each enabled service. */
export async function buildServer(ctx: PlatformContext, modules: ServiceModule[], options: ServerOptions = {}): Promise<FastifyInstance> {
  const routing = frameworkErrorRouting();
  const clientErrors = clientErrorRouting();
  const admission = createAdmission(ctx.config.overload, modules.flatMap((m) => m.overloadAnswers ?? []));
  const app = Fastify({
    // Load shedding counts and refuses requests on the raw server, before Fastify does any work.
    serverFactory: admission.serverFactory,
    loggerInstance: ctx.log,
    genReqId: requestIdFrom,
    // Per-request log lines only when debugging: at thousands of requests a second they cost more than the work.
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: ctx.config.logLevel !== 'debug' && ctx.config.logLevel !== 'trace',
    }),
    bodyLimit: 5 * 1024 * 1024,
    // Path parameters up to 512 characters (Fastify's default is 100, answered 414): a MESH local
    // id in `/outbox/tracking/{local_id}` may be 300 long.
    routerOptions: { maxParamLength: 512 },
    // A path the router cannot decode is refused in the error shape of the API it was aimed at.
    frameworkErrors: routing.frameworkErrors,
    // So is a request Node's parser refuses (header section too large, a broken chunked body).
    clientErrorHandler: clientErrors.clientErrorHandler,
    trustProxy: false,
    return503OnClosing: true,
    // On close, idle keep-alive connections are dropped at once; in-flight requests finish.
    forceCloseConnections: 'idle',
    https: ctx.config.tls
      ? { key: ctx.config.tls.key, cert: ctx.config.tls.cert, ca: ctx.config.tls.ca, requestCert: Boolean(ctx.config.tls.ca), rejectUnauthorized: false }
      : null,
  }) as unknown as FastifyInstance;

  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeTable.push({ method, url: route.url, schema: route.schema, config: route.config, handler: route.handler });
  });
  app.decorate('routeProtection', registerRouteProtectionCheck(app));
  routing.register(app);
  // First of the request hooks, so every refusal of the hooks after it carries the headers too.
  registerSecurityHeaders(app);
  clientErrors.register(app);
  clientErrors.attach(app.server);
  if (ctx.config.demo || ctx.config.sandbox) registerLoopbackHostCheck(app);
  await registerOverloadShedding(app, ctx.config.overload, admission);
  registerBodyParsers(app);
  registerUrlGuard(app);
  registerRequestValidation(app);
  // While closing, answer in-flight requests with `Connection: close` so keep-alive clients let go
  // and shutdown does not wait out their idle timeout.
  let closing = false;
  app.addHook('preClose', async () => { closing = true; });
  // Likewise when the answer comes before the request's body was read to its end (a refusal from
  // its Content-Length, or part-way through: MESH's size limits): the rest is never read, so the
  // connection cannot carry another request and a keep-alive client would wait on it for nothing.
  // A route that streams its body into its answer (the bulk opt-out check) has read it to its end
  // by the time a successful answer ends, and keeps the connection.
  app.addHook('onSend', (request, reply, payload, done) => {
    const readsBodyWhileAnswering = request.routeOptions.config?.body === 'stream' && reply.statusCode < 400;
    if (closing || (!request.raw.complete && !readsBodyWhileAnswering)) reply.header('Connection', 'close');
    done(null, payload);
  });
  registerRequestIdEcho(app);
  registerMetrics(app, ctx.db, () => ctx.clock.now().getTime()); // decorates app.metrics
  registerHealth(app, ctx.config, ctx.db);
  const resolveApiKey = modules.map((m) => m.resolveApiKey?.(ctx)).find((resolver) => resolver !== undefined);
  const isRevoked = modules.map((m) => m.revocationCheck?.(ctx)).find((check) => check !== undefined);
  registerAuthGuard(app, { tokens: ctx.tokens, audit: ctx.audit, resolveApiKey, sandboxPrincipal: options.sandboxPrincipal, isRevoked });
  registerRateLimit(app, ctx.db, () => ctx.clock.now().getTime());
  registerRouteAudit(app, ctx.audit);
  registerReadYourWrites(app, ctx.db);
  app.setErrorHandler(fhirErrorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendOperationOutcome(reply, {
      spec: PLATFORM_ERRORS.NOT_FOUND,
      diagnostics: `No such endpoint: ${request.method} ${request.url.split('?')[0]}`,
    }));

  for (const module of modules) {
    // Each service gets an encapsulated context: its own hooks, parsers and error shape stay inside.
    await app.register(async (scope) => module.routes(scope, ctx), {});
  }
  return app;
}
