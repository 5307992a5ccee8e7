import type { Queryable } from '../../../platform/db/pool.js';
import { EVENTS_JSON, M_COLUMNS, toStored, type EventJson, type MessageRow, type StoredMessage } from './messages.js';
import type { ChunkRecord } from './chunks.js';
import { preparedQuery } from './prepared.js';

export interface DownloadView {
  stored: StoredMessage;
  /** When the message is in the inbox: when it leaves it. */
  inboxExpiresAt?: Date;
  chunk?: ChunkRecord;
  /** The chunk's bytes, when they came with the metadata (one segment). */
  smallBody?: Buffer;
}

/**
 * Everything a download or acknowledge decides on, in one round trip: the message and its events,
 * its inbox entry and the requested chunk's record, and (with `recipient`, bodies in this
 * database) the chunk's bytes when they are one segment and the message is that mailbox's to take.
 * Downloads are the hot path of an inbox poll.
 */
export async function findForDownload(db: Queryable, messageId: string, chunkNo: number, recipient?: string): Promise<DownloadView | undefined> {
  const result = await preparedQuery<MessageRow & { events: EventJson[]; inbox_expires_at: Date | null; chunk_no: number | null; byte_size: number | null; segments: number | null; chunk_encoding: '' | 'gzip' | null; small_body: Buffer | null }>(db,
    recipient === undefined ? 'find_for_download' : 'find_for_download_with_body',
    `SELECT ${M_COLUMNS}, ${EVENTS_JSON} AS events, i.expires_at AS inbox_expires_at,
       c.chunk_no, c.byte_size, c.segments, c.content_encoding AS chunk_encoding,
       ${recipient === undefined ? 'NULL::bytea' : `CASE WHEN c.segments = 1 AND i.message_id IS NOT NULL AND m.recipient = $3
         THEN (SELECT b.data FROM messaging.body_segments b WHERE b.message_id = m.message_id AND b.chunk_no = $2 AND b.segment_no = 0) END`} AS small_body
     FROM messaging.messages m
     LEFT JOIN messaging.inbox i ON i.message_id = m.message_id
     LEFT JOIN messaging.chunks c ON c.message_id = m.message_id AND c.chunk_no = $2
     WHERE m.message_id = $1`, recipient === undefined ? [messageId, chunkNo] : [messageId, chunkNo, recipient]);
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    stored: toStored(row),
    inboxExpiresAt: row.inbox_expires_at ?? undefined,
    chunk: row.chunk_no === null ? undefined : { chunkNo: row.chunk_no, byteSize: Number(row.byte_size), segments: row.segments ?? 0, contentEncoding: row.chunk_encoding ?? '' },
    smallBody: row.small_body ?? undefined,
  };
}
