import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isValidNhsNumber } from '../../../platform/nhs-number.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { PermissionCache } from '../permission-cache.js';
import { stageRouteAudit } from '../../../platform/audit/route-audit.js';
import { auditedAs, notePointerAccess, pointerAccessNote, type PointerAction } from '../audit.js';
import { createPointer, deletePointer, updatePointer, type WriteAudit } from '../handlers/producer-writes.js';
import { nhsNumberOf, type DocumentReference } from '../domain/document-reference.js';
import { DOCUMENT_REFERENCE_BODY, NRL_HEADERS, POINTER_ID_PARAMS, PRODUCER_SEARCH_PARAMS, producerComponents } from '../schemas.js';
import { producerLocation, sendNrlSuccess } from '../wire.js';
import { MAX_POINTER_BYTES } from '../limits.js';
import { callerOf } from './common.js';
import { registerPointerApi } from './pointer-api.js';

/** NRL producer API (`/record-locator/producer/FHIR/R4`): a producer's own pointers. */
export async function producerRoutes(app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache) {
  /** Before the write: a refusal is audited as a failure of this request (the platform adds the error's code). */
  const writing = (request: FastifyRequest, resource: string, body?: DocumentReference) => {
    const nhsNumber = body === undefined ? undefined : nhsNumberOf(body);
    // Only a patient the body names validly: a refused body's text is not an NHS number to record.
    notePointerAccess(request, callerOf(request), { resource, nhsNumbers: typeof nhsNumber === 'string' && isValidNhsNumber(nhsNumber) ? [nhsNumber] : [] });
  };
  /**
   * The write's success entry, written in its transaction (stageRouteAudit): `entry` gives it for
   * what the write is about to touch, `committed` marks the request audited once the write is in.
   */
  const auditedWrite = (request: FastifyRequest) => {
    const staged = stageRouteAudit(request, ctx.audit);
    const entry: WriteAudit = (outcome) => staged.entry(pointerAccessNote(request, callerOf(request), {
      ...(outcome.replaced.length ? { action: 'pointer.supersede' as const, detail: { replaced: outcome.replaced } } : {}),
      resource: `DocumentReference/${outcome.id}`,
      nhsNumbers: outcome.nhsNumber ? [outcome.nhsNumber] : [],
    }));
    return { entry, committed: staged.committed };
  };

  await registerPointerApi(app, ctx, permissions, {
    side: 'producer',
    title: 'National Record Locator (FHIR) Producer API',
    components: producerComponents,
    activity: 'record-locator:produce',
    searchParams: PRODUCER_SEARCH_PARAMS,
  }, (api, config) => {
    const documentBody = (action: PointerAction) =>
      ({ schema: { body: DOCUMENT_REFERENCE_BODY, headers: NRL_HEADERS }, bodyLimit: MAX_POINTER_BYTES, config: { ...auditedAs(config, action), nrlBody: 'document' as const } });
    const pointerInPath = { params: POINTER_ID_PARAMS, headers: NRL_HEADERS };

    api.post('/DocumentReference', documentBody('pointer.create'), async (request, reply) => {
      writing(request, 'DocumentReference', request.body as DocumentReference);
      const audit = auditedWrite(request);
      const outcome = await createPointer(ctx, callerOf(request), request.body as DocumentReference, 'server', audit.entry);
      audit.committed();
      return sendNrlSuccess(reply, outcome.response, producerLocation(outcome.id));
    });

    api.put('/DocumentReference', documentBody('pointer.create'), async (request, reply) => {
      writing(request, 'DocumentReference', request.body as DocumentReference);
      const audit = auditedWrite(request);
      const outcome = await createPointer(ctx, callerOf(request), request.body as DocumentReference, 'producer', audit.entry);
      audit.committed();
      return sendNrlSuccess(reply, outcome.response, producerLocation(outcome.id));
    });

    const update = documentBody('pointer.update');
    api.put<{ Params: { id: string } }>('/DocumentReference/:id', { ...update, schema: { ...update.schema, ...pointerInPath } }, async (request, reply) => {
      writing(request, `DocumentReference/${request.params.id}`, request.body as DocumentReference);
      const audit = auditedWrite(request);
      const outcome = await updatePointer(ctx, callerOf(request), request.params.id, request.body as DocumentReference, audit.entry);
      audit.committed();
      return sendNrlSuccess(reply, outcome.response);
    });

    api.delete<{ Params: { id: string } }>('/DocumentReference/:id', { schema: pointerInPath, config: auditedAs(config, 'pointer.delete') }, async (request, reply) => {
      writing(request, `DocumentReference/${request.params.id}`);
      const audit = auditedWrite(request);
      const outcome = await deletePointer(ctx, callerOf(request), request.params.id, audit.entry);
      audit.committed();
      return sendNrlSuccess(reply, outcome.response);
    });
  });
}
