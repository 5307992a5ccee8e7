import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { MAX_INFLATED_CHUNK_BYTES, SEGMENT_BYTES } from '../protocol/limits.js';

/** A stored gzip chunk inflated past the bound a chunk may inflate to. */
export class ChunkInflatesTooLarge extends Error {
  constructor(readonly maxInflated: number) {
    super(`a gzip chunk inflated past ${maxInflated} bytes`);
  }
}

/**
 * A stored gzip chunk, inflated as it is read: in 1 MiB pieces (as the upload's check inflates, not
 * zlib's 16 KiB, each a round trip to the thread pool: 7 s a GiB against 0.5 s), and stopped with
 * `ChunkInflatesTooLarge` past `maxInflated` bytes. Uploads refuse a chunk that inflates further
 * (`checkedGzip`), so this holds for chunks stored without that check (before it, or restored): one
 * of them cannot make a download, or a service reading a message, inflate without end. A fault on
 * either side ends the returned stream with that error.
 */
export function inflateChunk(source: Readable | AsyncIterable<Buffer>, maxInflated = MAX_INFLATED_CHUNK_BYTES): Readable {
  let inflated = 0;
  const bounded = new Transform({
    transform(piece: Buffer, _encoding, done) {
      inflated += piece.length;
      if (inflated > maxInflated) done(new ChunkInflatesTooLarge(maxInflated));
      else done(null, piece);
    },
  });
  return pipeline(source, createGunzip({ chunkSize: SEGMENT_BYTES }), bounded, () => {}) as unknown as Readable;
}
