import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from '../http/errors.js';
import type { AccessTokens } from './access-tokens.js';
import type { Activity, Principal } from './activities.js';
import type { AuditWriter } from '../audit/writer.js';
import { auditContext } from '../audit/entry.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The activity a caller needs for this route; routes without one are public. */
    activity?: Activity;
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
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : '';
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
 */
export function registerAuthGuard(app: FastifyInstance, options: GuardOptions) {
  app.addHook('onRequest', async (request) => {
    const activity = request.routeOptions.config?.activity;
    if (!activity) return;
    const token = bearerToken(request);
    let principal: Principal | undefined;
    const apiKey = request.headers.apikey;
    if (token === undefined && typeof apiKey === 'string' && request.routeOptions.config.apiKey && options.resolveApiKey) {
      principal = await options.resolveApiKey(apiKey);
      if (!principal) throw await auditRefusal(options, request, activity, new SpineError(PLATFORM_ERRORS.ACCESS_DENIED, 'Invalid API key: send the API key of a registered application in the apikey header'));
    } else if (token === undefined && options.sandboxPrincipal) {
      principal = options.sandboxPrincipal;
    } else if (token) {
      principal = await options.tokens.verify(token);
    }
    if (!principal) {
      throw await auditRefusal(options, request, activity, new SpineError(PLATFORM_ERRORS.ACCESS_DENIED, token === undefined
        ? 'Missing Authorization header: send "Authorization: Bearer <access token>" from POST /oauth2/token'
        : 'Invalid or expired access token: request a new one from POST /oauth2/token'));
    }
    if (!principal.activities.includes(activity)) {
      const who = principal.roleCode ? `role ${principal.roleCode}` : `application ${principal.appName}`;
      throw await auditRefusal(options, request, activity, new SpineError(PLATFORM_ERRORS.FORBIDDEN, `Access denied: ${who} is not permitted '${activity}'`), principal);
    }
    request.principal = principal;
  });
}
