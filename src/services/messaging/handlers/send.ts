import { createHash } from 'node:crypto';
import type { MeshMailbox } from '../../directory/api.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import type { Message, Party } from '../message.js';
import { INBOX_EXPIRY_MS, MAX_CHUNK_BYTES } from '../protocol/limits.js';
import { newMessageId } from '../protocol/message-id.js';
import { isSendHeaderProblem, validateSendHeaders, type HeaderBag, type SendHeaderProblem, type SendHeaders } from '../protocol/send-headers.js';
import { workflowPermission } from '../protocol/workflow-permission.js';
import type { NonceClaim } from '../store/nonces.js';
import { insertNewMessage } from '../store/send.js';
import type { MeshDeps } from './deps.js';
import { checkGzipBody, chunkLimit, readSmallBody, storeChunkBody } from './chunk-body.js';

export function partyOf(mailbox: MeshMailbox): Party {
  return { mailboxId: mailbox.mailboxId, mailboxName: mailbox.mailboxName, odsCode: mailbox.odsCode, orgCode: mailbox.orgCode, billingEntity: mailbox.billingEntity };
}

function refuse(problem: SendHeaderProblem): never {
  switch (problem.problem) {
    case 'bad-checksum': throw meshError(MESH_ERRORS.INVALID_CHECKSUM, { fields: ['mex-content-checksum'], diagnostics: 'mex-Content-Checksum may hold only ASCII letters, digits, spaces and :-/' });
    case 'missing-to': throw meshError(MESH_ERRORS.MISSING_TO, { fields: ['mex-To'] });
    case 'missing-workflow': throw meshError(MESH_ERRORS.MISSING_WORKFLOW, { fields: ['mex-WorkflowID'] });
    case 'bad-message-type': throw meshError(MESH_ERRORS.INVALID_MESSAGE_TYPE, { fields: ['mex-MessageType'], diagnostics: 'mex-MessageType must be DATA: only MESH itself sends REPORTs' });
    case 'bad-chunk-range': throw meshError(MESH_ERRORS.INVALID_HEADER_CHUNKS);
    case 'unsupported-encoding': throw meshError(MESH_ERRORS.UNSUPPORTED_CONTENT_ENCODING, { diagnostics: `Content-Encoding '${problem.encoding}' is not supported; use gzip or none` });
  }
}

/**
 * Outside sandbox mode the sender must be one of the workflow's senders and the recipient one of
 * its receivers (DTS 16 / 17); the MESH sandbox accepts any workflow id, and so does sandbox mode.
 */
async function checkWorkflowPermission(deps: MeshDeps, sender: MeshMailbox, recipient: MeshMailbox, workflowId: string): Promise<void> {
  if (deps.ctx.config.sandbox) return;
  const permission = workflowPermission(await deps.workflows.get(workflowId), sender.mailboxId, recipient.mailboxId);
  if (permission === 'sender-not-allowed') {
    throw meshError(MESH_ERRORS.SENDER_NOT_ALLOWED, { fields: ['mex-WorkflowID'], diagnostics: `${sender.mailboxId} may not send workflow '${workflowId}'` });
  }
  if (permission === 'recipient-not-registered') {
    throw meshError(MESH_ERRORS.WORKFLOW_NOT_REGISTERED, { fields: ['mex-To'], diagnostics: `${recipient.mailboxId} does not receive workflow '${workflowId}'` });
  }
}

export function checkDeclaredLength(headers: HeaderBag): void {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_CHUNK_BYTES) throw meshError(MESH_ERRORS.CHUNK_TOO_LARGE);
}

export function messageFrom(id: string, sender: MeshMailbox, recipient: MeshMailbox, h: SendHeaders, at: Date): Message {
  return {
    messageId: id,
    messageType: 'DATA',
    sender: partyOf(sender),
    recipient: partyOf(recipient),
    workflowId: h.workflowId,
    totalChunks: h.chunkRange.total,
    contentEncoding: h.contentEncoding,
    contentType: h.contentType,
    subject: h.subject,
    localId: h.localId,
    partnerId: h.partnerId,
    // MESH's default file name (sandbox: "{message_id}.dat").
    fileName: h.fileName ?? `${id}.dat`,
    checksum: h.checksum,
    encrypted: h.encrypted,
    compressed: h.compressed,
    createdAt: at,
  };
}

