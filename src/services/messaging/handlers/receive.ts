import type { Readable } from 'node:stream';
import { enqueueEvent } from '../../../platform/events/outbox.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import { messageState } from '../message.js';
import { appendEvent, findMessage, type StoredMessage } from '../store/messages.js';
import { findInboxEntry, removeFromInbox } from '../store/inbox.js';
import { findChunk } from '../store/chunks.js';
import type { MeshDeps } from './deps.js';

/**
 * A message the mailbox may download now: 404 when it does not exist, 403 when the mailbox is not
 * its recipient, 410 once it has left the inbox (acknowledged or expired, even if the expiry sweep
 * has not run yet).
 */
export async function messageForRecipient(deps: MeshDeps, mailboxId: string, messageId: string): Promise<StoredMessage> {
  const [stored, entry] = await Promise.all([findMessage(deps.ctx.db, messageId), findInboxEntry(deps.ctx.db, messageId)]);
  if (!stored) throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { messageId });
  if (stored.message.recipient.mailboxId !== mailboxId) throw meshError(MESH_ERRORS.NOT_RECIPIENT, { messageId });
  if (!entry) {
    // Not yet accepted (still uploading) is "does not exist" to the recipient; anything later is gone.
    if (messageState(stored.events) === 'uploading') throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { messageId });
    throw meshError(MESH_ERRORS.MESSAGE_GONE, { messageId });
  }
  if (entry.expiresAt.getTime() <= deps.ctx.clock.now().getTime()) throw meshError(MESH_ERRORS.MESSAGE_GONE, { messageId });
  return stored;
}

export interface ChunkBody {
  /** A Buffer for one-segment chunks, otherwise a stream fetching one segment at a time. */
  body: Buffer | Readable;
  byteSize: number;
  contentEncoding: '' | 'gzip';
}

export async function chunkBody(deps: MeshDeps, stored: StoredMessage, chunkNo: number): Promise<ChunkBody> {
  const { message } = stored;
  // REPORTs have no body: "the Download message response body of an error report message is empty".
  if (message.messageType === 'REPORT') {
    if (chunkNo !== 1) throw meshError(MESH_ERRORS.CHUNK_DOES_NOT_EXIST, { messageId: message.messageId });
    return { body: Buffer.alloc(0), byteSize: 0, contentEncoding: '' };
  }
  const chunk = chunkNo >= 1 && chunkNo <= message.totalChunks ? await findChunk(deps.ctx.db, message.messageId, chunkNo) : undefined;
  if (!chunk) throw meshError(MESH_ERRORS.CHUNK_DOES_NOT_EXIST, { messageId: message.messageId });
  const key = { messageId: message.messageId, chunkNo };
  const body = chunk.segments <= 1 ? await deps.bodies.readSmallChunk(key) : deps.bodies.readChunk(key, chunk.segments);
  return { body, byteSize: chunk.byteSize, contentEncoding: chunk.contentEncoding };
}

/**
 * `PUT …/status/acknowledged`: recipient only. Takes the message out of the inbox and records the
 * event with its outbox event in one transaction. Acknowledging twice is harmless (a client
 * retrying after a lost response); acknowledging an expired message is 410.
 */
export async function acknowledgeMessage(deps: MeshDeps, mailboxId: string, messageId: string): Promise<{ firstTime: boolean }> {
  const stored = await findMessage(deps.ctx.db, messageId);
  if (!stored) throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { messageId });
  if (stored.message.recipient.mailboxId !== mailboxId) throw meshError(MESH_ERRORS.NOT_RECIPIENT, { messageId });
  const now = deps.ctx.clock.now();
  return deps.ctx.db.tx(async (tx) => {
    if (await removeFromInbox(tx, messageId, now)) {
      await appendEvent(tx, messageId, { status: 'acknowledged', at: now });
      await enqueueEvent(tx, {
        type: 'mesh-message-acknowledged',
        source: 'messaging',
        payload: { messageId, sender: stored.message.sender.mailboxId, recipient: mailboxId, workflowId: stored.message.workflowId },
      });
      return { firstTime: true };
    }
    const current = await findMessage(tx, messageId);
    if (current && messageState(current.events) === 'acknowledged') return { firstTime: false };
    throw meshError(MESH_ERRORS.MESSAGE_GONE, { messageId });
  });
}
