import { pipeline, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { constants, createGzip, gunzip, gzip } from 'node:zlib';
import type { DownloadCoding } from '../protocol/content-coding.js';
import { downloadEtag } from '../views/download-headers.js';
import { chunkBody, type ChunkBody, type Deliverable } from './receive.js';
import { inflateChunk } from './inflate.js';
import type { MeshDeps } from './deps.js';

const gzipBuffer = promisify(gzip);
const gunzipBuffer = promisify(gunzip);

/**
 * A small chunk decompressed in memory only up to this size, so its response can say its length;
 * anything that inflates further (a chunk can decompress a thousandfold) streams instead.
 */
const INFLATE_IN_MEMORY_MAX = 4 * 1024 * 1024;

export interface EncodedBody {
  body: Buffer | Readable;
  /** Known for in-memory bodies; a stream re-coded on the way out is sent chunked. */
  byteSize?: number;
  contentEncoding: '' | 'gzip';
}

/** A stream through a zlib transform; an error on either side destroys the one Fastify sends. */
function through(source: Readable, transform: NodeJS.ReadWriteStream & Readable): Readable {
  return pipeline(source, transform, () => {}) as Readable;
}

/**
 * Re-codes a chunk for the client (`downloadCoding`), in bounded memory: streams go through zlib
 * with back-pressure, one segment at a time; only one-segment chunks are coded in memory.
 */
export async function encodeForClient(chunk: ChunkBody, coding: DownloadCoding): Promise<EncodedBody> {
  const { body } = chunk;
  if (coding === 'as-stored') return { body, byteSize: chunk.byteSize, contentEncoding: chunk.contentEncoding };
  if (coding === 'gzip') {
    if (Buffer.isBuffer(body)) {
      const zipped = await gzipBuffer(body);
      return { body: zipped, byteSize: zipped.length, contentEncoding: 'gzip' };
    }
    // Large chunks (up to 100 MB each) favour speed: level 1 still shrinks text several-fold.
    return { body: through(body, createGzip({ level: constants.Z_BEST_SPEED })), contentEncoding: 'gzip' };
  }
  if (!Buffer.isBuffer(body)) return { body: inflateChunk(body), contentEncoding: '' };
  try {
    const inflated = await gunzipBuffer(body, { maxOutputLength: INFLATE_IN_MEMORY_MAX });
    return { body: inflated, byteSize: inflated.length, contentEncoding: '' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return { body: inflateChunk(Readable.from([body])), contentEncoding: '' };
    }
    // Not gzip after all (the sender said Content-Encoding: gzip and was wrong): as it was uploaded.
    return { body, byteSize: chunk.byteSize, contentEncoding: chunk.contentEncoding };
  }
}

/** The coding a chunk stored so goes out in (`downloadCoding`'s choice). */
const sentEncoding = (coding: DownloadCoding, stored: '' | 'gzip'): '' | 'gzip' => (coding === 'as-stored' ? stored : coding === 'gzip' ? 'gzip' : '');

/**
 * The `etag` a download of the message's first chunk would carry, without sending it (a HEAD):
 * from the stored SHA-1 where that decides it (sent as stored, or a streamed chunk), otherwise by
 * coding the one-segment body as the download does.
 */
export async function etagOfDownload(deps: MeshDeps, deliverable: Deliverable, coding: DownloadCoding): Promise<string | undefined> {
  const { chunk } = deliverable;
  if (deliverable.stored.message.messageType !== 'REPORT' && chunk && (coding === 'as-stored' || chunk.segments > 1)) {
    return chunk.sha1 ? downloadEtag(chunk.sha1, chunk.contentEncoding, sentEncoding(coding, chunk.contentEncoding)) : undefined;
  }
  const body = await chunkBody(deps, deliverable, 1);
  const encoded = await encodeForClient(body, coding);
  if (!Buffer.isBuffer(encoded.body)) encoded.body.destroy();
  return downloadEtag(body.sha1, body.contentEncoding, encoded.contentEncoding, Buffer.isBuffer(encoded.body) ? encoded.body : undefined);
}
