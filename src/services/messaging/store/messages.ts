import type { Queryable } from '../../../platform/db/pool.js';
import type { EventStatus, Message, MessageEvent } from '../message.js';

/** The SQL of messages and their events. Only this folder touches messaging.* tables. */

export const MESSAGE_COLUMNS = `message_id, message_type, sender, sender_name, sender_ods_code, sender_org_code, sender_billing_entity,
  recipient, recipient_name, recipient_ods_code, recipient_org_code, recipient_billing_entity, workflow_id, total_chunks,
  content_encoding, content_type, subject, local_id, partner_id, file_name, checksum, encrypted, compressed,
  linked_message_id, status_code, status_event, status_description, created_at`;

/** The message columns qualified with the alias `m`. */
export const M_COLUMNS = MESSAGE_COLUMNS.split(',').map((c) => `m.${c.trim()}`).join(', ');

export interface MessageRow {
  message_id: string; message_type: 'DATA' | 'REPORT';
  sender: string; sender_name: string; sender_ods_code: string; sender_org_code: string; sender_billing_entity: string | null;
  recipient: string; recipient_name: string; recipient_ods_code: string; recipient_org_code: string; recipient_billing_entity: string | null;
  workflow_id: string; total_chunks: number; content_encoding: '' | 'gzip'; content_type: string | null; subject: string | null;
  local_id: string | null; partner_id: string | null; file_name: string | null; checksum: string | null; encrypted: boolean;
  compressed: boolean; linked_message_id: string | null; status_code: string | null; status_event: string | null;
  status_description: string | null; created_at: Date;
}

const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function toMessage(r: MessageRow): Message {
  return {
    messageId: r.message_id,
    messageType: r.message_type,
    sender: { mailboxId: r.sender, mailboxName: r.sender_name, odsCode: r.sender_ods_code, orgCode: r.sender_org_code, billingEntity: orUndefined(r.sender_billing_entity) },
    recipient: { mailboxId: r.recipient, mailboxName: r.recipient_name, odsCode: r.recipient_ods_code, orgCode: r.recipient_org_code, billingEntity: orUndefined(r.recipient_billing_entity) },
    workflowId: r.workflow_id,
    totalChunks: r.total_chunks,
    contentEncoding: r.content_encoding,
    contentType: orUndefined(r.content_type),
    subject: orUndefined(r.subject),
    localId: orUndefined(r.local_id),
    partnerId: orUndefined(r.partner_id),
    fileName: orUndefined(r.file_name),
    checksum: orUndefined(r.checksum),
    encrypted: r.encrypted,
    compressed: r.compressed,
    linkedMessageId: orUndefined(r.linked_message_id),
    statusCode: orUndefined(r.status_code),
    statusEvent: orUndefined(r.status_event),
    statusDescription: orUndefined(r.status_description),
    createdAt: r.created_at,
  };
}

