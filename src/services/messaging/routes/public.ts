import type { FastifyInstance } from 'fastify';
import { directoryApi } from '../../directory/api.js';
import { MEDIA_TYPE } from '../protocol/api-version.js';
import { newMessageId } from '../protocol/message-id.js';
import { endpointLookupView, workflowSearchView } from '../views/lookup.js';
import type { MeshDeps } from '../handlers/deps.js';
import { resetMailboxes } from '../handlers/reset.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import { versionOf } from './context.js';

/** Routes the spec leaves open (no NHSMESH header), and the sandbox's admin reset. */
export function registerPublicRoutes(app: FastifyInstance, deps: MeshDeps) {
  const directory = directoryApi(deps.ctx.db);
  const open = { config: { meshPublic: true } };

  app.get('/_ping', open, async () => ({ status: 'pass', ping: 'pong', service: 'mesh' }));

  app.get<{ Params: { odsCode: string; workflowId: string } }>('/endpointlookup/:odsCode/:workflowId', open, async (request, reply) => {
    const mailboxes = await directory.mailboxesForOdsAndWorkflow(request.params.odsCode.toUpperCase(), request.params.workflowId);
    const version = versionOf(request);
    return reply.type(MEDIA_TYPE[version]).send(endpointLookupView(version, `${newMessageId(deps.ctx.clock.now())}_${mailboxes.length}`, mailboxes));
  });

  app.get<{ Params: { workflowId: string } }>('/workflowsearch/:workflowId', open, async (request, reply) => {
    const mailboxes = await directory.mailboxesReceivingWorkflow(request.params.workflowId);
    return reply.type(MEDIA_TYPE[versionOf(request)]).send(workflowSearchView(mailboxes));
  });

  // MESH sandbox admin: empty every mailbox (or one), only when the Spine runs in sandbox mode.
  const reset = async (mailboxId?: string) => {
    if (!deps.ctx.config.sandbox) throw meshError(MESH_ERRORS.NOT_FOUND, { diagnostics: 'admin endpoints exist only in sandbox mode' });
    await resetMailboxes(deps, mailboxId);
  };
  app.delete('/admin/reset', open, async (_request, reply) => {
    await reset();
    return reply.code(200).send();
  });
  app.delete<{ Params: { mailbox: string } }>('/admin/reset/:mailbox', open, async (request, reply) => {
    await reset(request.params.mailbox.toUpperCase());
    return reply.code(200).send();
  });
}
