import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import type { Queryable } from '../../../platform/db/pool.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import { MAX_CHUNK_BYTES, MAX_INFLATED_CHUNK_BYTES, SEGMENT_BYTES } from '../protocol/limits.js';
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
export async function storeChunkBody(deps: MeshDeps, tx: Queryable, key: ChunkKey, body: AsyncIterable<Buffer>, declaredLength?: string | string[], options: { fresh?: boolean; limit?: BodyLimit; gzip?: boolean } = {}): Promise<StoredChunk> {
  const limit = options.limit ?? { maxBytes: MAX_CHUNK_BYTES, tooLarge: () => meshError(MESH_ERRORS.CHUNK_TOO_LARGE, { messageId: key.messageId }) };
  const declared = typeof declaredLength === 'string' ? Number(declaredLength) : NaN;
  // Refused before a byte is stored when it says it is too large; otherwise stopped where it gets so.
  if (declared > limit.maxBytes) throw limit.tooLarge();
  let stored: StoredChunk;
  try {
    const bytes = options.gzip ? checkedGzip(body, key.chunkNo > 1 ? key.messageId : undefined) : body;
    stored = await deps.bodies.writeChunk(tx, key, bytes, limit.maxBytes, { fresh: options.fresh ?? false });
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

/** 400: a body sent with `Content-Encoding: gzip` that does not inflate (not gzip, cut short, corrupt). */
export function notGzip(messageId?: string, problem?: string): MeshError {
  return meshError(MESH_ERRORS.BODY_NOT_GZIP, {
    messageId, fields: ['content-encoding'],
    diagnostics: `Content-Encoding is gzip but the body does not inflate${problem ? ` (${problem})` : ''}: send it gzip-compressed, or without Content-Encoding`,
  });
}

/** 413: a gzip body that inflates past `maxInflated` bytes (a gzip bomb, or more than a chunk may hold). */
export function inflatesTooLarge(maxInflated: number, messageId?: string): MeshError {
  return meshError(MESH_ERRORS.CHUNK_INFLATES_TOO_LARGE, {
    messageId, fields: ['content-encoding'],
    diagnostics: `the gzip body inflates to more than ${maxInflated} bytes; send the data in more, smaller chunks`,
  });
}

class InflatedTooLarge extends Error {}

/**
 * The body's bytes, unchanged, checked on the way through: they must inflate as gzip to their end
 * (the spec's send takes a body "optionally encoded with content-encoding", so a gzip one is gzip).
 * Stored unchecked, such a body went out cut short with a 200, or as a 500, to a recipient that
 * does not take gzip: the download inflates it, and a large one streams (sent chunked) before its
 * fault is reached. The inflated bytes are counted and discarded as they come, with back-pressure,
 * so the check holds nothing in memory; past `maxInflated` of them it stops inflating and refuses
 * the body (413), so a gzip bomb costs at most that much inflating, not the 1,000-fold of its size
 * it would take to inflate whole. Throws `notGzip` at the first fault, or at the end of a body that
 * stops inside its gzip stream.
 */
export async function* checkedGzip(body: AsyncIterable<Buffer> | Iterable<Buffer>, messageId?: string, maxInflated = MAX_INFLATED_CHUNK_BYTES): AsyncGenerator<Buffer> {
  // Output in 1 MiB pieces, not zlib's 16 KiB: each piece is a round trip to the thread pool, and
  // inflating 1 GiB took 7 s in 16 KiB pieces against 0.5 s in 1 MiB ones (discarded as they come).
  const inflate = createGunzip({ chunkSize: SEGMENT_BYTES });
  let fault: Error | undefined;
  let inflated = 0;
  inflate.on('error', (err: Error) => { fault ??= err; });
  inflate.on('data', (piece: Buffer) => {
    inflated += piece.length;
    if (inflated <= maxInflated) return;
    fault ??= new InflatedTooLarge();
    inflate.destroy();
  });
  const refuse = () => (fault instanceof InflatedTooLarge ? inflatesTooLarge(maxInflated, messageId) : notGzip(messageId, fault?.message));
  // Waits for `event`, or for the stream to close on its fault (then `fault` says why); either way
  // the listeners go, so a long body's many waits leave none behind.
  const until = async (event: string) => {
    const done = new AbortController();
    try {
      await Promise.race([once(inflate, event, { signal: done.signal }), once(inflate, 'close', { signal: done.signal })]);
    } catch { /* the fault, or the abort below: `fault` decides */ } finally {
      done.abort();
    }
  };
  try {
    for await (const piece of body) {
      const buffer = typeof piece === 'string' ? Buffer.from(piece) : piece;
      if (fault) throw refuse();
      if (!inflate.write(buffer)) await until('drain');
      if (fault) throw refuse();
      yield buffer;
    }
    if (fault) throw refuse();
    inflate.end();
    await until('end');
    if (fault || !inflate.readableEnded) throw refuse();
  } finally {
    inflate.destroy();
  }
}

/** A body read whole (`readSmallBody`) and sent as gzip: it must inflate, as `checkedGzip` checks a streamed one. */
export async function checkGzipBody(body: Buffer, messageId?: string): Promise<void> {
  for await (const _ of checkedGzip([body], messageId)) { /* the check is the point */ }
}