export async function insertMessage(tx: Queryable, m: Message): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO messaging.messages (${MESSAGE_COLUMNS})
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28)
     ON CONFLICT (message_id) DO NOTHING`,
    [m.messageId, m.messageType, m.sender.mailboxId, m.sender.mailboxName, m.sender.odsCode, m.sender.orgCode, m.sender.billingEntity ?? null,
      m.recipient.mailboxId, m.recipient.mailboxName, m.recipient.odsCode, m.recipient.orgCode, m.recipient.billingEntity ?? null,
      m.workflowId, m.totalChunks, m.contentEncoding, m.contentType ?? null, m.subject ?? null, m.localId ?? null, m.partnerId ?? null,
      m.fileName ?? null, m.checksum ?? null, m.encrypted, m.compressed, m.linkedMessageId ?? null, m.statusCode ?? null,
      m.statusEvent ?? null, m.statusDescription ?? null, m.createdAt],
  );
  return result.rowCount === 1;
}

export async function appendEvent(tx: Queryable, messageId: string, event: MessageEvent): Promise<void> {
  await tx.query(
    'INSERT INTO messaging.message_events (message_id, status, at, code, event, description, linked_message_id) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [messageId, event.status, event.at, event.code ?? null, event.event ?? null, event.description ?? null, event.linkedMessageId ?? null],
  );
}

export interface StoredMessage {
  message: Message;
  events: MessageEvent[];
}

export const EVENTS_JSON = `COALESCE((SELECT json_agg(json_build_object('status', e.status, 'at', e.at, 'code', e.code, 'event', e.event,
  'description', e.description, 'linked', e.linked_message_id) ORDER BY e.event_seq) FROM messaging.message_events e WHERE e.message_id = m.message_id), '[]')`;

export interface EventJson { status: EventStatus; at: string; code: string | null; event: string | null; description: string | null; linked: string | null }

export function toStored(row: MessageRow & { events: EventJson[] }): StoredMessage {
  return {
    message: toMessage(row),
    events: row.events.map((e) => ({ status: e.status, at: new Date(e.at), code: orUndefined(e.code), event: orUndefined(e.event), description: orUndefined(e.description), linkedMessageId: orUndefined(e.linked) })),
  };
}

/** A message with its events; `lock` takes a row lock so chunk uploads of one message serialise their finish. */
export async function findMessage(db: Queryable, messageId: string, options: { lock?: boolean } = {}): Promise<StoredMessage | undefined> {
  // NO KEY UPDATE: it serialises finishers but does not conflict with the KEY SHARE locks the
  // chunk rows' foreign key takes, which FOR UPDATE would turn into deadlocks. The lock is its own
  // statement: one that waited for it would read the events as they were when it began, missing
  // the acceptance the holder committed meanwhile (the message row itself is never updated).
  if (options.lock) await db.query('SELECT 1 FROM messaging.messages WHERE message_id = $1 FOR NO KEY UPDATE', [messageId]);
  const result = await db.query<MessageRow & { events: EventJson[] }>(
    `SELECT ${M_COLUMNS}, ${EVENTS_JSON} AS events
     FROM messaging.messages m WHERE m.message_id = $1`, [messageId]);
  const row = result.rows[0];
  return row ? toStored(row) : undefined;
}

export async function findMessages(db: Queryable, messageIds: string[]): Promise<StoredMessage[]> {
  if (messageIds.length === 0) return [];
  const result = await db.query<MessageRow & { events: EventJson[] }>(
    `SELECT ${M_COLUMNS}, ${EVENTS_JSON} AS events
     FROM messaging.messages m WHERE m.message_id = ANY($1)`, [messageIds]);
  const byId = new Map(result.rows.map((r) => [r.message_id, toStored(r)]));
  return messageIds.flatMap((id) => byId.get(id) ?? []);
}

/** Messages a mailbox sent since `since`, oldest first, after the cursor position (created_at, id). */
export async function listSent(db: Queryable, sender: string, since: Date, after: { at: Date; id: string } | undefined, limit: number): Promise<StoredMessage[]> {
  const result = await db.query<MessageRow & { events: EventJson[] }>(
    `SELECT ${M_COLUMNS}, ${EVENTS_JSON} AS events
     FROM messaging.messages m
     WHERE m.sender = $1 AND m.created_at >= $2 AND m.message_type = 'DATA'
       AND ($3::timestamptz IS NULL OR (m.created_at, m.message_id) > ($3::timestamptz, $4::text))
     ORDER BY m.created_at, m.message_id LIMIT $5`,
    [sender, since, after?.at ?? null, after?.id ?? '', limit]);
  return result.rows.map(toStored);
}

/** Up to `limit` ids of the DATA messages a mailbox sent with this local id, oldest first. */
export async function findSentByLocalId(db: Queryable, sender: string, localId: string, limit: number): Promise<string[]> {
  const result = await db.query<{ message_id: string }>(
    `SELECT message_id FROM messaging.messages WHERE sender = $1 AND local_id = $2 AND message_type = 'DATA'
     ORDER BY created_at, message_id LIMIT $3`, [sender, localId, limit]);
  return result.rows.map((r) => r.message_id);
}

export async function deleteMessages(tx: Queryable, messageIds: string[]): Promise<void> {
  if (messageIds.length === 0) return;
  await tx.query('DELETE FROM messaging.chunks WHERE message_id = ANY($1)', [messageIds]);
  await tx.query('DELETE FROM messaging.messages WHERE message_id = ANY($1)', [messageIds]);
}

/**
 * Messages due for the 30-day purge at `before`: delivered before it (spec: "completely deleted
 * from the MESH server 30 days after the initial delivery"), or never delivered and created before
 * it. A chunked message is delivered when its last chunk arrives, which may be long after its first.
 */
export async function messagesDueForPurge(tx: Queryable, before: Date, limit: number): Promise<string[]> {
  const result = await tx.query<{ message_id: string }>(
    `SELECT m.message_id FROM messaging.messages m
     WHERE m.created_at < $1
       AND NOT EXISTS (SELECT 1 FROM messaging.message_events e WHERE e.message_id = m.message_id AND e.status = 'accepted' AND e.at >= $1)
     ORDER BY m.created_at LIMIT $2 FOR UPDATE OF m SKIP LOCKED`,
    [before, limit]);
  return result.rows.map((r) => r.message_id);
}

/** Sandbox reset: every message of every mailbox (or of one mailbox, as sender or recipient). */
export async function deleteAllMessages(tx: Queryable, mailboxId?: string): Promise<string[]> {
  if (!mailboxId) {
    await tx.query('TRUNCATE messaging.inbox, messaging.chunks, messaging.message_events, messaging.messages');
    return [];
  }
  const result = await tx.query<{ message_id: string }>(
    'SELECT message_id FROM messaging.messages WHERE sender = $1 OR recipient = $1', [mailboxId]);
  const ids = result.rows.map((r) => r.message_id);
  await deleteMessages(tx, ids);
  return ids;
}
