import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import type { MeshMailbox } from '../api.js';
import * as mesh from '../store/mesh.js';
import { findOrganisation } from '../store/organisations.js';
import type { Static } from '@sinclair/typebox';
import { ADMIN, auditChange, duplicate, invalid, notFound, pageFrom, readBody, upperCased } from './http.js';
import { mailboxFromBody, workflowFromBody } from './records.js';
import { MailboxBody, MailboxIdParams, MailboxPutBody, MailboxQuery, PageQuery, WorkflowBody, WorkflowIdParams, WorkflowPutBody } from './schemas.js';

/** What the admin API shows of a mailbox: never its password, only that it has one. */
const shown = ({ password, ...mailbox }: MeshMailbox) => ({ ...mailbox, hasPassword: password.length > 0 });

/** /admin/directory/mailboxes and /admin/directory/workflows. */
export async function meshRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const mailboxes = '/admin/directory/mailboxes';
  const workflows = '/admin/directory/workflows';

  async function requireOrganisation(odsCode: string) {
    if (!(await findOrganisation(ctx.db, odsCode))) throw invalid('odsCode', `organisation ${odsCode} is not in the directory`);
  }

  async function requireMailboxes(field: 'senders' | 'receivers', ids: string[]) {
    const unknown = await mesh.unknownMailboxIds(ctx.db, ids);
    if (unknown.length > 0) throw invalid(field, `'${field}' names mailboxes not in the directory: ${unknown.join(', ')}`);
  }

  app.get<{ Querystring: Static<typeof MailboxQuery> }>(mailboxes, { schema: { querystring: MailboxQuery }, config: ADMIN }, async (request) => {
    const page = pageFrom(request.query);
    const odsCode = upperCased(request.query.odsCode);
    return { items: (await mesh.listMailboxes(ctx.db, { odsCode, ...page })).map(shown), ...page };
  });

  app.get<{ Params: Static<typeof MailboxIdParams> }>(`${mailboxes}/:mailboxId`, { schema: { params: MailboxIdParams }, config: ADMIN }, async (request) => {
    const mailbox = await mesh.findMailbox(ctx.db, request.params.mailboxId.toUpperCase());
    if (!mailbox) throw notFound(`Mailbox ${request.params.mailboxId}`);
    return shown(mailbox);
  });

  app.post<{ Body: Static<typeof MailboxBody> }>(mailboxes, { schema: { body: MailboxBody }, config: ADMIN }, async (request, reply) => {
    const mailbox = readBody(() => mailboxFromBody(request.body));
    await requireOrganisation(mailbox.odsCode);
    if (!(await mesh.insertMailboxIfAbsent(ctx.db, mailbox))) throw duplicate(`Mailbox ${mailbox.mailboxId}`);
    auditChange(request, 'mailbox', `MeshMailbox/${mailbox.mailboxId}`, true);
    return reply.code(201).send(shown(mailbox));
  });

  app.put<{ Params: Static<typeof MailboxIdParams>; Body: Static<typeof MailboxPutBody> }>(`${mailboxes}/:mailboxId`, { schema: { params: MailboxIdParams, body: MailboxPutBody }, config: ADMIN }, async (request, reply) => {
    const existing = await mesh.findMailbox(ctx.db, request.params.mailboxId.toUpperCase());
    const mailbox = readBody(() => mailboxFromBody(request.body, request.params.mailboxId, existing?.password));
    await requireOrganisation(mailbox.odsCode);
    await mesh.upsertMailbox(ctx.db, mailbox, { keepPassword: request.body.password === undefined });
    auditChange(request, 'mailbox', `MeshMailbox/${mailbox.mailboxId}`, !existing);
    return reply.code(existing ? 200 : 201).send(shown(mailbox));
  });

  app.get<{ Querystring: Static<typeof PageQuery> }>(workflows, { schema: { querystring: PageQuery }, config: ADMIN }, async (request) => {
    const page = pageFrom(request.query);
    return { items: await mesh.listWorkflows(ctx.db, page), ...page };
  });

  app.get<{ Params: Static<typeof WorkflowIdParams> }>(`${workflows}/:workflowId`, { schema: { params: WorkflowIdParams }, config: ADMIN }, async (request) => {
    const workflow = await mesh.findWorkflow(ctx.db, request.params.workflowId);
    if (!workflow) throw notFound(`Workflow ${request.params.workflowId}`);
    return workflow;
  });

  app.post<{ Body: Static<typeof WorkflowBody> }>(workflows, { schema: { body: WorkflowBody }, config: ADMIN }, async (request, reply) => {
    const workflow = readBody(() => workflowFromBody(request.body));
    await requireMailboxes('senders', workflow.senders);
    await requireMailboxes('receivers', workflow.receivers);
    if (!(await mesh.insertWorkflowIfAbsent(ctx.db, workflow))) throw duplicate(`Workflow ${workflow.workflowId}`);
    auditChange(request, 'workflow', `MeshWorkflow/${workflow.workflowId}`, true);
    return reply.code(201).send(workflow);
  });

  app.put<{ Params: Static<typeof WorkflowIdParams>; Body: Static<typeof WorkflowPutBody> }>(`${workflows}/:workflowId`, { schema: { params: WorkflowIdParams, body: WorkflowPutBody }, config: ADMIN }, async (request, reply) => {
    const workflow = readBody(() => workflowFromBody(request.body, request.params.workflowId));
    await requireMailboxes('senders', workflow.senders);
    await requireMailboxes('receivers', workflow.receivers);
    const existed = await mesh.findWorkflow(ctx.db, workflow.workflowId);
    await mesh.upsertWorkflow(ctx.db, workflow);
    auditChange(request, 'workflow', `MeshWorkflow/${workflow.workflowId}`, !existed);
    return reply.code(existed ? 200 : 201).send(workflow);
  });
}
