import type { FastifyInstance } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from '../../../platform/http/errors.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { DocumentReference } from '../domain/document-reference.js';
import { deleteAllPointers, deletePointers, readPointer, replacePointer, rowOf } from '../store.js';
import { registerPermissionRoutes } from './permissions-admin.js';
import type { PermissionCache } from '../permission-cache.js';

/**
 * The sandbox testing API (sandbox mode only; absent, so 404, otherwise): a supplier's test suite
 * sets up each scenario, including pointers the API itself would refuse.
 */
const BASE = '/_admin/record-locator';
// Open, as a sandbox's testing routes are: registered only in sandbox mode, which listens on loopback.
const SANDBOX_ONLY = { public: true } as const;
const ID = /^[\x21-\x7e]{1,200}$/;

function pointerId(id: string): string {
  if (!ID.test(id)) throw new SpineError(PLATFORM_ERRORS.INVALID_VALUE, 'the id must be 1 to 200 printable ASCII characters', { expression: ['id'] });
  return id;
}

export async function sandboxRoutes(app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache) {
  registerPermissionRoutes(app, ctx, permissions, BASE, SANDBOX_ONLY);

  app.put<{ Params: { id: string } }>(`${BASE}/DocumentReference/:id`, { config: SANDBOX_ONLY }, async (request, reply) => {
    const id = pointerId(request.params.id);
    const body = request.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new SpineError(PLATFORM_ERRORS.INVALID_VALUE, 'the body must be a JSON object (a DocumentReference, stored as given)', { expression: ['body'] });
    }
    await replacePointer(ctx.db, rowOf(body as DocumentReference, id));
    return reply.code(200).type('application/fhir+json').send(body);
  });
  app.get<{ Params: { id: string } }>(`${BASE}/DocumentReference/:id`, { config: SANDBOX_ONLY }, async (request, reply) => {
    const row = await readPointer(ctx.db, pointerId(request.params.id));
    if (!row) throw new SpineError(PLATFORM_ERRORS.NOT_FOUND, `no pointer '${request.params.id}'`);
    return reply.type('application/fhir+json').send(row.resource);
  });
  app.delete<{ Params: { id: string } }>(`${BASE}/DocumentReference/:id`, { config: SANDBOX_ONLY }, async (request, reply) => {
    const [deleted] = await deletePointers(ctx.db, [pointerId(request.params.id)]);
    if (!deleted) throw new SpineError(PLATFORM_ERRORS.NOT_FOUND, `no pointer '${request.params.id}'`);
    return reply.code(204).send();
  });
  app.delete(`${BASE}/DocumentReference`, { config: SANDBOX_ONLY }, async () => ({ deleted: await deleteAllPointers(ctx.db) }));
}
