import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import type { PermissionCache } from '../permission-cache.js';
import { auditPointerAccess } from '../audit.js';
import { createPointer, deletePointer, updatePointer, type WriteOutcome } from '../handlers/producer-writes.js';
import type { DocumentReference } from '../domain/document-reference.js';
import { DOCUMENT_REFERENCE_BODY, NRL_HEADERS, POINTER_ID_PARAMS, PRODUCER_SEARCH_PARAMS, producerComponents } from '../schemas.js';
import { producerLocation, sendNrlSuccess } from '../wire.js';
import { callerOf } from './common.js';
import { registerPointerApi } from './pointer-api.js';

/** NRL producer API (`/record-locator/producer/FHIR/R4`): a producer's own pointers. */
export async function producerRoutes(app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache) {
  const written = async (request: FastifyRequest, outcome: WriteOutcome, action: 'pointer.create' | 'pointer.update' | 'pointer.delete') => {
    await auditPointerAccess(ctx, request, callerOf(request), {
      action: outcome.replaced.length ? 'pointer.supersede' : action,
      resource: `DocumentReference/${outcome.id}`,
      nhsNumbers: outcome.nhsNumber ? [outcome.nhsNumber] : [],
      detail: outcome.replaced.length ? { replaced: outcome.replaced } : undefined,
    });
  };

  await registerPointerApi(app, ctx, permissions, {
    side: 'producer',
    title: 'National Record Locator (FHIR) Producer API',
    components: producerComponents,
    activity: 'record-locator:produce',
    searchParams: PRODUCER_SEARCH_PARAMS,
  }, (api, config) => {
    const documentBody = { schema: { body: DOCUMENT_REFERENCE_BODY, headers: NRL_HEADERS }, config: { ...config, nrlBody: 'document' as const } };
    const pointerInPath = { params: POINTER_ID_PARAMS, headers: NRL_HEADERS };

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

    api.put<{ Params: { id: string } }>('/DocumentReference/:id', { ...documentBody, schema: { ...documentBody.schema, ...pointerInPath } }, async (request, reply) => {
      const outcome = await updatePointer(ctx, callerOf(request), request.params.id, request.body as DocumentReference);
      await written(request, outcome, 'pointer.update');
      return sendNrlSuccess(reply, outcome.response);
    });

    api.delete<{ Params: { id: string } }>('/DocumentReference/:id', { schema: pointerInPath, config }, async (request, reply) => {
      const outcome = await deletePointer(ctx, callerOf(request), request.params.id);
      await written(request, outcome, 'pointer.delete');
      return sendNrlSuccess(reply, outcome.response);
    });
  });
}
