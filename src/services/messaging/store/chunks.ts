import type { Queryable } from '../../../platform/db/pool.js';

export interface ChunkRecord {
  chunkNo: number;
  byteSize: number;
  segments: number;
  contentEncoding: '' | 'gzip';
  /** SHA-1 (hex) of the stored bytes; none for chunks stored before it was kept. */
  sha1?: string;
}

/** Records that a chunk's bytes are stored; a re-sent chunk replaces the earlier one. */
export async function recordChunk(tx: Queryable, messageId: string, chunk: ChunkRecord, at: Date): Promise<void> {
  await tx.query(
    `INSERT INTO messaging.chunks (message_id, chunk_no, byte_size, segments, content_encoding, stored_at, body_sha1)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (message_id, chunk_no) DO UPDATE
       SET byte_size = EXCLUDED.byte_size, segments = EXCLUDED.segments, content_encoding = EXCLUDED.content_encoding, stored_at = EXCLUDED.stored_at,
           body_sha1 = EXCLUDED.body_sha1`,
    [messageId, chunk.chunkNo, chunk.byteSize, chunk.segments, chunk.contentEncoding, at, chunk.sha1 ?? null]);
}

/**
 * Serialises uploads of one chunk until the caller's transaction ends. Two uploads of the same
 * chunk at once would otherwise both write its segment rows and the second would fail on their
 * key; this way the later one waits, then replaces the earlier copy as a re-sent chunk does.
 * Other chunks of the message do not wait (a hash collision only makes an unrelated upload wait).
 */
export async function lockChunk(tx: Queryable, messageId: string, chunkNo: number): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), $2)', [`mesh-chunk:${messageId}`, chunkNo]);
}

export async function countChunks(tx: Queryable, messageId: string): Promise<number> {
  const result = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM messaging.chunks WHERE message_id = $1', [messageId]);
  return result.rows[0]?.n ?? 0;
}

export async function findChunk(db: Queryable, messageId: string, chunkNo: number): Promise<ChunkRecord | undefined> {
  const result = await db.query<{ chunk_no: number; byte_size: number; segments: number; content_encoding: '' | 'gzip' }>(
    'SELECT chunk_no, byte_size, segments, content_encoding FROM messaging.chunks WHERE message_id = $1 AND chunk_no = $2',
    [messageId, chunkNo]);
  const r = result.rows[0];
  return r ? { chunkNo: r.chunk_no, byteSize: r.byte_size, segments: r.segments, contentEncoding: r.content_encoding } : undefined;
}

/** Bytes stored for a message's other chunks than `chunkNo` (a re-sent chunk replaces its earlier copy). */
export async function storedBytesBesides(tx: Queryable, messageId: string, chunkNo: number): Promise<number> {
  const result = await tx.query<{ bytes: string }>(
    'SELECT coalesce(sum(byte_size), 0)::bigint AS bytes FROM messaging.chunks WHERE message_id = $1 AND chunk_no <> $2',
    [messageId, chunkNo]);
  return Number(result.rows[0]?.bytes ?? 0);
}

/** Total stored bytes per message (tracking's fileSize). */
export async function messageSizes(db: Queryable, messageIds: string[]): Promise<Map<string, number>> {
  if (messageIds.length === 0) return new Map();
  const result = await db.query<{ message_id: string; bytes: number }>(
    'SELECT message_id, sum(byte_size)::bigint AS bytes FROM messaging.chunks WHERE message_id = ANY($1) GROUP BY message_id',
    [messageIds]);
  return new Map(result.rows.map((r) => [r.message_id, Number(r.bytes)]));
}
