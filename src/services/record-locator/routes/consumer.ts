import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import type { PermissionCache } from '../permission-cache.js';
import { auditedAs, notePointerAccess } from '../audit.js';
import { countAs } from '../handlers/pointer-reads.js';
import { CONSUMER_SEARCH_PARAMS, consumerComponents, COUNT_PARAMS, NRL_HEADERS } from '../schemas.js';
import { callerOf, sendResource } from './common.js';
import { registerPointerApi } from './pointer-api.js';

/** NRL consumer API (`/record-locator/consumer/FHIR/R4`): a patient's pointers, of the types the caller may see. */
export async function consumerRoutes(app: FastifyInstance, ctx: PlatformContext, permissions: PermissionCache) {
  await registerPointerApi(app, ctx, permissions, {
    side: 'consumer',
    title: 'National Record Locator (FHIR) Consumer API',
    components: consumerComponents,
    activity: 'record-locator:consume',
    searchParams: CONSUMER_SEARCH_PARAMS,
  }, (api, config) => {
    api.get('/DocumentReference/_count', { schema: { querystring: COUNT_PARAMS, headers: NRL_HEADERS }, config: auditedAs(config, 'pointer.count') }, async (request, reply) => {
      const caller = callerOf(request);
      notePointerAccess(request, caller, { resource: 'DocumentReference', nhsNumbers: [] });
      const { bundle, nhsNumber } = await countAs(ctx, caller, request.query as Record<string, unknown>);
      notePointerAccess(request, caller, { resource: 'DocumentReference', nhsNumbers: [nhsNumber], detail: { total: bundle.total } });
      return sendResource(reply, bundle);
    });
  });
}
