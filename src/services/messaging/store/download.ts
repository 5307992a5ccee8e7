import type { Queryable } from '../../../platform/db/pool.js';
import { EVENTS_JSON, M_COLUMNS, toStored, type EventJson, type MessageRow, type StoredMessage } from './messages.js';
import type { ChunkRecord } from './chunks.js';
import { nonceCte, nonceValues, type NonceClaim } from './nonces.js';
import { preparedQuery } from './prepared.js';

export interface DownloadView {
  stored: StoredMessage;
  /** When the message is in the inbox: when it leaves it. */
  inboxExpiresAt?: Date;
  chunk?: ChunkRecord;
  /** The chunk's bytes, when they came with the metadata (one segment). */
  smallBody?: Buffer;
}

type DownloadRow = MessageRow & {
  events: EventJson[]; inbox_expires_at: Date | null; chunk_no: number | null; byte_size: number | null; segments: number | null;
  chunk_encoding: '' | 'gzip' | null; body_sha1: string | null; small_body: Buffer | null;
};

const DOWNLOAD_COLUMNS = `${M_COLUMNS}, ${EVENTS_JSON} AS events, i.expires_at AS inbox_expires_at,
       c.chunk_no, c.byte_size, c.segments, c.content_encoding AS chunk_encoding, c.body_sha1`;
const DOWNLOAD_FROM = `FROM messaging.messages m
     LEFT JOIN messaging.inbox i ON i.message_id = m.message_id
     LEFT JOIN messaging.chunks c ON c.message_id = m.message_id AND c.chunk_no = $2`;

function toView(row: DownloadRow): DownloadView {
  return {
    stored: toStored(row),
    inboxExpiresAt: row.inbox_expires_at ?? undefined,
    chunk: row.chunk_no === null ? undefined : { chunkNo: row.chunk_no, byteSize: Number(row.byte_size), segments: row.segments ?? 0, contentEncoding: row.chunk_encoding ?? '', ...(row.body_sha1 ? { sha1: row.body_sha1 } : {}) },
    smallBody: row.small_body ?? undefined,
  };
}

/**
 * Everything a HEAD or acknowledge decides on, in one round trip: the message and its events, its
 * inbox entry and the requested chunk's record.
 */
export async function findForDownload(db: Queryable, messageId: string, chunkNo: number): Promise<DownloadView | undefined> {
  const result = await preparedQuery<DownloadRow>(db, 'find_for_download',
    `SELECT ${DOWNLOAD_COLUMNS}, NULL::bytea AS small_body ${DOWNLOAD_FROM} WHERE m.message_id = $1`, [messageId, chunkNo]);
  const row = result.rows[0];
  return row ? toView(row) : undefined;
}

/**
 * A download, the hot path of an inbox poll, in one round trip: claims the request's nonce (no row
 * at all unless fresh: `fresh` false), then reads what `findForDownload` reads and, when `withBody`
 * (bodies in this database), the chunk's bytes if they are one segment and the message is in
 * `recipient`'s inbox.
 */
export async function claimAndFindForDownload(db: Queryable, messageId: string, chunkNo: number, recipient: string, withBody: boolean, nonce: NonceClaim): Promise<{ fresh: boolean; view?: DownloadView }> {
  const smallBody = withBody
    ? `CASE WHEN c.segments = 1 AND i.message_id IS NOT NULL AND m.recipient = $3
         THEN (SELECT b.data FROM messaging.body_segments b WHERE b.message_id = m.message_id AND b.chunk_no = $2 AND b.segment_no = 0) END`
    : 'NULL::bytea';
  const result = await preparedQuery<DownloadRow & { fresh: number }>(db, withBody ? 'download_claiming_with_body' : 'download_claiming',
    `WITH ${nonceCte(4)}
     SELECT f.fresh, d.* FROM fresh f LEFT JOIN LATERAL (
       SELECT ${DOWNLOAD_COLUMNS}, ${smallBody} AS small_body ${DOWNLOAD_FROM} WHERE m.message_id = $1 AND f.fresh = 1) d ON true`,
    [messageId, chunkNo, recipient, ...nonceValues(nonce)]);
  const row = result.rows[0];
  if (row?.fresh !== 1) return { fresh: false };
  return { fresh: true, view: row.message_id === null ? undefined : toView(row) };
}
