import type { Queryable } from '../../../platform/db/pool.js';
import { EVENTS_JSON, M_COLUMNS, toStored, type EventJson, type MessageRow, type StoredMessage } from './messages.js';
import type { ChunkRecord } from './chunks.js';
import { preparedQuery } from './prepared.js';

export interface DownloadView {
  stored: StoredMessage;
  /** When the message is in the inbox: when it leaves it. */
  inboxExpiresAt?: Date;
  chunk?: ChunkRecord;
}

/**
 * Everything a download or acknowledge decides on, in one round trip: the message and its events,
 * its inbox entry and the requested chunk's record. Downloads are the hot path of an inbox poll.
 */
export async function findForDownload(db: Queryable, messageId: string, chunkNo: number): Promise<DownloadView | undefined> {
  const result = await preparedQuery<MessageRow & { events: EventJson[]; inbox_expires_at: Date | null; chunk_no: number | null; byte_size: number | null; segments: number | null; chunk_encoding: '' | 'gzip' | null }>(db, 'find_for_download',
    `SELECT ${M_COLUMNS}, ${EVENTS_JSON} AS events, i.expires_at AS inbox_expires_at,
       c.chunk_no, c.byte_size, c.segments, c.content_encoding AS chunk_encoding
     FROM messaging.messages m
     LEFT JOIN messaging.inbox i ON i.message_id = m.message_id
     LEFT JOIN messaging.chunks c ON c.message_id = m.message_id AND c.chunk_no = $2
     WHERE m.message_id = $1`, [messageId, chunkNo]);
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    stored: toStored(row),
    inboxExpiresAt: row.inbox_expires_at ?? undefined,
    chunk: row.chunk_no === null ? undefined : { chunkNo: row.chunk_no, byteSize: Number(row.byte_size), segments: row.segments ?? 0, contentEncoding: row.chunk_encoding ?? '' },
  };
}
