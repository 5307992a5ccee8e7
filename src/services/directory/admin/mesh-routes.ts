import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import type { MeshMailbox } from '../api.js';
import { ODS_CODE } from '../fields.js';
import * as mesh from '../store/mesh.js';
import { findOrganisation } from '../store/organisations.js';
import { ADMIN, auditChange, duplicate, filterFrom, invalid, notFound, pageFrom, readBody } from './http.js';
import { mailboxFromBody, workflowFromBody } from './records.js';

type Query = Record<string, string | undefined>;

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

  app.get<{ Querystring: Query }>(mailboxes, { config: ADMIN }, async (request) => {
    const page = pageFrom(request.query);
    const odsCode = filterFrom(request.query, 'odsCode', ODS_CODE);
    return { items: (await mesh.listMailboxes(ctx.db, { odsCode, ...page })).map(shown), ...page };
  });

  app.get<{ Params: { mailboxId: string } }>(`${mailboxes}/:mailboxId`, { config: ADMIN }, async (request) => {
    const mailbox = await mesh.findMailbox(ctx.db, request.params.mailboxId.toUpperCase());
    if (!mailbox) throw notFound(`Mailbox ${request.params.mailboxId}`);
    return shown(mailbox);
  });

  app.post(mailboxes, { config: ADMIN }, async (request, reply) => {
    const mailbox = readBody(() => mailboxFromBody(request.body));
    await requireOrganisation(mailbox.odsCode);
    if (!(await mesh.insertMailboxIfAbsent(ctx.db, mailbox))) throw duplicate(`Mailbox ${mailbox.mailboxId}`);
    auditChange(request, 'mailbox', `MeshMailbox/${mailbox.mailboxId}`, true);
    return reply.code(201).send(shown(mailbox));
  });

  app.put<{ Params: { mailboxId: string } }>(`${mailboxes}/:mailboxId`, { config: ADMIN }, async (request, reply) => {
    const existing = await mesh.findMailbox(ctx.db, request.params.mailboxId.toUpperCase());
    const mailbox = readBody(() => mailboxFromBody(request.body, request.params.mailboxId, existing?.password));
    await requireOrganisation(mailbox.odsCode);
    await mesh.upsertMailbox(ctx.db, mailbox);
    auditChange(request, 'mailbox', `MeshMailbox/${mailbox.mailboxId}`, !existing);
    return reply.code(existing ? 200 : 201).send(shown(mailbox));
  });

  app.get<{ Querystring: Query }>(workflows, { config: ADMIN }, async (request) => {
    const page = pageFrom(request.query);
    return { items: await mesh.listWorkflows(ctx.db, page), ...page };
  });

  app.get<{ Params: { workflowId: string } }>(`${workflows}/:workflowId`, { config: ADMIN }, async (request) => {
    const workflow = await mesh.findWorkflow(ctx.db, request.params.workflowId);
    if (!workflow) throw notFound(`Workflow ${request.params.workflowId}`);
    return workflow;
  });

  app.post(workflows, { config: ADMIN }, async (request, reply) => {
    const workflow = readBody(() => workflowFromBody(request.body));
    await requireMailboxes('senders', workflow.senders);
    await requireMailboxes('receivers', workflow.receivers);
    if (!(await mesh.insertWorkflowIfAbsent(ctx.db, workflow))) throw duplicate(`Workflow ${workflow.workflowId}`);
    auditChange(request, 'workflow', `MeshWorkflow/${workflow.workflowId}`, true);
    return reply.code(201).send(workflow);
  });

  app.put<{ Params: { workflowId: string } }>(`${workflows}/:workflowId`, { config: ADMIN }, async (request, reply) => {
    const workflow = readBody(() => workflowFromBody(request.body, request.params.workflowId));
    await requireMailboxes('senders', workflow.senders);
    await requireMailboxes('receivers', workflow.receivers);
    const existed = await mesh.findWorkflow(ctx.db, workflow.workflowId);
    await mesh.upsertWorkflow(ctx.db, workflow);
    auditChange(request, 'workflow', `MeshWorkflow/${workflow.workflowId}`, !existed);
    return reply.code(existed ? 200 : 201).send(workflow);
  });
}
