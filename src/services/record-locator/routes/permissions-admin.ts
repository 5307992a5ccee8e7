import type { FastifyInstance } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from '../../../platform/http/errors.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { PermissionCache } from '../permission-cache.js';
import { parseAppId, parseOrganisation, parsePointerTypes, type Parsed } from '../domain/permissions.js';
import { deletePermission, listPermissions, setPermission } from '../store.js';

/**
 * Who may produce and consume which pointer types: per (application, ODS code[.extension]), held by
 * this service. The admin API (activity record-locator:admin) and the sandbox testing API share it.
 */
function valueOf<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new SpineError(PLATFORM_ERRORS.INVALID_VALUE, parsed.problem, { expression: [parsed.field] });
  return parsed.value;
}

interface PermissionParams { appId: string; organisation: string }

export function registerPermissionRoutes(
  app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache, base: string, config: Record<string, unknown>,
) {
  app.put<{ Params: PermissionParams }>(`${base}/permissions/:appId/:organisation`, { config }, async (request) => {
    const appId = valueOf(parseAppId(request.params.appId));
    const organisation = valueOf(parseOrganisation(request.params.organisation));
    const pointerTypes = valueOf(parsePointerTypes(request.body));
    await setPermission(ctx.db, { appId, organisation, pointerTypes });
    permissions.forget();
    return { appId, organisation, pointerTypes };
  });
  app.delete<{ Params: PermissionParams }>(`${base}/permissions/:appId/:organisation`, { config }, async (request, reply) => {
    const appId = valueOf(parseAppId(request.params.appId));
    const organisation = valueOf(parseOrganisation(request.params.organisation));
    const deleted = await deletePermission(ctx.db, appId, organisation);
    permissions.forget();
    if (!deleted) {
      throw new SpineError(PLATFORM_ERRORS.NOT_FOUND, `application '${appId}' has no pointer types for '${organisation}'`);
    }
    return reply.code(204).send();
  });
  app.get<{ Querystring: { app?: string } }>(`${base}/permissions`, { config }, async (request) => {
    const appFilter = request.query.app;
    if (appFilter !== undefined && typeof appFilter !== 'string') throw new SpineError(PLATFORM_ERRORS.INVALID_VALUE, "'app' must be given once", { expression: ['app'] });
    return { permissions: await listPermissions(ctx.db, appFilter === undefined ? undefined : valueOf(parseAppId(appFilter))) };
  });
}

export async function permissionsAdminRoutes(app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache) {
  registerPermissionRoutes(app, ctx, permissions, '/admin/record-locator', { activity: 'record-locator:admin' });
}
