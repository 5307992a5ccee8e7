import type { Readable } from 'node:stream';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import { messageState } from '../message.js';
import { findMessage, type StoredMessage } from '../store/messages.js';
import { acknowledgeInboxEntry } from '../store/inbox.js';
import { claimAndFindForDownload, findForDownload, type DownloadView } from '../store/download.js';
import type { NonceClaim } from '../store/nonces.js';
import type { ChunkRecord } from '../store/chunks.js';
import type { MeshDeps } from './deps.js';

export interface Deliverable {
  stored: StoredMessage;
  chunk?: ChunkRecord;
  /** The chunk's bytes, when they came with the metadata (one segment, bodies in this database). */
  smallBody?: Buffer;
}

/**
 * A message the mailbox may download now, with the record of the chunk asked for: 404 when it does
 * not exist, 403 when the mailbox is not its recipient, 410 once it has left the inbox
 * (acknowledged or expired, even if the expiry sweep has not run yet). With `nonce` (a download)
 * the same round trip claims the request's nonce (403 on a replay) and brings a one-segment
 * chunk's bytes; it runs on the ledger's pool, a read that waits for no WAL flush.
 */
export async function messageForRecipient(deps: MeshDeps, mailboxId: string, messageId: string, chunkNo = 1, nonce?: NonceClaim): Promise<Deliverable> {
  let found: DownloadView | undefined;
  if (nonce) {
    const claimed = await claimAndFindForDownload(deps.nonces.readPool, messageId, chunkNo, mailboxId, deps.bodies.sharesDatabase, nonce);
    if (!claimed.fresh) throw meshError(MESH_ERRORS.AUTH_DUPLICATED_TOKEN);
    found = claimed.view;
  } else {
    found = await findForDownload(deps.ctx.db, messageId, chunkNo);
  }
  if (!found) throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { messageId });
  const { stored } = found;
  if (stored.message.recipient.mailboxId !== mailboxId) throw meshError(MESH_ERRORS.NOT_RECIPIENT, { messageId });
  if (!found.inboxExpiresAt) {
    // Not yet accepted (still uploading) is "does not exist" to the recipient; anything later is gone.
    if (messageState(stored.events) === 'uploading') throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { messageId });
    throw meshError(MESH_ERRORS.MESSAGE_GONE, { messageId });
  }
  if (found.inboxExpiresAt.getTime() <= deps.ctx.clock.now().getTime()) throw meshError(MESH_ERRORS.MESSAGE_GONE, { messageId });
  return { stored, chunk: found.chunk, smallBody: found.smallBody };
}

export interface ChunkBody {
  /** A Buffer for one-segment chunks, otherwise a stream fetching one segment at a time. */
  body: Buffer | Readable;
  byteSize: number;
  contentEncoding: '' | 'gzip';
  /** SHA-1 (hex) of the stored bytes, when the chunk was stored with it. */
  sha1?: string;
}

/** SHA-1 of no bytes: a REPORT's empty body. */
const EMPTY_SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';

export async function chunkBody(deps: MeshDeps, deliverable: Deliverable, chunkNo: number): Promise<ChunkBody> {
  const { message } = deliverable.stored;
  // REPORTs have no body: "the Download message response body of an error report message is empty".
  if (message.messageType === 'REPORT') {
    if (chunkNo !== 1) throw meshError(MESH_ERRORS.CHUNK_DOES_NOT_EXIST, { messageId: message.messageId });
    return { body: Buffer.alloc(0), byteSize: 0, contentEncoding: '', sha1: EMPTY_SHA1 };
  }
  const chunk = deliverable.chunk;
  if (!chunk || chunkNo > message.totalChunks) throw meshError(MESH_ERRORS.CHUNK_DOES_NOT_EXIST, { messageId: message.messageId });
  const key = { messageId: message.messageId, chunkNo };
  const body = deliverable.smallBody ?? (chunk.segments <= 1 ? await deps.bodies.readSmallChunk(key) : deps.bodies.readChunk(key, chunk.segments));
  return { body, byteSize: chunk.byteSize, contentEncoding: chunk.contentEncoding, ...(chunk.sha1 ? { sha1: chunk.sha1 } : {}) };
}

/**
 * `PUT …/status/acknowledged`: recipient only. Claims the request's nonce, takes the message out of
 * the inbox and records the event with its outbox event, in one statement. Acknowledging twice is harmless (a client
 * retrying after a lost response), and so is acknowledging a message that has expired or failed: 200, nothing changes.
 */
export async function acknowledgeMessage(deps: MeshDeps, mailboxId: string, messageId: string, nonce: NonceClaim): Promise<{ firstTime: boolean }> {
  const now = deps.ctx.clock.now();
  const result = await acknowledgeInboxEntry(deps.ctx.db, messageId, mailboxId, now, nonce);
  if (!result.fresh) throw meshError(MESH_ERRORS.AUTH_DUPLICATED_TOKEN);
  if (result.removed) return { firstTime: true };
  // Not removed now: say why, from the message's own history.
  const stored = await findMessage(deps.ctx.db, messageId);
  if (!stored) throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { messageId });
  if (stored.message.recipient.mailboxId !== mailboxId) throw meshError(MESH_ERRORS.NOT_RECIPIENT, { messageId });
  // Still uploading, it was never delivered: to the recipient it does not exist (as on download).
  if (messageState(stored.events) === 'uploading') throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { messageId });
  // Acknowledged already, or out of the inbox by expiry or failure: nothing is left to close. The
  // spec gives an acknowledgement no 410 (200, 400, 403 only) and the MESH sandbox answers these
  // 200, changing nothing, so a client acknowledging just after the 5 days is not told it failed.
  return { firstTime: false };
}
