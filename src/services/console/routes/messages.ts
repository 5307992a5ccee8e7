import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { messagingApi } from '../../messaging/api.js';
import { directoryApi } from '../../directory/api.js';
import { formDay, pageRoute, errorPage } from '../http.js';
import { render } from '../render.js';
import { auditConsole } from '../audit.js';

const RESULTS = 100;
const STATES = ['uploading', 'accepted', 'acknowledged', 'expired', 'undeliverable', 'error'] as const;
const text = (maxLength: number, pattern: string) => ({ type: 'string', maxLength, pattern });
const QUERY = {
  type: 'object',
  properties: {
    messageId: text(100, '^[A-Za-z0-9_-]*$'), mailbox: text(20, '^[A-Za-z0-9]*$'), workflow: text(100, '^[A-Za-z0-9_.-]*$'),
    state: { type: 'string', enum: ['', ...STATES] }, from: text(10, '^(|\\d{4}-\\d{2}-\\d{2})$'), to: text(10, '^(|\\d{4}-\\d{2}-\\d{2})$'),
  },
};
const PARAMS = { type: 'object', properties: { messageId: text(100, '^[A-Za-z0-9_-]+$') } };

interface MessageQuery { messageId?: string; mailbox?: string; workflow?: string; state?: (typeof STATES)[number] | ''; from?: string; to?: string }

export async function registerMessageRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const mesh = messagingApi(ctx.db);
  const directory = directoryApi(ctx.db);

  app.get('/messages', pageRoute('messages', { querystring: QUERY }), async (request, reply) => {
    const query = request.query as MessageQuery;
    const searched = Object.values(query).some((v) => typeof v === 'string' && v !== '');
    const found = searched ? await mesh.findMessages({
      messageId: query.messageId || undefined, mailboxId: query.mailbox?.toUpperCase() || undefined, workflowId: query.workflow || undefined,
      state: query.state || undefined,
      createdFrom: query.from ? formDay('from', query.from) : undefined,
      createdBefore: query.to ? formDay('to', query.to, 1) : undefined,
      limit: RESULTS,
    }) : undefined;
    const [mailboxes, depths] = await Promise.all([directory.listMailboxes({ limit: 1000 }), mesh.inboxDepths(ctx.clock.now())]);
    const depthOf = new Map(depths.map((d) => [d.mailboxId, d]));
    await auditConsole(ctx, request, { action: 'console.message.search', detail: { query, found: found?.length ?? null } });
    return render(request, reply, {
      template: 'messages.njk', title: 'Messages', page: 'messages', query, searched, found, states: STATES,
      mailboxes: mailboxes.map((m) => ({ ...m, waiting: depthOf.get(m.mailboxId)?.waiting ?? 0, oldest: depthOf.get(m.mailboxId)?.oldestAcceptedAt ?? null })),
    });
  });

  app.get('/messages/:messageId', pageRoute('messages', { params: PARAMS }), async (request, reply) => {
    const { messageId } = request.params as { messageId: string };
    const history = await mesh.messageHistory(messageId);
    await auditConsole(ctx, request, { action: 'console.message.view', resource: `MESH message ${messageId}`, outcome: history ? 'success' : 'failure' });
    if (!history) return errorPage(request, reply, 404, 'Message not found', `There is no MESH message with id ${messageId}.`);
    return render(request, reply, { template: 'message.njk', title: `Message ${messageId}`, page: 'messages', ...history });
  });
}
