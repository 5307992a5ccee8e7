import type { Queryable } from '../../../platform/db/pool.js';
import { outboxInsertFrom } from '../../../platform/events/outbox.js';
import type { Message } from '../message.js';
import type { ChunkRecord } from './chunks.js';
import { MESSAGE_COLUMNS } from './messages.js';
import { preparedQuery } from './prepared.js';

/** The outbox event of an acceptance, built from the inserted row (see handlers/accept.ts for the same payload). */
const ANNOUNCE = outboxInsertFrom(`SELECT 'mesh-message-accepted', 'messaging', NULL,
  jsonb_build_object('messageId', message_id, 'messageType', message_type, 'sender', sender, 'recipient', recipient, 'workflowId', workflow_id)
  FROM msg WHERE $32::timestamptz IS NOT NULL`);

function insertSql(withBody: boolean): string {
  return `WITH msg AS (
       INSERT INTO messaging.messages (${MESSAGE_COLUMNS})
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28)
       RETURNING message_id, message_type, sender, recipient, workflow_id),
     chunk AS (
       INSERT INTO messaging.chunks (message_id, chunk_no, byte_size, segments, content_encoding, stored_at)
       SELECT message_id, $29, $30, $31, $15, $28 FROM msg),
     event AS (
       INSERT INTO messaging.message_events (message_id, status, at)
       SELECT message_id, CASE WHEN $32::timestamptz IS NULL THEN 'uploading' ELSE 'accepted' END, $28 FROM msg),
     inbox AS (
       INSERT INTO messaging.inbox (recipient, accept_seq, message_id, workflow_id, accepted_at, expires_at)
       SELECT recipient, nextval('messaging.accept_seq'), message_id, workflow_id, $28, $32 FROM msg WHERE $32::timestamptz IS NOT NULL),
     announce AS (${ANNOUNCE})${withBody ? `,
     segment AS (
       INSERT INTO messaging.body_segments (message_id, chunk_no, segment_no, data)
       SELECT message_id, $29, 0, $33 FROM msg)` : ''}
     SELECT 1`;
}
const WITH_BODY = insertSql(true);
const WITHOUT_BODY = insertSql(false);

/**
 * A new message with its first chunk's record and first event, and (when that chunk is the whole
 * message) its inbox entry and outbox event, in one statement: the send path's round trips are its
 * cost. With `body` (one segment, held in memory) the bytes go in the same statement, so a small
 * message needs no explicit transaction: one statement commits all of it or none. Without, the
 * chunk's bytes are already in the body store, in the caller's transaction.
 */
export async function insertNewMessage(db: Queryable, m: Message, chunk: ChunkRecord, delivery: { expiresAt: Date } | undefined, body?: Buffer): Promise<void> {
  const values: unknown[] = [m.messageId, m.messageType, m.sender.mailboxId, m.sender.mailboxName, m.sender.odsCode, m.sender.orgCode, m.sender.billingEntity ?? null,
    m.recipient.mailboxId, m.recipient.mailboxName, m.recipient.odsCode, m.recipient.orgCode, m.recipient.billingEntity ?? null,
    m.workflowId, m.totalChunks, m.contentEncoding, m.contentType ?? null, m.subject ?? null, m.localId ?? null, m.partnerId ?? null,
    m.fileName ?? null, m.checksum ?? null, m.encrypted, m.compressed, m.linkedMessageId ?? null, m.statusCode ?? null,
    m.statusEvent ?? null, m.statusDescription ?? null, m.createdAt, chunk.chunkNo, chunk.byteSize, chunk.segments, delivery?.expiresAt ?? null];
  if (body) values.push(body);
  await preparedQuery(db, body ? 'insert_new_message_with_body' : 'insert_new_message', body ? WITH_BODY : WITHOUT_BODY, values);
}
