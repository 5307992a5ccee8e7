import type { FastifyInstance } from 'fastify';
import { directoryApi } from '../../directory/api.js';
import { MEDIA_TYPE } from '../protocol/api-version.js';
import { newMessageId } from '../protocol/message-id.js';
import { endpointLookupView, workflowSearchView } from '../views/lookup.js';
import type { MeshDeps } from '../handlers/deps.js';
import { versionOf } from './context.js';
import { EndpointLookupParamsSchema, WorkflowSearchParamsSchema } from './schemas.js';

/** Routes the spec leaves open (no NHSMESH header). */
export function registerPublicRoutes(app: FastifyInstance, deps: MeshDeps) {
  const directory = directoryApi(deps.ctx.db);
  const open = { config: { meshPublic: true } };

  app.get('/_ping', open, async () => ({ status: 'pass', ping: 'pong', service: 'mesh' }));

  app.get<{ Params: { odsCode: string; workflowId: string } }>('/endpointlookup/:odsCode/:workflowId', { ...open, schema: { params: EndpointLookupParamsSchema } }, async (request, reply) => {
    const mailboxes = await directory.mailboxesForOdsAndWorkflow(request.params.odsCode.toUpperCase(), request.params.workflowId);
    const version = versionOf(request);
    return reply.type(MEDIA_TYPE[version]).send(endpointLookupView(version, `${newMessageId(deps.ctx.clock.now())}_${mailboxes.length}`, mailboxes));
  });

  app.get<{ Params: { workflowId: string } }>('/workflowsearch/:workflowId', { ...open, schema: { params: WorkflowSearchParamsSchema } }, async (request, reply) => {
    const mailboxes = await directory.mailboxesReceivingWorkflow(request.params.workflowId);
    return reply.type(MEDIA_TYPE[versionOf(request)]).send(workflowSearchView(mailboxes));
  });
}
