import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { MEDIA_TYPE } from '../protocol/api-version.js';
import { MAX_CHUNK_BYTES } from '../protocol/limits.js';
import { normaliseMessageId } from '../protocol/message-id.js';
import { sendMessage } from '../handlers/send.js';
import { sendChunk } from '../handlers/send-chunk.js';
import { trackByLocalId, trackMessage, richOutbox, type RichQuery } from '../handlers/tracking.js';
import { auditMessage, messageAuditNote } from '../handlers/audit.js';
import { stageRouteAudit } from '../../../platform/audit/route-audit.js';
import type { MeshDeps } from '../handlers/deps.js';
import { sendView } from '../views/outbox.js';
import { MESH_ERRORS } from '../errors.js';
import { AuthorizationHeadersSchema, ChunkHeadersSchema, ChunkParamsSchema, withAuthorization, LocalIdParamsSchema, MailboxParamsSchema, RichQuerySchema, SendHeadersSchema, TrackingQuerySchema } from './schemas.js';
import { claimedNonceOf, mailboxOf, nonceOf, versionOf, type ChunkParams, type MailboxParams } from './context.js';

/** The request body as a stream: the content-type parser hands it through; with no content type it was never read. */
function bodyStream(request: FastifyRequest): AsyncIterable<Buffer> {
  return ((request.body as Readable | undefined) ?? request.raw) as AsyncIterable<Buffer>;
}

export function registerOutboxRoutes(app: FastifyInstance, deps: MeshDeps) {
  // A chunk's body is opaque bytes (any content type, maybe gzip), streamed to storage: no schema can describe it.
  const upload = { bodyLimit: MAX_CHUNK_BYTES };
  const streamed = { body: 'stream' as const };

  // A send claims its nonce itself: in its one statement when the body is small, else before storing it.
  app.post<{ Params: MailboxParams }>('/:mailbox/outbox', {
    ...upload, schema: { params: MailboxParamsSchema, headers: withAuthorization(SendHeadersSchema) }, config: { ...streamed, meshNonceInStatement: true },
  }, async (request, reply) => {
    const mailbox = mailboxOf(request);
    // The send's entry commits with the message (stageRouteAudit): a sent message is never a 503.
    const staged = stageRouteAudit(request, deps.ctx.audit);
    const result = await sendMessage(deps, mailbox, request.headers, bodyStream(request), nonceOf(request), (sent) => staged.entry(messageAuditNote({
      action: 'message.send', mailbox, messageId: sent.message.messageId,
      detail: { to: sent.message.recipient.mailboxId, workflowId: sent.message.workflowId, chunk: `1:${sent.message.totalChunks}`, bytes: sent.bytes, accepted: sent.accepted },
    })));
    staged.committed();
    const version = versionOf(request);
    return reply.code(202).type(MEDIA_TYPE[version]).send(sendView(version, result.message.messageId));
  });

  app.post<{ Params: ChunkParams }>('/:mailbox/outbox/:messageId/:chunk', {
    ...upload, schema: { params: ChunkParamsSchema, headers: withAuthorization(ChunkHeadersSchema) },
    // An upload's chunk number and range are MESH's InvalidHeaderChunks (417), not a bad parameter.
    config: { ...streamed, checkOrder: ['params', 'headers'], meshRefusals: { chunk_number: MESH_ERRORS.INVALID_HEADER_CHUNKS, 'mex-chunk-range': MESH_ERRORS.INVALID_HEADER_CHUNKS } },
  }, async (request, reply) => {
    const mailbox = mailboxOf(request);
    const messageId = normaliseMessageId(request.params.messageId);
    // Said before the upload, so a refusal (another mailbox's message, one finalised or unknown) is audited too.
    auditMessage(request, { action: 'message.send-chunk', mailbox, messageId, detail: { chunk: request.params.chunk } });
    const result = await sendChunk(deps, mailbox, messageId, request.params.chunk, request.headers, bodyStream(request), claimedNonceOf(request));
    auditMessage(request, {
      action: 'message.send-chunk', mailbox, messageId, detail: { chunk: result.chunkNo, bytes: result.bytes, accepted: result.accepted },
    });
    const version = versionOf(request);
    return reply.code(202).type(MEDIA_TYPE[version]).send(sendView(version, messageId));
  });

  app.get<{ Params: MailboxParams; Querystring: { messageID: string } }>('/:mailbox/outbox/tracking', { schema: { headers: AuthorizationHeadersSchema, params: MailboxParamsSchema, querystring: TrackingQuerySchema } }, async (request, reply) => {
    const mailbox = mailboxOf(request);
    const messageId = normaliseMessageId(request.query.messageID);
    const version = versionOf(request);
    // Said before the look-up: tracking another mailbox's message (404) is audited too.
    auditMessage(request, { action: 'message.track', mailbox, messageId });
    const view = await trackMessage(deps, mailbox.mailboxId, messageId, version);
    return reply.type(MEDIA_TYPE[version]).send(view);
  });

  // Deprecated in the spec ("tracking?messageID should be used instead") but still served: v1 shape only.
  app.get<{ Params: MailboxParams & { localId: string } }>('/:mailbox/outbox/tracking/:localId', { schema: { headers: AuthorizationHeadersSchema, params: LocalIdParamsSchema } }, async (request, reply) => {
    const mailbox = mailboxOf(request);
    const { localId } = request.params;
    const tracked = await trackByLocalId(deps, mailbox.mailboxId, localId);
    auditMessage(request, { action: 'message.track', mailbox, messageId: tracked.messageId, detail: { localId } });
    return reply.type(MEDIA_TYPE[1]).send(tracked.view);
  });

  app.get<{ Params: MailboxParams; Querystring: RichQuery }>('/:mailbox/outbox/rich', { schema: { headers: AuthorizationHeadersSchema, params: MailboxParamsSchema, querystring: RichQuerySchema } }, async (request, reply) => {
    const view = await richOutbox(deps, mailboxOf(request).mailboxId, request.query);
    return reply.type(MEDIA_TYPE[2]).send(view);
  });
}
