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
  /** SHA-1 (hex) of the bytes as stored: the download's `etag`. */
  sha1: string;
}

/**
 * Message bodies, stored so that every process can serve any chunk. The PostgreSQL store writes
 * inside the caller's transaction, so a chunk and its metadata commit together; an object store
 * (S3-compatible) would write an object per chunk before the metadata commits and let the purge
 * sweep remove objects no committed chunk points to.
 */
export interface BodyStore {
  /**
   * True when bodies live in the service's own database, so a one-segment body may be written and
   * read by the metadata statements themselves (`body_segments`, segment 0): a small message then
   * costs one round trip each way. An object store says false and always goes through this seam.
   */
  readonly sharesDatabase: boolean;
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
