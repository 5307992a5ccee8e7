import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ADMIN_EVENT_STATUSES, addMessageEvent, createReport, mailboxDetails, messageDetails, resetMailboxes } from '../handlers/admin.js';
import type { MeshDeps } from '../handlers/deps.js';
import { apiVersionFromAccept } from '../protocol/api-version.js';
import { normaliseMessageId } from '../protocol/message-id.js';
import { sendMeshError } from './mesh-plugin.js';

// "This is not part of the real api!, just for testing purposes" (MESH sandbox): no NHSMESH
// header and no client certificate, even when mutual TLS is on, so a test harness can call them.
const text = (maxLength: number) => Type.String({ minLength: 1, maxLength });
const MailboxParams = Type.Object({ mailbox: text(100) });
const MessageParams = Type.Object({ messageId: text(100) });
const EventBody = Type.Object({
  status: Type.Union(ADMIN_EVENT_STATUSES.map((s) => Type.Literal(s))),
  code: Type.Optional(Type.String({ maxLength: 100 })),
  event: Type.Optional(Type.String({ maxLength: 100 })),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  linked_message_id: Type.Optional(Type.String({ maxLength: 100 })),
});
// A report's fields go out as its download's mex-* headers, which carry Latin-1 without control
// characters (as a send's control headers do): anything else could never be downloaded.
const HEADER_TEXT = '^[\\u0020-\\u007e\\u0080-\\u00ff]*$';
const headerText = (maxLength: number, minLength = 0) => Type.String({ minLength, maxLength, pattern: HEADER_TEXT });
const ReportBody = Type.Object({
  mailbox_id: text(100),
  code: headerText(100),
  description: headerText(500),
  workflow_id: headerText(300, 1),
  subject: Type.Optional(headerText(500)),
  local_id: Type.Optional(headerText(300)),
  status: Type.Optional(Type.Union([Type.Literal('undeliverable'), Type.Literal('error')])),
  file_name: Type.Optional(headerText(300)),
  linked_message_id: Type.Optional(headerText(100)),
});

/**
 * The MESH sandbox's testing routes, registered only in sandbox mode, both at the root and under
 * `/messageexchange` as the sandbox serves them (`report` only under `/messageexchange`).
 */
export async function sandboxAdminPlugin(app: FastifyInstance, deps: MeshDeps, options: { report: boolean }) {
  // Open, as the MESH sandbox's testing routes are: registered only in sandbox mode (loopback).
  const open = { config: { meshPublic: true, public: true } } as const;
  app.addHook('onRequest', async (request) => { request.meshVersion = apiVersionFromAccept(request.headers.accept) ?? 1; });
  app.setErrorHandler((err, request, reply) => sendMeshError(request, reply, err));
  // Schemas are checked by the platform's door (bodies never coerced: `"code": 42` is a 400, not
  // the string "42"); a refusal renders as MESH's 400 naming the field (refusals.ts).

  app.delete('/admin/reset', open, async () => {
    await resetMailboxes(deps);
    return { message: 'all mailboxes reset' };
  });

  app.delete<{ Params: Static<typeof MailboxParams> }>('/admin/reset/:mailbox', { ...open, schema: { params: MailboxParams } }, async (request) => {
    const mailboxId = request.params.mailbox.toUpperCase();
    await resetMailboxes(deps, mailboxId);
    return { message: `mailbox ${mailboxId} reset` };
  });

  app.post<{ Params: Static<typeof MessageParams>; Body: Static<typeof EventBody> }>('/admin/message/:messageId/event',
    { ...open, schema: { params: MessageParams, body: EventBody } }, async (request, reply) => {
      await addMessageEvent(deps, normaliseMessageId(request.params.messageId), request.body);
      return reply.code(200).send();
    });

  app.get<{ Params: Static<typeof MailboxParams> }>('/admin/mailbox/:mailbox', { ...open, schema: { params: MailboxParams } },
    async (request) => mailboxDetails(deps, request.params.mailbox.toUpperCase()));

  app.get<{ Params: Static<typeof MessageParams> }>('/admin/message/:messageId', { ...open, schema: { params: MessageParams } },
    async (request) => messageDetails(deps, normaliseMessageId(request.params.messageId)));

  if (options.report) {
    app.post<{ Body: Static<typeof ReportBody> }>('/admin/report', { ...open, schema: { body: ReportBody } }, async (request) => {
      const report = await createReport(deps, request.body);
      return { message_id: report.messageId };
    });
  }
}
