import type { Queryable } from '../../../platform/db/pool.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import { MAX_CHUNK_BYTES, SEGMENT_BYTES } from '../protocol/limits.js';
import { BodyTooLargeError, type ChunkKey, type StoredChunk } from '../store/body-store.js';
import type { MeshDeps } from './deps.js';
import type { MeshError } from '../mesh-error.js';

/** The most one request may carry, and its refusal past that. */
export interface BodyLimit {
  maxBytes: number;
  tooLarge(): MeshError;
}

/**
 * Chunk `chunkNo`'s limit: 100 MB a request, and no more than the room the message's other chunks
 * leave under its cap in all (spec "Outbox workflow": 100MB a request, 100GB a chunked message).
 */
export function chunkLimit(messageCap: number, storedBesides: number, messageId: string, chunkNo: number): BodyLimit {
  const room = Math.max(0, messageCap - storedBesides);
  if (room >= MAX_CHUNK_BYTES) return { maxBytes: MAX_CHUNK_BYTES, tooLarge: () => meshError(MESH_ERRORS.CHUNK_TOO_LARGE, { messageId }) };
  return { maxBytes: room, tooLarge: () => messageTooLarge(messageCap, storedBesides, messageId, chunkNo) };
}

/** 413 MessageTooLarge: chunk `chunkNo` does not fit beside the `storedBesides` bytes of the message's other chunks. */
export function messageTooLarge(messageCap: number, storedBesides: number, messageId: string, chunkNo: number): MeshError {
  const limitMb = Math.floor(messageCap / (1024 * 1024));
  return meshError(MESH_ERRORS.MESSAGE_TOO_LARGE, {
    messageId, fields: ['mex-Chunk-Range'],
    diagnostics: `chunk ${chunkNo} would take the message past its ${limitMb}MB limit (chunks already stored: ${storedBesides} bytes)`,
  });
}

/**
 * Streams a request body into the body store; an empty body is MESH's "MissingDataFile". A body
 * shorter than its Content-Length (a client that died mid-upload) is refused, so the transaction
 * rolls back even if the stream ended without an error.
 */
export async function storeChunkBody(deps: MeshDeps, tx: Queryable, key: ChunkKey, body: AsyncIterable<Buffer>, declaredLength?: string | string[], options: { fresh?: boolean; limit?: BodyLimit } = {}): Promise<StoredChunk> {
  const limit = options.limit ?? { maxBytes: MAX_CHUNK_BYTES, tooLarge: () => meshError(MESH_ERRORS.CHUNK_TOO_LARGE, { messageId: key.messageId }) };
  const declared = typeof declaredLength === 'string' ? Number(declaredLength) : NaN;
  // Refused before a byte is stored when it says it is too large; otherwise stopped where it gets so.
  if (declared > limit.maxBytes) throw limit.tooLarge();
  let stored: StoredChunk;
  try {
    stored = await deps.bodies.writeChunk(tx, key, body, limit.maxBytes, { fresh: options.fresh ?? false });
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw limit.tooLarge();
    throw err;
  }
  if (Number.isFinite(declared) && declared !== stored.bytes) {
    throw meshError(MESH_ERRORS.INVALID_PARAMETER, { messageId: key.messageId, diagnostics: `body ended after ${stored.bytes} of ${declared} declared bytes` });
  }
  if (stored.bytes === 0) throw meshError(MESH_ERRORS.MISSING_DATA_FILE, { messageId: key.chunkNo > 1 ? key.messageId : undefined });
  return stored;
}


/**
 * A body small enough to be one segment, read whole into memory before any database work (so no
 * connection waits on a slow client); undefined when it is not declared as such (no or larger
 * Content-Length: those stream). The same checks as `storeChunkBody`.
 */
export async function readSmallBody(body: AsyncIterable<Buffer>, declaredLength: string | string[] | undefined, messageId?: string): Promise<Buffer | undefined> {
  const declared = typeof declaredLength === 'string' && /^\d{1,9}$/.test(declaredLength) ? Number(declaredLength) : 0;
  if (declared < 1 || declared > SEGMENT_BYTES) return undefined;
  const pieces: Buffer[] = [];
  let bytes = 0;
  for await (const piece of body) {
    const buffer = typeof piece === 'string' ? Buffer.from(piece) : piece;
    bytes += buffer.length;
    // The HTTP parser never passes more than Content-Length; this keeps the bound if that changes.
    if (bytes > declared) break;
    pieces.push(buffer);
  }
  if (bytes !== declared) {
    throw meshError(MESH_ERRORS.INVALID_PARAMETER, { messageId, diagnostics: `body ended after ${bytes} of ${declared} declared bytes` });
  }
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, bytes);
}
