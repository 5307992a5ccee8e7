import type { MeshMailbox } from '../../directory/api.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import { messageState } from '../message.js';
import { parseChunkRange } from '../protocol/chunk-range.js';
import { contentEncodingOf, type HeaderBag } from '../protocol/send-headers.js';
import { findMessage } from '../store/messages.js';
import { countChunks, lockChunk, recordChunk, storedBytesBesides } from '../store/chunks.js';
import { acceptMessage } from './accept.js';
import { chunkLimit, messageTooLarge, storeChunkBody } from './chunk-body.js';
import type { MeshDeps } from './deps.js';
import type { NonceClaim } from '../store/nonces.js';
import { checkDeclaredLength } from './send.js';

export interface ChunkResult {
  messageId: string;
  chunkNo: number;
  accepted: boolean;
  bytes: number;
}

/**
 * `POST /{mailbox}/outbox/{id}/{n}`: chunk n of an uploading message. Chunks may arrive in any
 * order and be re-sent; the message is accepted, exactly once, when its last missing chunk commits.
 * The finish takes a row lock on the message so two last chunks racing each other cannot both miss it;
 * two uploads of the same chunk take turns (`lockChunk`), so a duplicate is a re-send, never a key clash.
 * The same lock makes the message's size cap hold across chunks uploaded at once.
 */
export async function sendChunk(deps: MeshDeps, sender: MeshMailbox, messageId: string, chunkNo: number, headers: HeaderBag, body: AsyncIterable<Buffer>, nonce: NonceClaim): Promise<ChunkResult> {
  const rangeHeader = headers['mex-chunk-range'];
  const range = typeof rangeHeader === 'string' ? parseChunkRange(rangeHeader.trim()) : undefined;
  if (!range || range.chunk !== chunkNo) throw meshError(MESH_ERRORS.INVALID_HEADER_CHUNKS, { messageId });
  const encoding = contentEncodingOf(headers);
  if (!encoding.ok) throw meshError(MESH_ERRORS.UNSUPPORTED_CONTENT_ENCODING, { messageId });
  checkDeclaredLength(headers);
  const stored = await findMessage(deps.ctx.db, messageId);
  if (!stored) throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { messageId });
  const { message } = stored;
  if (message.sender.mailboxId !== sender.mailboxId) throw meshError(MESH_ERRORS.NOT_SENDER, { messageId });
  if (messageState(stored.events) !== 'uploading') throw meshError(MESH_ERRORS.MESSAGE_FINALISED, { messageId });
  // MESH sandbox: a chunk number beyond the message's total is 406.
  if (chunkNo > message.totalChunks) throw meshError(MESH_ERRORS.CHUNK_OUT_OF_RANGE, { messageId });
  // A total other than the first chunk's is a bad header value: the spec's 417 for this call, with
  // the sandbox's code for chunk values it refuses (it does not compare totals itself).
  if (range.total !== message.totalChunks) {
    throw meshError(MESH_ERRORS.INVALID_HEADER_CHUNKS, { messageId, fields: ['mex-Chunk-Range'], diagnostics: `mex-Chunk-Range says ${range.total} chunks; the message was sent as ${message.totalChunks}` });
  }
  if (encoding.encoding !== message.contentEncoding) throw meshError(MESH_ERRORS.CONTENT_ENCODING_CHANGED, { messageId });

  // The body streams in its transaction: a slot first, so slow uploads cannot hold the whole pool (upload-slots.ts).
  return deps.uploads.run(sender.mailboxId, () => deps.ctx.db.tx(async (tx) => {
    // A duplicate of this chunk in flight finishes first; if it finished the message, this one is late.
    await lockChunk(tx, messageId, chunkNo);
    const current = await findMessage(tx, messageId);
    if (!current || messageState(current.events) !== 'uploading') throw meshError(MESH_ERRORS.MESSAGE_FINALISED, { messageId });
    // The message's other chunks, as committed now, bound the body early (a re-send of this one replaces it).
    const cap = deps.ctx.config.meshMaxMessageBytes;
    const limit = chunkLimit(cap, await storedBytesBesides(tx, messageId, chunkNo), messageId, chunkNo);
    const storedBody = await storeChunkBody(deps, tx, { messageId, chunkNo }, body, headers['content-length'], { limit, gzip: encoding.encoding === 'gzip' });
    const now = deps.ctx.clock.now();
    await recordChunk(tx, messageId, { chunkNo, byteSize: storedBody.bytes, segments: storedBody.segments, contentEncoding: encoding.encoding, sha1: storedBody.sha1 }, now);
    const locked = await findMessage(tx, messageId, { lock: true });
    if (!locked || messageState(locked.events) !== 'uploading') throw meshError(MESH_ERRORS.MESSAGE_FINALISED, { messageId });
    // Other chunks may have committed while this one streamed, each within the room it saw. Every
    // chunk holds the message's row lock from here until it commits, and this statement reads what
    // committed before the lock was granted, so the sum is final: chunks uploaded at once take turns
    // here and cannot together pass the cap.
    const besides = await storedBytesBesides(tx, messageId, chunkNo);
    if (besides + storedBody.bytes > cap) throw messageTooLarge(cap, besides, messageId, chunkNo);
    const complete = (await countChunks(tx, messageId)) === message.totalChunks;
    const accepted = complete ? await acceptMessage(tx, message, now) : false;
    return { messageId, chunkNo, accepted, bytes: storedBody.bytes };
  }), () => deps.nonces.release(nonce));
}
