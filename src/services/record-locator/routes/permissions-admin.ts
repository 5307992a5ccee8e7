import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PLATFORM_ERRORS, SpineError } from '../../../platform/http/errors.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { PermissionCache } from '../permission-cache.js';
import { APP_ID, MAX_POINTER_TYPES, ORGANISATION } from '../domain/permissions.js';
import { RECORD_TYPES } from '../domain/record-types.js';
import { findNestedDeeperThan } from '../../../platform/http/validation-failure.js';
import { deletePermission, listPermissions, setPermission } from '../store.js';

/**
 * Who may produce and consume which pointer types: per (application, ODS code[.extension]), held by
 * this service. The admin API (activity record-locator:admin) and the sandbox testing API share it.
 */
const appId = Type.String({ pattern: APP_ID.source, description: 'The application id (1 to 200 letters, digits or ._:~-)' });
const PermissionParams = Type.Object({
  appId,
  organisation: Type.String({ pattern: ORGANISATION.source, description: 'ODS code, or ODS code.extension' }),
});
/** A JSON array of `system|code` pointer types of NRL's record type value set (duplicates are dropped). */
const PointerTypes = Type.Array(Type.String({ enum: [...RECORD_TYPES.keys()], description: 'e.g. http://snomed.info/sct|736253002' }), { maxItems: MAX_POINTER_TYPES });
const PermissionQuery = Type.Object({ app: Type.Optional(appId) });

/**
 * A list of pointer types is flat: a body nesting deeper is refused, saying what the body must be,
 * before the door's schema check (which would only say the value is nested too deeply to show). A
 * hook of the routes' own scope, as the door is the first of each route's own preValidation hooks.
 */
function refuseNestedBody(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) {
  if (findNestedDeeperThan(request.body, 2) !== undefined) {
    return done(new SpineError(PLATFORM_ERRORS.INVALID_VALUE, 'Invalid value - the body must be a JSON array of "system|code" pointer types'));
  }
  done();
}

/** The permission routes under `base`, in a scope of their own whose first hook refuses a nested body. */
export function registerPermissionRoutes(
  app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache, base: string, config: Record<string, unknown>,
) {
  void app.register(async (scope) => {
    scope.addHook('preValidation', refuseNestedBody);
    permissionRoutes(scope, ctx, permissions, base, config);
  });
}

function permissionRoutes(app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache, base: string, config: Record<string, unknown>) {
  type Params = Static<typeof PermissionParams>;
  app.put<{ Params: Params; Body: Static<typeof PointerTypes> }>(`${base}/permissions/:appId/:organisation`,
    { schema: { params: PermissionParams, body: PointerTypes }, config }, async (request) => {
      const { appId } = request.params;
      // Held in upper case, as a caller's ODS code and extension are keyed (caller.ts).
      const organisation = request.params.organisation.toUpperCase();
      const pointerTypes = [...new Set(request.body)];
      await setPermission(ctx.db, { appId, organisation, pointerTypes });
      permissions.forget();
      return { appId, organisation, pointerTypes };
    });
  app.delete<{ Params: Params }>(`${base}/permissions/:appId/:organisation`, { schema: { params: PermissionParams }, config }, async (request, reply) => {
    const { appId } = request.params;
    const organisation = request.params.organisation.toUpperCase();
    const deleted = await deletePermission(ctx.db, appId, organisation);
    permissions.forget();
    if (!deleted) {
      throw new SpineError(PLATFORM_ERRORS.NOT_FOUND, `application '${appId}' has no pointer types for '${organisation}'`);
    }
    return reply.code(204).send();
  });
  app.get<{ Querystring: Static<typeof PermissionQuery> }>(`${base}/permissions`, { schema: { querystring: PermissionQuery }, config }, async (request) =>
    ({ permissions: await listPermissions(ctx.db, request.query.app) }));
}

export async function permissionsAdminRoutes(app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache) {
  registerPermissionRoutes(app, ctx, permissions, '/admin/record-locator', { activity: 'record-locator:admin' });
}
