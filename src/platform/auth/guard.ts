import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from '../http/errors.js';
import type { AccessTokens } from './access-tokens.js';
import type { Activity, Principal } from './activities.js';
import type { AuditWriter } from '../audit/writer.js';
import { auditContext } from '../audit/entry.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The activity a caller needs for this route. A route without one must say why: `public` or
     * `authenticatedBy`; otherwise the server refuses to start (see `registerRouteProtectionCheck`).
     */
    activity?: Activity;
    /** Deliberately open to anyone (health checks, metadata, the token endpoint). */
    public?: true;
    /** The service authenticates this route itself, by a credential the platform does not know (MESH: 'NHSMESH'). */
    authenticatedBy?: string;
    /** The NHS spec of this route authenticates applications with an `apikey` header (SDS): accept it too. */
    apiKey?: boolean;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface GuardOptions {
  tokens: AccessTokens;
  /** Refused attempts on protected routes are audited too: probing is what a privacy officer looks for. */
  audit: AuditWriter;
  /** Principal of an application API key, when a service offers it (identity). */
  resolveApiKey?: (apiKey: string) => Promise<Principal | undefined>;
  /** In sandbox mode a call without a token acts as this principal. */
  sandboxPrincipal?: Principal;
  /** True when a valid credential's application or organisation has since been disabled (identity). */
  isRevoked?: (principal: Principal) => Promise<boolean>;
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : '';
}

/** Why a request has no principal: what it sent, and what it should send instead. */
function unauthenticated(byApiKey: boolean, token: string | undefined, acceptsApiKey: boolean): string {
  if (byApiKey) return 'Invalid API key: send the API key of a registered application in the apikey header';
  if (token !== undefined) return 'Invalid or expired access token: request a new one from POST /oauth2/token';
  // A route whose NHS spec requires an apikey header (SDS) names it: its clients know no other credential.
  if (acceptsApiKey) return 'Missing apikey header: send the API key of a registered application in the apikey header (or "Authorization: Bearer <access token>")';
  return 'Missing Authorization header: send "Authorization: Bearer <access token>" from POST /oauth2/token';
}

/** Refused attempts are audited like any access, then answered with `error`. */
async function auditRefusal(options: GuardOptions, request: FastifyRequest, activity: Activity, error: SpineError, who?: Principal) {
  await options.audit.record({
    ...auditContext(request, who),
    action: 'access.denied',
    resource: request.routeOptions.url,
    nhsNumbers: [],
    outcome: 'denied',
    detail: { method: request.method, activity, status: error.spec.status },
  });
  return error;
}

/**
 * Every route that declares an activity is authenticated (401 ACCESS_DENIED without a valid token)
 * and authorised (403 ACCESS_DENIED when the token's app or role lacks the activity). Routes
 * register no auth code of their own, so none can forget it.
 *
 * In sandbox mode, as on NHS England's sandboxes, a missing credential or one that is not valid (a
 * dummy bearer token, an unknown API key) is ignored and the call acts as the sandbox principal;
 * a valid credential acts as its owner, with its owner's activities.
 */
export function registerAuthGuard(app: FastifyInstance, options: GuardOptions) {
  app.addHook('onRequest', async (request) => {
    const activity = request.routeOptions.config?.activity;
    if (!activity) return;
    const token = bearerToken(request);
    const apiKey = request.headers.apikey;
    // An Authorization header that is no bearer token (Basic, say) does not stand in the way of an
    // API key, as NHS England's gateway reads only the apikey header on such an API.
    const byApiKey = !token && typeof apiKey === 'string' && request.routeOptions.config.apiKey === true && options.resolveApiKey !== undefined;
    let principal: Principal | undefined;
    if (byApiKey) principal = await options.resolveApiKey!(apiKey);
    else if (token) principal = await options.tokens.verify(token);
    if (principal && options.isRevoked && await options.isRevoked(principal)) {
      throw await auditRefusal(options, request, activity, new SpineError(PLATFORM_ERRORS.ACCESS_DENIED,
        `Invalid ${byApiKey ? 'API key' : 'access token'}: application ${principal.appName} or its organisation ${principal.odsCode} is disabled`), principal);
    }
    principal ??= options.sandboxPrincipal;
    if (!principal) {
      throw await auditRefusal(options, request, activity,
        new SpineError(PLATFORM_ERRORS.ACCESS_DENIED, unauthenticated(byApiKey, token, request.routeOptions.config.apiKey === true)));
    }
    if (!principal.activities.includes(activity)) {
      // The application's own registration lacks it (not only its user's role): APPLICATION_FORBIDDEN, the same answer
      // unless an API words it otherwise, naming the application. A user token minted before `appActivities` was kept
      // cannot say: FORBIDDEN, naming the role.
      const registered = principal.accessMode === 'application' ? principal.activities : principal.appActivities;
      const appLacksIt = registered !== undefined && !registered.includes(activity);
      const spec = appLacksIt ? PLATFORM_ERRORS.APPLICATION_FORBIDDEN : PLATFORM_ERRORS.FORBIDDEN;
      const who = principal.roleCode && !appLacksIt ? `role ${principal.roleCode}` : `application ${principal.appName}`;
      throw await auditRefusal(options, request, activity, new SpineError(spec, `Access denied: ${who} is not permitted '${activity}'`), principal);
    }
    request.principal = principal;
  });
}

export interface RouteProtection {
  method: string;
  url: string;
  /** How the route is protected: its activity, `public`, or the service's own authentication. */
  protection: `activity:${Activity}` | 'public' | `service:${string}`;
}

function protectionOf(config: FastifyContextConfig | undefined): RouteProtection['protection'] | undefined {
  if (config?.activity) return `activity:${config.activity}`;
  if (config?.authenticatedBy) return `service:${config.authenticatedBy}`;
  if (config?.public === true) return 'public';
  return undefined;
}

/**
 * Protected by construction: every route declares an activity, or says it is public or that its
 * service authenticates it. The check runs once every route is registered (a service's own
 * `onRoute` hooks may declare its routes' protection), and a route that declares none stops the
 * server from starting. Returns the table of every route and its protection, for tests and docs.
 */
export function registerRouteProtectionCheck(app: FastifyInstance): RouteProtection[] {
  const routes: Array<{ method: string | string[]; url: string; route: { config?: FastifyContextConfig } }> = [];
  const table: RouteProtection[] = [];
  app.addHook('onRoute', (route) => { routes.push({ method: route.method, url: route.url, route }); });
  app.addHook('onReady', async () => {
    const unprotected: string[] = [];
    for (const { method, url, route } of routes) {
      const protection = protectionOf(route.config);
      for (const m of [method].flat()) {
        if (protection) table.push({ method: m, url, protection });
        else unprotected.push(`${m} ${url}`);
      }
    }
    if (unprotected.length > 0) {
      throw new Error(`routes without a declared activity, public flag or service authentication: ${unprotected.join(', ')}`);
    }
  });
  return table;
}
