import type { Queryable } from '../../../platform/db/pool.js';
import { EVENTS_JSON, M_COLUMNS, toStored, type EventJson, type MessageRow, type StoredMessage } from './messages.js';

/** Operator searches over messages and mailboxes (the console's message tracking). */

export interface MessageSearch {
  messageId?: string;
  /** Sender or recipient. */
  mailboxId?: string;
  workflowId?: string;
  /** The state the events fold to (see messageState): matched in SQL by the furthest event reached. */
  state?: 'uploading' | 'accepted' | 'acknowledged' | 'expired' | 'undeliverable' | 'error';
  createdFrom?: Date;
  createdBefore?: Date;
  limit: number;
}

/** The state precedence of messageState, in SQL: the furthest stage reached wins. */
const STATE_SQL = `(SELECT CASE
    WHEN bool_or(e.status = 'acknowledged') THEN 'acknowledged' WHEN bool_or(e.status = 'expired') THEN 'expired'
    WHEN bool_or(e.status = 'error') THEN 'error' WHEN bool_or(e.status = 'undeliverable') THEN 'undeliverable'
    WHEN bool_or(e.status = 'accepted') THEN 'accepted' ELSE 'uploading' END
  FROM messaging.message_events e WHERE e.message_id = m.message_id)`;

export async function searchMessages(db: Queryable, search: MessageSearch): Promise<StoredMessage[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  if (search.messageId) where.push(`m.message_id = ${param(search.messageId)}`);
  if (search.mailboxId) {
    const mailbox = param(search.mailboxId);
    where.push(`(m.sender = ${mailbox} OR m.recipient = ${mailbox})`);
  }
  if (search.workflowId) where.push(`m.workflow_id = ${param(search.workflowId)}`);
  if (search.state) where.push(`COALESCE(${STATE_SQL}, 'uploading') = ${param(search.state)}`);
  if (search.createdFrom) where.push(`m.created_at >= ${param(search.createdFrom)}`);
  if (search.createdBefore) where.push(`m.created_at < ${param(search.createdBefore)}`);
  const { rows } = await db.query<MessageRow & { events: EventJson[] }>(
    `SELECT ${M_COLUMNS}, ${EVENTS_JSON} AS events FROM messaging.messages m
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY m.created_at DESC, m.message_id DESC LIMIT ${param(search.limit)}`, values);
  return rows.map(toStored);
}

/** REPORT messages about a message (non-delivery, expiry): part of its history. */
export async function reportsAbout(db: Queryable, messageId: string): Promise<StoredMessage[]> {
  const { rows } = await db.query<MessageRow & { events: EventJson[] }>(
    `SELECT ${M_COLUMNS}, ${EVENTS_JSON} AS events FROM messaging.messages m
     WHERE m.linked_message_id = $1 AND m.message_type = 'REPORT' ORDER BY m.created_at`, [messageId]);
  return rows.map(toStored);
}

export interface InboxDepth { mailboxId: string; waiting: number; oldestAcceptedAt: Date | null }

/** Per mailbox: messages waiting in its inbox (delivered, not acknowledged or expired), and the oldest of them. */
export async function inboxDepths(db: Queryable, now: Date): Promise<InboxDepth[]> {
  const { rows } = await db.query<{ recipient: string; waiting: number; oldest: Date | null }>(
    `SELECT recipient, count(*)::int AS waiting, min(accepted_at) AS oldest FROM messaging.inbox
     WHERE expires_at > $1 GROUP BY recipient`, [now]);
  return rows.map((r) => ({ mailboxId: r.recipient, waiting: r.waiting, oldestAcceptedAt: r.oldest }));
}
