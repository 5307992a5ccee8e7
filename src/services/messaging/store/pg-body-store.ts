import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Db, Queryable } from '../../../platform/db/pool.js';
import { SEGMENT_BYTES } from '../protocol/limits.js';
import { preparedQuery } from './prepared.js';
import { BodyTooLargeError, type BodyStore, type ChunkKey, type StoredChunk } from './body-store.js';

/** Bodies in `messaging.body_segments`, in rows of at most `segmentBytes` keyed by (message, chunk, segment). */
export function pgBodyStore(db: Db, segmentBytes = SEGMENT_BYTES): BodyStore {
  const insertSegment = (tx: Queryable, key: ChunkKey, segmentNo: number, data: Buffer) =>
    preparedQuery(tx, 'insert_segment', 'INSERT INTO messaging.body_segments (message_id, chunk_no, segment_no, data) VALUES ($1, $2, $3, $4)',
      [key.messageId, key.chunkNo, segmentNo, data]);

  return {
    sharesDatabase: true,

    async writeChunk(tx, key, body, maxBytes, options = {}): Promise<StoredChunk> {
      if (!options.fresh) await tx.query('DELETE FROM messaging.body_segments WHERE message_id = $1 AND chunk_no = $2', [key.messageId, key.chunkNo]);
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let bytes = 0;
      let segments = 0;
      const hash = createHash('sha1');
      const flush = async (all: boolean) => {
        while (pendingBytes >= segmentBytes || (all && pendingBytes > 0)) {
          const joined = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
          const segment = joined.subarray(0, Math.min(segmentBytes, joined.length));
          const rest = joined.subarray(segment.length);
          // Copy so the insert never pins a larger parent buffer.
          await insertSegment(tx, key, segments, Buffer.from(segment));
          segments += 1;
          pending = rest.length > 0 ? [rest] : [];
          pendingBytes = rest.length;
        }
      };
      // `for await` pulls the next piece only after the previous insert finished: that is the backpressure.
      for await (const piece of body) {
        const buffer = typeof piece === 'string' ? Buffer.from(piece) : piece;
        bytes += buffer.length;
        if (bytes > maxBytes) throw new BodyTooLargeError(maxBytes);
        hash.update(buffer);
        pending.push(buffer);
        pendingBytes += buffer.length;
        if (pendingBytes >= segmentBytes) await flush(false);
      }
      await flush(true);
      return { bytes, segments, sha1: hash.digest('hex') };
    },

    readChunk(key, segments) {
      let next = 0;
      return new Readable({
        // One segment in memory at a time: `read` is called again only when the consumer wants more.
        async read() {
          if (next >= segments) {
            this.push(null);
            return;
          }
          try {
            const result = await db.query<{ data: Buffer }>(
              'SELECT data FROM messaging.body_segments WHERE message_id = $1 AND chunk_no = $2 AND segment_no = $3',
              [key.messageId, key.chunkNo, next]);
            next += 1;
            const row = result.rows[0];
            if (!row) throw new Error(`segment ${next - 1} of ${key.messageId}/${key.chunkNo} is missing`);
            this.push(row.data);
          } catch (err) {
            this.destroy(err as Error);
          }
        },
      });
    },

    async readSmallChunk(key) {
      const result = await preparedQuery<{ data: Buffer }>(db, 'read_small_chunk',
        'SELECT data FROM messaging.body_segments WHERE message_id = $1 AND chunk_no = $2 ORDER BY segment_no',
        [key.messageId, key.chunkNo]);
      return result.rows.length === 1 ? result.rows[0]!.data : Buffer.concat(result.rows.map((r) => r.data));
    },

    async deleteMessages(tx, messageIds) {
      if (messageIds.length === 0) return;
      await tx.query('DELETE FROM messaging.body_segments WHERE message_id = ANY($1)', [messageIds]);
    },

    async deleteAll(tx) {
      await tx.query('TRUNCATE messaging.body_segments');
    },
  };
}
