import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MEDIA_TYPE } from '../protocol/api-version.js';
import { normaliseMessageId } from '../protocol/message-id.js';
import { acknowledgeMessage, chunkBody, messageForRecipient } from '../handlers/receive.js';
import { encodeForClient, etagOfDownload } from '../handlers/download-coding.js';
import { downloadCoding } from '../protocol/content-coding.js';
import { listMailboxInbox, richInbox, type InboxQuery } from '../handlers/inbox-list.js';
import { auditMessage } from '../handlers/audit.js';
import type { MeshDeps } from '../handlers/deps.js';
import type { RichQuery } from '../handlers/tracking.js';
import { acknowledgeView, handshakeView } from '../views/outbox.js';
import { inboxCountView } from '../views/inbox.js';
import { countInbox } from '../store/inbox.js';
import { downloadEtag, downloadHeaders } from '../views/download-headers.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import { AuthorizationHeadersSchema, ChunkParamsSchema, HandshakeHeadersSchema, withAuthorization, InboxQuerySchema, MailboxParamsSchema, MessageParamsSchema, RichQuerySchema } from './schemas.js';
import { mailboxOf, nonceOf, versionOf, type ChunkParams, type MailboxParams, type MessageParams } from './context.js';

export function registerInboxRoutes(app: FastifyInstance, deps: MeshDeps) {
  // Handshake ("Validate a mailbox"): the spec documents POST; MESH clients also use GET.
  const handshake = async (request: FastifyRequest<{ Params: MailboxParams }>, reply: FastifyReply) => {
    const mailbox = mailboxOf(request);
    const version = versionOf(request);
    const view = handshakeView(version, mailbox.mailboxId);
    return view ? reply.type(MEDIA_TYPE[version]).send(view) : reply.code(200).send();
  };
  const headers = AuthorizationHeadersSchema;
  const mailboxRoute = { schema: { headers, params: MailboxParamsSchema } };
  const messageRoute = { schema: { headers, params: MessageParamsSchema } };
  // The spec documents no body for it: whatever a client sends is not read.
  const handshakeRoute = { schema: { params: MailboxParamsSchema, headers: withAuthorization(HandshakeHeadersSchema) }, config: { body: 'none' as const } };
  app.post('/:mailbox', handshakeRoute, handshake);
  app.get('/:mailbox', handshakeRoute, handshake);

  // The hot calls of an inbox poll claim their nonce in their own statement: one round trip each.
  const inStatement = { config: { meshNonceInStatement: true } };
  const inStatementFor = (params: object) => ({ ...inStatement, schema: { headers, params } });

  app.get<{ Params: MailboxParams; Querystring: InboxQuery }>('/:mailbox/inbox', { ...inStatement, schema: { headers, params: MailboxParamsSchema, querystring: InboxQuerySchema } }, async (request, reply) => {
    const version = versionOf(request);
    const view = await listMailboxInbox(deps, mailboxOf(request).mailboxId, version, request.query, nonceOf(request));
    return reply.type(MEDIA_TYPE[version]).send(view);
  });

  // Deprecated in the spec but still called by MESH clients (mesh-client's count_messages).
  app.get<{ Params: MailboxParams }>('/:mailbox/count', mailboxRoute, async (request, reply) => {
    const mailboxId = mailboxOf(request).mailboxId;
    const count = await countInbox(deps.ctx.db, mailboxId, deps.ctx.clock.now());
    const version = versionOf(request);
    return reply.type(MEDIA_TYPE[version]).send(inboxCountView(version, count, String(request.id)));
  });

  app.get<{ Params: MailboxParams; Querystring: RichQuery }>('/:mailbox/inbox/rich', { schema: { headers, params: MailboxParamsSchema, querystring: RichQuerySchema } }, async (request, reply) => {
    const view = await richInbox(deps, mailboxOf(request).mailboxId, request.query);
    return reply.type(MEDIA_TYPE[2]).send(view);
  });

  const download = async (request: FastifyRequest<{ Params: MessageParams }>, reply: FastifyReply, chunkNo: number) => {
    const mailbox = mailboxOf(request);
    const messageId = normaliseMessageId(request.params.messageId);
    // Said before the look-up, so a refusal (another mailbox's message, one gone or unknown) is audited too.
    auditMessage(request, { action: 'message.download', mailbox, messageId, detail: { chunk: chunkNo } });
    const deliverable = await messageForRecipient(deps, mailbox.mailboxId, messageId, chunkNo, nonceOf(request));
    const chunk = await chunkBody(deps, deliverable, chunkNo);
    const { stored } = deliverable;
    auditMessage(request, { action: 'message.download', mailbox, messageId, detail: { chunk: chunkNo, from: stored.message.sender.mailboxId } });
    // A REPORT's body is empty: nothing to re-code (MESH sandbox: reports carry no Content-Encoding).
    const coding = stored.message.messageType === 'REPORT' ? 'as-stored' : downloadCoding(chunk.contentEncoding, versionOf(request), request.headers['accept-encoding']);
    const encoded = await encodeForClient(chunk, coding);
    reply.headers(downloadHeaders(stored.message, stored.events, chunkNo));
    reply.header('content-type', stored.message.contentType || 'application/octet-stream');
    if (encoded.byteSize !== undefined) reply.header('content-length', String(encoded.byteSize));
    if (encoded.contentEncoding) {
      // One gzip stream per chunk; MESH flags a gzip-encoded body as compressed.
      reply.header('content-encoding', encoded.contentEncoding);
      reply.header('mex-Content-Compressed', 'Y');
    }
    // "206 Partial Content" while more chunks follow; 200 for the last (or only) one.
    const status = chunkNo < stored.message.totalChunks ? 206 : 200;
    // The spec's examples tag the final (200) response only.
    const etag = status === 200 ? downloadEtag(chunk.sha1, chunk.contentEncoding, encoded.contentEncoding, Buffer.isBuffer(encoded.body) ? encoded.body : undefined) : undefined;
    if (etag) reply.header('etag', etag);
    return reply.code(status).send(encoded.body);
  };

  app.get<{ Params: MessageParams }>('/:mailbox/inbox/:messageId', { ...inStatementFor(MessageParamsSchema), exposeHeadRoute: false }, (request, reply) => download(request, reply, 1));

  // No HEAD of a chunk (the spec has HEAD for a message only): Fastify's own would read and stream
  // the chunk, spending the token, to send nothing, and be audited as a download.
  app.get<{ Params: ChunkParams }>('/:mailbox/inbox/:messageId/:chunk', { ...inStatementFor(ChunkParamsSchema), exposeHeadRoute: false }, (request, reply) => download(request, reply, request.params.chunk));

  app.head<{ Params: MessageParams }>('/:mailbox/inbox/:messageId', messageRoute, async (request, reply) => {
    const mailbox = mailboxOf(request);
    const messageId = normaliseMessageId(request.params.messageId);
    // A HEAD shows what a download's headers show (sender, subject, file name): audited as one, refusals too.
    auditMessage(request, { action: 'message.download', mailbox, messageId, detail: { chunk: 1, method: 'HEAD' } });
    const deliverable = await messageForRecipient(deps, mailbox.mailboxId, messageId);
    const { stored } = deliverable;
    auditMessage(request, { action: 'message.download', mailbox, messageId, detail: { chunk: 1, method: 'HEAD', from: stored.message.sender.mailboxId } });
    reply.headers(downloadHeaders(stored.message, stored.events, 1));
    // The tag the download of the message would carry (spec's HEAD example): only when that download is a 200, one chunk.
    if (stored.message.totalChunks === 1) {
      const coding = stored.message.messageType === 'REPORT' ? 'as-stored' : downloadCoding(deliverable.chunk?.contentEncoding ?? '', versionOf(request), request.headers['accept-encoding']);
      const etag = await etagOfDownload(deps, deliverable, coding);
      if (etag) reply.header('etag', etag);
    }
    return reply.code(200).type(MEDIA_TYPE[versionOf(request)]).header('content-length', '0').send();
  });

  // The spec documents no body for an acknowledgement: whatever a client sends is not read.
  app.put<{ Params: MessageParams }>('/:mailbox/inbox/:messageId/status/acknowledged', { ...inStatementFor(MessageParamsSchema), config: { ...inStatement.config, body: 'none' as const } }, async (request, reply) => {
    const mailbox = mailboxOf(request);
    const messageId = normaliseMessageId(request.params.messageId);
    auditMessage(request, { action: 'message.acknowledge', mailbox, messageId });
    const result = await acknowledgeMessage(deps, mailbox.mailboxId, messageId, nonceOf(request));
    auditMessage(request, { action: 'message.acknowledge', mailbox, messageId, detail: { firstTime: result.firstTime } });
    const version = versionOf(request);
    const view = acknowledgeView(version, messageId);
    return view ? reply.type(MEDIA_TYPE[version]).send(view) : reply.code(200).send();
  });
}
