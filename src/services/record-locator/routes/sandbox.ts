import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PLATFORM_ERRORS, SpineError } from '../../../platform/http/errors.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { DocumentReference } from '../domain/document-reference.js';
import { deleteAllPointers, deletePointers, readPointer, replacePointer, rowOf } from '../store.js';
import { registerPermissionRoutes } from './permissions-admin.js';
import { findNestedDeeperThan } from '../../../platform/http/validation-failure.js';
import type { PermissionCache } from '../permission-cache.js';
import { MAX_POINTER_BYTES } from '../limits.js';

/**
 * The sandbox testing API (sandbox mode only; absent, so 404, otherwise): a supplier's test suite
 * sets up each scenario, including pointers the API itself would refuse.
 */
const BASE = '/_admin/record-locator';
// Open, as a sandbox's testing routes are: registered only in sandbox mode, which listens on loopback.
const SANDBOX_ONLY = { public: true } as const;
const PointerParams = Type.Object({ id: Type.String({ pattern: '^[\\x21-\\x7e]{1,200}$', description: '1 to 200 printable ASCII characters' }) });
/**
 * Any JSON object: a DocumentReference stored exactly as given, including what the API itself would
 * refuse, but no larger than the API takes one (limits.ts): consumers' searches serve it as any other.
 */
const AnyPointer = Type.Object({}, { additionalProperties: true });

/**
 * A DocumentReference nests about eight levels; a body nested thousands deep parses but cannot be
 * serialised to be stored (the stack runs out: a 500), so the sandbox refuses anything past this.
 */
const MAX_NESTING = 64;

function refuseDeepPointer(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) {
  if (findNestedDeeperThan(request.body, MAX_NESTING) !== undefined) {
    return done(new SpineError(PLATFORM_ERRORS.INVALID_VALUE, `Invalid value - the pointer nests deeper than ${MAX_NESTING} levels`));
  }
  done();
}

export async function sandboxRoutes(app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache) {
  registerPermissionRoutes(app, ctx, permissions, BASE, SANDBOX_ONLY);

  type Params = Static<typeof PointerParams>;
  // In a scope of its own: its first hook measures the body's depth before the door's schema check
  // and the store (which serialises it) read it.
  void app.register(async (scope) => {
    scope.addHook('preValidation', refuseDeepPointer);
    scope.put<{ Params: Params; Body: Static<typeof AnyPointer> }>(`${BASE}/DocumentReference/:id`,
      { schema: { params: PointerParams, body: AnyPointer }, bodyLimit: MAX_POINTER_BYTES, config: SANDBOX_ONLY }, async (request, reply) => {
        await replacePointer(ctx.db, rowOf(request.body as DocumentReference, request.params.id));
        return reply.code(200).type('application/fhir+json').send(request.body);
      });
  });
  app.get<{ Params: Params }>(`${BASE}/DocumentReference/:id`, { schema: { params: PointerParams }, config: SANDBOX_ONLY }, async (request, reply) => {
    const row = await readPointer(ctx.db, request.params.id);
    if (!row) throw new SpineError(PLATFORM_ERRORS.NOT_FOUND, `no pointer '${request.params.id}'`);
    return reply.type('application/fhir+json').send(row.resource);
  });
  app.delete<{ Params: Params }>(`${BASE}/DocumentReference/:id`, { schema: { params: PointerParams }, config: SANDBOX_ONLY }, async (request, reply) => {
    const [deleted] = await deletePointers(ctx.db, [request.params.id]);
    if (!deleted) throw new SpineError(PLATFORM_ERRORS.NOT_FOUND, `no pointer '${request.params.id}'`);
    return reply.code(204).send();
  });
  app.delete(`${BASE}/DocumentReference`, { config: SANDBOX_ONLY }, async () => ({ deleted: await deleteAllPointers(ctx.db) }));
}
