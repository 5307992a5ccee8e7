import type { FastifyInstance } from 'fastify';
import { serveOpenApi } from '../../../platform/http/openapi.js';
import type { PlatformContext } from '../../../platform/service.js';
import { callerResolver } from '../caller.js';
import type { PermissionCache } from '../permission-cache.js';
import { auditPointerAccess, auditValue } from '../audit.js';
import { createPointer, deletePointer, updatePointer, type WriteOutcome } from '../handlers/producer-writes.js';
import { readPointerAs, searchAs } from '../handlers/pointer-reads.js';
import type { DocumentReference } from '../domain/document-reference.js';
import { nhsNumberOf } from '../domain/document-reference.js';
import { DOCUMENT_REFERENCE_BODY, PRODUCER_SEARCH_BODY, producerComponents } from '../schemas.js';
import { producerLocation, sendNrlSuccess } from '../wire.js';
import { apiBase, callerOf, registerStatusAndMetadata, routeConfig, sendResource } from './common.js';

/** NRL producer API (`/record-locator/producer/FHIR/R4`): a producer's own pointers. */
export async function producerRoutes(app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache) {
  await serveOpenApi(app, {
    path: '/openapi.json',
    title: 'National Record Locator (FHIR) Producer API',
    description: 'OpenSpine NRL producer API: its routes and the request bodies it checks, from NHS England\'s NRL Producer API specification.',
    components: producerComponents,
  });
  registerStatusAndMetadata(app, ctx, 'producer');
  await app.register(async (api) => {
    api.addHook('onRequest', callerResolver(ctx, permissions));
    const config = routeConfig(ctx, 'record-locator:produce');
    const documentBody = { schema: { body: DOCUMENT_REFERENCE_BODY }, config: { ...config, nrlBody: 'document' as const } };

    const written = async (request: Parameters<typeof auditPointerAccess>[1], outcome: WriteOutcome, action: 'pointer.create' | 'pointer.update' | 'pointer.delete') => {
      await auditPointerAccess(ctx, request, callerOf(request), {
        action: outcome.replaced.length ? 'pointer.supersede' : action,
        resource: `DocumentReference/${outcome.id}`,
        nhsNumbers: outcome.nhsNumber ? [outcome.nhsNumber] : [],
        detail: outcome.replaced.length ? { replaced: outcome.replaced } : undefined,
      });
    };

    api.post('/DocumentReference', documentBody, async (request, reply) => {
      const outcome = await createPointer(ctx, callerOf(request), request.body as DocumentReference, 'server');
      await written(request, outcome, 'pointer.create');
      return sendNrlSuccess(reply, outcome.response, producerLocation(outcome.id));
    });

    api.put('/DocumentReference', documentBody, async (request, reply) => {
      const outcome = await createPointer(ctx, callerOf(request), request.body as DocumentReference, 'producer');
      await written(request, outcome, 'pointer.create');
      return sendNrlSuccess(reply, outcome.response, producerLocation(outcome.id));
    });

    api.put<{ Params: { id: string } }>('/DocumentReference/:id', documentBody, async (request, reply) => {
      const outcome = await updatePointer(ctx, callerOf(request), request.params.id, request.body as DocumentReference);
      await written(request, outcome, 'pointer.update');
      return sendNrlSuccess(reply, outcome.response);
    });

    api.delete<{ Params: { id: string } }>('/DocumentReference/:id', { config }, async (request, reply) => {
      const outcome = await deletePointer(ctx, callerOf(request), request.params.id);
      await written(request, outcome, 'pointer.delete');
      return sendNrlSuccess(reply, outcome.response);
    });

    api.get<{ Params: { id: string } }>('/DocumentReference/:id', { config }, async (request, reply) => {
      const pointer = await readPointerAs(ctx, callerOf(request), 'producer', request.params.id);
      const nhsNumber = nhsNumberOf(pointer);
      await auditPointerAccess(ctx, request, callerOf(request), {
        action: 'pointer.read', resource: `DocumentReference/${request.params.id}`, nhsNumbers: typeof nhsNumber === 'string' ? [nhsNumber] : [],
      });
      return sendResource(reply, pointer);
    });

    const search = async (request: Parameters<typeof auditPointerAccess>[1], raw: Record<string, unknown>) => {
      const result = await searchAs(ctx, callerOf(request), 'producer', raw, apiBase(ctx, 'producer'));
      await auditPointerAccess(ctx, request, callerOf(request), {
        action: 'pointer.search', resource: 'DocumentReference', nhsNumbers: result.nhsNumber ? [result.nhsNumber] : [],
        detail: { total: result.bundle.total, returned: result.bundle.entry.length, type: auditValue(raw.type), category: auditValue(raw.category) },
      });
      return result.bundle;
    };
    api.get('/DocumentReference', { config }, async (request, reply) =>
      sendResource(reply, await search(request, request.query as Record<string, unknown>)));
    api.post('/DocumentReference/_search', { schema: { body: PRODUCER_SEARCH_BODY }, config: { ...config, nrlBody: 'search' as const } },
      async (request, reply) => sendResource(reply, await search(request, request.body as Record<string, unknown>)));
  });
}
