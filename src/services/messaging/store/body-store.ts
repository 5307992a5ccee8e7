import type { Readable } from 'node:stream';
import type { Queryable } from '../../../platform/db/pool.js';

/** Where one chunk's bytes live. */
export interface ChunkKey {
  messageId: string;
  chunkNo: number;
}

export interface StoredChunk {
  bytes: number;
  segments: number;
}

/**
 * Message bodies, stored so that every process can serve any chunk. The PostgreSQL store writes
 * inside the caller's transaction, so a chunk and its metadata commit together; an object store
 * (S3-compatible) would write an object per chunk before the metadata commits and let the purge
 * sweep remove objects no committed chunk points to.
 */
export interface BodyStore {
  /**
   * Streams `body` into storage as it arrives (reading only as fast as storage takes it) and
   * replaces any earlier copy of the chunk (unless `fresh`: a new message has none). Throws
   * `BodyTooLargeError` past `maxBytes`.
   */
  writeChunk(tx: Queryable, key: ChunkKey, body: AsyncIterable<Buffer | string>, maxBytes: number, options?: { fresh?: boolean }): Promise<StoredChunk>;
  /** A stream of the chunk's bytes that fetches one segment at a time. */
  readChunk(key: ChunkKey, segments: number): Readable;
  /** The whole chunk when it is one segment (small messages: one query, no stream). */
  readSmallChunk(key: ChunkKey): Promise<Buffer>;
  deleteMessages(tx: Queryable, messageIds: string[]): Promise<void>;
  deleteAll(tx: Queryable): Promise<void>;
}

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`body larger than ${maxBytes} bytes`);
  }
}