export interface SendResult {
  message: Message;
  accepted: boolean;
  bytes: number;
}

/**
 * `POST /{mailbox}/outbox`: a whole message, or the first chunk of one. The message row, its first
 * chunk, its audit entry (`audit`, given what is about to be written) and (when it is the only chunk)
 * its delivery and outbox event commit together (one statement for a small body, else one
 * transaction), so an upload interrupted part-way leaves nothing behind, and a message that was sent
 * is never answered 503 for want of its entry (the sender would send it again).
 */
export async function sendMessage(deps: MeshDeps, sender: MeshMailbox, headers: HeaderBag, body: AsyncIterable<Buffer>, nonce: NonceClaim, audit: (sent: SendResult) => string): Promise<SendResult> {
  const validated = validateSendHeaders(headers);
  if (isSendHeaderProblem(validated)) refuse(validated);
  if (validated.from && validated.from !== sender.mailboxId) throw meshError(MESH_ERRORS.INVALID_FROM, { fields: ['mex-From'] });
  checkDeclaredLength(headers);
  const recipient = await deps.mailboxes.get(validated.to);
  if (!recipient || !recipient.active) throw meshError(MESH_ERRORS.UNREGISTERED_RECIPIENT);
  await checkWorkflowPermission(deps, sender, recipient, validated.workflowId);
  const now = deps.ctx.clock.now();
  const message = messageFrom(newMessageId(now), sender, recipient, validated, now);
  const accepted = message.totalChunks === 1;
  const delivery = accepted ? { expiresAt: new Date(now.getTime() + INBOX_EXPIRY_MS) } : undefined;
  const small = deps.bodies.sharesDatabase ? await readSmallBody(body, headers['content-length']) : undefined;
  if (small && message.contentEncoding === 'gzip') await checkGzipBody(small);
  if (small) {
    // One statement (nonce, bytes, message, delivery), so atomic and durable on its own: one round trip.
    const chunk = { chunkNo: 1, byteSize: small.length, segments: 1, contentEncoding: message.contentEncoding, sha1: createHash('sha1').update(small).digest('hex') };
    const sent = { message, accepted, bytes: small.length };
    if (!(await insertNewMessage(deps.ctx.db, message, chunk, delivery, { body: small, nonce }, audit(sent)))) throw meshError(MESH_ERRORS.AUTH_DUPLICATED_TOKEN);
    return sent;
  }
  if (!(await deps.nonces.claim(nonce.mailboxId, nonce.nonce, nonce.nonceCount, nonce.tokenTime))) throw meshError(MESH_ERRORS.AUTH_DUPLICATED_TOKEN);
  // The body streams in its transaction: a slot first, so slow uploads cannot hold the whole pool (upload-slots.ts).
  return deps.uploads.run(sender.mailboxId, () => deps.ctx.db.tx(async (tx) => {
    // Bytes first (body rows have no foreign key), then the message, its chunk and delivery at once.
    const stored = await storeChunkBody(deps, tx, { messageId: message.messageId, chunkNo: 1 }, body, headers['content-length'], { fresh: true, limit: chunkLimit(deps.ctx.config.meshMaxMessageBytes, 0, message.messageId, 1), gzip: message.contentEncoding === 'gzip' });
    const chunk = { chunkNo: 1, byteSize: stored.bytes, segments: stored.segments, contentEncoding: message.contentEncoding, sha1: stored.sha1 };
    const sent = { message, accepted, bytes: stored.bytes };
    await insertNewMessage(tx, message, chunk, delivery, undefined, audit(sent));
    return sent;
  }), () => deps.nonces.release(nonce));
}
