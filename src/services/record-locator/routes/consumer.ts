import type { FastifyInstance, FastifyRequest } from 'fastify';
import { serveOpenApi } from '../../../platform/http/openapi.js';
import type { PlatformContext } from '../../../platform/service.js';
import { callerResolver } from '../caller.js';
import type { PermissionCache } from '../permission-cache.js';
import { auditPointerAccess, auditValue } from '../audit.js';
import { countAs, readPointerAs, searchAs } from '../handlers/pointer-reads.js';
import { nhsNumberOf } from '../domain/document-reference.js';
import { CONSUMER_SEARCH_BODY, consumerComponents } from '../schemas.js';
import { apiBase, callerOf, registerStatusAndMetadata, routeConfig, sendResource } from './common.js';

/** NRL consumer API (`/record-locator/consumer/FHIR/R4`): a patient's pointers, of the types the caller may see. */
export async function consumerRoutes(app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache) {
  await serveOpenApi(app, {
    path: '/openapi.json',
    title: 'National Record Locator (FHIR) Consumer API',
    description: 'OpenSpine NRL consumer API: its routes and the request bodies it checks, from NHS England\'s NRL Consumer API specification.',
    components: consumerComponents,
  });
  registerStatusAndMetadata(app, ctx, 'consumer');
  await app.register(async (api) => {
    api.addHook('onRequest', callerResolver(ctx, permissions));
    const config = routeConfig(ctx, 'record-locator:consume');

    api.get<{ Params: { id: string } }>('/DocumentReference/:id', { config }, async (request, reply) => {
      const pointer = await readPointerAs(ctx, callerOf(request), 'consumer', request.params.id);
      const nhsNumber = nhsNumberOf(pointer);
      await auditPointerAccess(ctx, request, callerOf(request), {
        action: 'pointer.read', resource: `DocumentReference/${request.params.id}`, nhsNumbers: typeof nhsNumber === 'string' ? [nhsNumber] : [],
      });
      return sendResource(reply, pointer);
    });

    const search = async (request: FastifyRequest, raw: Record<string, unknown>) => {
      const result = await searchAs(ctx, callerOf(request), 'consumer', raw, apiBase(ctx, 'consumer'));
      await auditPointerAccess(ctx, request, callerOf(request), {
        action: 'pointer.search', resource: 'DocumentReference', nhsNumbers: result.nhsNumber ? [result.nhsNumber] : [],
        detail: { total: result.bundle.total, returned: result.bundle.entry.length, type: auditValue(raw.type), category: auditValue(raw.category), custodian: auditValue(raw['custodian:identifier']) },
      });
      return result.bundle;
    };
    api.get('/DocumentReference', { config }, async (request, reply) =>
      sendResource(reply, await search(request, request.query as Record<string, unknown>)));
    api.post('/DocumentReference/_search', { schema: { body: CONSUMER_SEARCH_BODY }, config: { ...config, nrlBody: 'search' as const } },
      async (request, reply) => sendResource(reply, await search(request, request.body as Record<string, unknown>)));

    api.get('/DocumentReference/_count', { config }, async (request, reply) => {
      const { bundle, nhsNumber } = await countAs(ctx, callerOf(request), request.query as Record<string, unknown>);
      await auditPointerAccess(ctx, request, callerOf(request), {
        action: 'pointer.count', resource: 'DocumentReference', nhsNumbers: [nhsNumber], detail: { total: bundle.total },
      });
      return sendResource(reply, bundle);
    });
  });
}
