import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';
import type { Activity } from '../../../platform/auth/activities.js';
import { serveOpenApi } from '../../../platform/http/openapi.js';
import type { PlatformContext } from '../../../platform/service.js';
import { callerResolver } from '../caller.js';
import type { PermissionCache } from '../permission-cache.js';
import { auditedAs, auditValue, notePointerAccess } from '../audit.js';
import { readPointerAs, searchAs } from '../handlers/pointer-reads.js';
import { nhsNumberOf } from '../domain/document-reference.js';
import type { SearchSide, SearchSource } from '../domain/search-params.js';
import { NRL_HEADERS, POINTER_ID_PARAMS, withSpecPatterns } from '../schemas.js';
import { MAX_SEARCH_BODY_BYTES } from '../limits.js';
import { apiBase, callerOf, registerStatusAndMetadata, routeConfig, sendResource } from './common.js';

/** What tells NRL's two APIs apart; everything else about them is the same plumbing, here. */
export interface PointerApi {
  side: SearchSide;
  title: string;
  /** The spec's component schemas, published in the API's OpenAPI document. */
  components: { schemas: Record<string, unknown> };
  /** The activity an access token needs (token mode). */
  activity: Activity;
  /** The search parameters, as the `GET` query and as the `POST /DocumentReference/_search` body. */
  searchParams: object;
}

/** The routes an API adds of its own, inside the scope where every request has its caller resolved. */
export type OwnRoutes = (scope: FastifyInstance, config: FastifyContextConfig) => void;

/**
 * One NRL API: its OpenAPI document, `_status` and `metadata`, then, behind the caller hook (request
 * id, caller, permissions), the read and the searches both APIs have, audited, and its own routes.
 */
export async function registerPointerApi(
  app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache, api: PointerApi, ownRoutes: OwnRoutes,
) {
  const name = api.side === 'producer' ? 'Producer' : 'Consumer';
  await serveOpenApi(app, {
    path: '/openapi.json',
    title: api.title,
    description: `OpenSpine NRL ${api.side} API: its routes and the request bodies it checks, from NHS England's NRL ${name} API specification.`,
    components: api.components,
    // The door compiles some patterns in an equivalent form (base64Binary's, linear); the spec's are published.
    published: (document) => withSpecPatterns(document) as object,
  });
  registerStatusAndMetadata(app, ctx, api.side);
  await app.register(async (scope) => {
    scope.addHook('onRequest', callerResolver(ctx, permissions));
    const config = routeConfig(ctx, api.activity);
    registerReadAndSearch(scope, ctx, api, config);
    ownRoutes(scope, config);
  });
}

function registerReadAndSearch(scope: FastifyInstance, ctx: PlatformContext, api: PointerApi, config: FastifyContextConfig) {
  scope.get<{ Params: { id: string } }>('/DocumentReference/:id', { schema: { params: POINTER_ID_PARAMS, headers: NRL_HEADERS }, config: auditedAs(config, 'pointer.read') }, async (request, reply) => {
    const caller = callerOf(request);
    const resource = `DocumentReference/${request.params.id}`;
    notePointerAccess(request, caller, { resource, nhsNumbers: [] });
    const pointer = await readPointerAs(ctx, caller, api.side, request.params.id);
    const nhsNumber = nhsNumberOf(pointer);
    notePointerAccess(request, caller, { resource, nhsNumbers: typeof nhsNumber === 'string' ? [nhsNumber] : [] });
    return sendResource(reply, pointer);
  });

  const search = async (request: FastifyRequest, raw: Record<string, unknown>, from: SearchSource) => {
    const caller = callerOf(request);
    const asked = {
      type: auditValue(raw.type), category: auditValue(raw.category),
      ...(api.side === 'consumer' ? { custodian: auditValue(raw['custodian:identifier']) } : {}),
    };
    notePointerAccess(request, caller, { resource: 'DocumentReference', nhsNumbers: [], detail: asked });
    const result = await searchAs(ctx, caller, api.side, raw, apiBase(ctx, api.side), from);
    notePointerAccess(request, caller, {
      resource: 'DocumentReference', nhsNumbers: result.nhsNumber ? [result.nhsNumber] : [],
      detail: { total: result.total, returned: result.returned, ...asked },
    });
    return result.bundle;
  };
  // The door compiles a schema object once, for the part it first checks (a query coerced as text, a
  // body not): the body gets a copy of its own.
  const searchBody = { ...api.searchParams };
  const searchConfig = auditedAs(config, 'pointer.search');
  scope.get('/DocumentReference', { schema: { querystring: api.searchParams, headers: NRL_HEADERS }, config: searchConfig }, async (request, reply) =>
    sendResource(reply, await search(request, request.query as Record<string, unknown>, 'query')));
  scope.post('/DocumentReference/_search', { schema: { body: searchBody, headers: NRL_HEADERS }, bodyLimit: MAX_SEARCH_BODY_BYTES, config: { ...searchConfig, nrlBody: 'search' as const, readOnly: true } },
    async (request, reply) => sendResource(reply, await search(request, request.body as Record<string, unknown>, 'body')));
}
