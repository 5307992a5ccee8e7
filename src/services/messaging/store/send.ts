import type { Queryable } from '../../../platform/db/pool.js';
import { outboxInsertFrom } from '../../../platform/events/outbox.js';
import { pendingAuditInsertFrom } from '../../../platform/audit/store.js';
import type { Message } from '../message.js';
import type { ChunkRecord } from './chunks.js';
import { inboxPositionCte } from './inbox.js';
import { MESSAGE_COLUMNS } from './messages.js';
import { nonceCte, nonceValues, type NonceClaim } from './nonces.js';
import { preparedQuery } from './prepared.js';

/** The outbox event of an acceptance, built from the inserted row (see handlers/accept.ts for the same payload). */
const ANNOUNCE = outboxInsertFrom(`SELECT 'mesh-message-accepted', 'messaging', NULL,
  jsonb_build_object('messageId', message_id, 'messageType', message_type, 'sender', sender, 'recipient', recipient, 'workflowId', workflow_id)
  FROM msg WHERE $32::timestamptz IS NOT NULL`);

const MESSAGE_VALUES = Array.from({ length: 28 }, (_, i) => `$${i + 1}`).join(',');

function insertSql(withBody: boolean): string {
  // With the body (the one-statement send) the statement claims the request's nonce first and
  // inserts nothing unless it was fresh.
  return `WITH ${withBody ? `${nonceCte(35)},
     msg AS (
       INSERT INTO messaging.messages (${MESSAGE_COLUMNS}) SELECT ${MESSAGE_VALUES} FROM nonce
       RETURNING message_id, message_type, sender, recipient, workflow_id),` : `msg AS (
       INSERT INTO messaging.messages (${MESSAGE_COLUMNS}) VALUES (${MESSAGE_VALUES})
       RETURNING message_id, message_type, sender, recipient, workflow_id),`}
     chunk AS (
       INSERT INTO messaging.chunks (message_id, chunk_no, byte_size, segments, content_encoding, stored_at, body_sha1)
       SELECT message_id, $29, $30, $31, $15, $28, $33 FROM msg),
     event AS (
       INSERT INTO messaging.message_events (message_id, status, at)
       SELECT message_id, CASE WHEN $32::timestamptz IS NULL THEN 'uploading' ELSE 'accepted' END, $28 FROM msg),
     ${inboxPositionCte('SELECT recipient FROM msg WHERE $32::timestamptz IS NOT NULL')},
     inbox AS (
       INSERT INTO messaging.inbox (recipient, accept_seq, message_id, workflow_id, accepted_at, expires_at)
       SELECT msg.recipient, position.accept_seq, msg.message_id, msg.workflow_id, $28, $32 FROM msg JOIN position ON position.recipient = msg.recipient),
     announce AS (${ANNOUNCE}),
     audited AS (${pendingAuditInsertFrom(`SELECT $${withBody ? 39 : 34}::text FROM msg WHERE $${withBody ? 39 : 34}::text IS NOT NULL`)})${withBody ? `,
     segment AS (
       INSERT INTO messaging.body_segments (message_id, chunk_no, segment_no, data)
       SELECT message_id, $29, 0, $34 FROM msg)` : ''}
     SELECT ${withBody ? 'fresh FROM fresh' : '1 AS fresh'}`;
}
const WITH_BODY = insertSql(true);
const WITHOUT_BODY = insertSql(false);

/**
 * A new message with its first chunk's record and first event, and (when that chunk is the whole
 * message) its inbox entry and outbox event, in one statement: the send path's round trips are its
 * cost. With `inline` (a one-segment body held in memory, and the request's nonce) the statement
 * also claims the nonce and stores the bytes, so a small message needs no explicit transaction: one
 * statement commits all of it or none; false when the nonce was seen before (nothing written).
 * Without, the chunk's bytes are already in the body store, in the caller's transaction. With
 * `audit` (the send's entry, `AuditWriter.pending`) the entry commits with the message.
 */
export async function insertNewMessage(db: Queryable, m: Message, chunk: ChunkRecord, delivery: { expiresAt: Date } | undefined, inline?: { body: Buffer; nonce: NonceClaim }, audit?: string): Promise<boolean> {
  const values: unknown[] = [m.messageId, m.messageType, m.sender.mailboxId, m.sender.mailboxName, m.sender.odsCode, m.sender.orgCode, m.sender.billingEntity ?? null,
    m.recipient.mailboxId, m.recipient.mailboxName, m.recipient.odsCode, m.recipient.orgCode, m.recipient.billingEntity ?? null,
    m.workflowId, m.totalChunks, m.contentEncoding, m.contentType ?? null, m.subject ?? null, m.localId ?? null, m.partnerId ?? null,
    m.fileName ?? null, m.checksum ?? null, m.encrypted, m.compressed, m.linkedMessageId ?? null, m.statusCode ?? null,
    m.statusEvent ?? null, m.statusDescription ?? null, m.createdAt, chunk.chunkNo, chunk.byteSize, chunk.segments, delivery?.expiresAt ?? null,
    chunk.sha1 ?? null];
  if (inline) values.push(inline.body, ...nonceValues(inline.nonce));
  values.push(audit ?? null);
  const result = await preparedQuery<{ fresh: number }>(db, inline ? 'insert_new_message_claiming_audited' : 'insert_new_message_audited', inline ? WITH_BODY : WITHOUT_BODY, values);
  return result.rows[0]?.fresh === 1;
}
