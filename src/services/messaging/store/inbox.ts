import type { Queryable } from '../../../platform/db/pool.js';
import { outboxInsertFrom } from '../../../platform/events/outbox.js';
import { workflowLikePattern, type WorkflowFilter } from '../protocol/workflow-filter.js';
import { nonceCte, nonceValues, type NonceClaim } from './nonces.js';
import { preparedQuery } from './prepared.js';

/** The inbox projection: one row per delivered, not yet acknowledged or expired message. */

export interface InboxEntry {
  messageId: string;
  recipient: string;
  acceptSeq: number;
  acceptedAt: Date;
  expiresAt: Date;
}

/**
 * The SQL of a CTE, `position`, that gives the messages of `source` (rows with a `recipient`) their
 * place in their recipient's inbox: `(recipient, accept_seq)`.
 *
 * A place is the next value of one PostgreSQL sequence (so every process orders a mailbox the same
 * way, and places handed out before this rule stay below every later one), but it is drawn only
 * under the row lock of the recipient's `inbox_positions` row, which the delivering transaction
 * holds until it commits. So two deliveries to one mailbox take turns from drawing a place to
 * committing: a mailbox's messages become visible in the order of their places, and a reader that
 * sees a message sees every message placed before it. A cursor on the place (`continue_from`, v1's
 * message id, the rich inbox's) therefore never passes a message that was not yet visible: anything
 * that commits later is placed after everything a page has shown. Without the lock, a delivery that
 * drew its place and committed late (a chunked message's last chunk, a streamed body) landed behind
 * a cursor already past it, and the paging run that had passed it never listed it.
 *
 * The new row's value is drawn before the lock (no other delivery to that mailbox can be placed
 * between: it would conflict on the row and wait); an existing row's is drawn in the DO UPDATE,
 * after the lock is granted. One transaction delivering to several mailboxes must lock them in one
 * order (the expiry sweep sorts its reports by recipient), or two such could deadlock.
 */
export function inboxPositionCte(source: string): string {
  return `position AS (
       INSERT INTO messaging.inbox_positions AS p (recipient, last_seq)
       SELECT recipient, nextval('messaging.accept_seq') FROM (${source}) s
       ON CONFLICT (recipient) DO UPDATE SET last_seq = nextval('messaging.accept_seq')
       RETURNING p.recipient, p.last_seq AS accept_seq)`;
}

/**
 * Delivers a message: exactly once, since `message_id` is unique in the inbox. Its place in the
 * recipient's order is drawn under the recipient's position lock, held until the caller commits
 * (`inboxPositionCte`), so call it last in the transaction: deliveries to that mailbox wait meanwhile.
 */
export async function deliver(tx: Queryable, entry: { messageId: string; recipient: string; workflowId: string; acceptedAt: Date; expiresAt: Date }): Promise<boolean> {
  const result = await tx.query(
    `WITH ${inboxPositionCte('SELECT $1::text AS recipient')}
     INSERT INTO messaging.inbox (recipient, accept_seq, message_id, workflow_id, accepted_at, expires_at)
     SELECT recipient, accept_seq, $2, $3, $4, $5 FROM position ON CONFLICT (message_id) DO NOTHING`,
    [entry.recipient, entry.messageId, entry.workflowId, entry.acceptedAt, entry.expiresAt]);
  return result.rowCount === 1;
}

export interface InboxPage {
  entries: Array<{ messageId: string; acceptSeq: number }>;
  more: boolean;
}

/**
 * A page of the inbox, in the statement that claims the request's nonce: nothing is listed
 * unless the nonce was fresh, and undefined says it was not (a replay).
 */
export async function listInbox(db: Queryable, query: { recipient: string; after: number; limit: number; now: Date; filter?: WorkflowFilter }, nonce: NonceClaim): Promise<InboxPage | undefined> {
  const values: unknown[] = [query.recipient, query.after, query.now, query.limit + 1];
  let workflowClause = '';
  if (query.filter) {
    const equals = query.filter.kind === 'equals';
    values.push(equals ? query.filter.text : workflowLikePattern(query.filter));
    workflowClause = `AND ${query.filter.negate ? 'NOT ' : ''}(workflow_id ${equals ? '=' : 'LIKE'} $${values.length})`;
  }
  const shape = query.filter ? `${query.filter.negate ? 'not_' : ''}${query.filter.kind === 'equals' ? 'eq' : 'like'}` : 'all';
  const page = `SELECT message_id, accept_seq FROM messaging.inbox
     WHERE recipient = $1 AND accept_seq > $2 AND expires_at > $3 ${workflowClause}
     ORDER BY accept_seq LIMIT $4`;
  const result = await preparedQuery<{ fresh: number; message_id: string | null; accept_seq: number | null }>(db, `list_inbox_claiming_${shape}`,
    `WITH ${nonceCte(values.length + 1)}
     SELECT f.fresh, l.message_id, l.accept_seq FROM fresh f
     LEFT JOIN LATERAL (${page.replace('WHERE ', 'WHERE f.fresh = 1 AND ')}) l ON true
     ORDER BY l.accept_seq`, [...values, ...nonceValues(nonce)]);
  if (result.rows[0]?.fresh !== 1) return undefined;
  const rows = result.rows.filter((r) => r.message_id !== null).slice(0, query.limit + 1);
  return {
    entries: rows.slice(0, query.limit).map((r) => ({ messageId: r.message_id!, acceptSeq: r.accept_seq! })),
    more: rows.length > query.limit,
  };
}

export async function countInbox(db: Queryable, recipient: string, now: Date): Promise<number> {
  const result = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM messaging.inbox WHERE recipient = $1 AND expires_at > $2', [recipient, now]);
  return result.rows[0]?.n ?? 0;
}

export async function findInboxEntry(db: Queryable, messageId: string): Promise<InboxEntry | undefined> {
  const result = await db.query<{ message_id: string; recipient: string; accept_seq: number; accepted_at: Date; expires_at: Date }>(
    'SELECT message_id, recipient, accept_seq, accepted_at, expires_at FROM messaging.inbox WHERE message_id = $1', [messageId]);
  const r = result.rows[0];
  return r ? { messageId: r.message_id, recipient: r.recipient, acceptSeq: r.accept_seq, acceptedAt: r.accepted_at, expiresAt: r.expires_at } : undefined;
}

/**
 * Takes a message out of the inbox (acknowledge, expiry); true when this call removed it. With
 * `unexpiredAt`, only an entry still in date is removed (an acknowledge cannot beat the expiry clock).
 */
export async function removeFromInbox(tx: Queryable, messageId: string, unexpiredAt?: Date): Promise<boolean> {
  const result = unexpiredAt
    ? await tx.query('DELETE FROM messaging.inbox WHERE message_id = $1 AND expires_at > $2', [messageId, unexpiredAt])
    : await tx.query('DELETE FROM messaging.inbox WHERE message_id = $1', [messageId]);
  return result.rowCount === 1;
}

/**
 * Acknowledge, in one statement (atomic on its own, so no transaction) that first claims the
 * request's nonce: removes the recipient's in-date entry, appends the `acknowledged` event and the
 * `mesh-message-acknowledged` outbox event, and says who sent the message. `fresh` false: a
 * replayed nonce, nothing done. `removed` undefined: nothing to remove (already acknowledged,
 * expired, or not theirs).
 */
export async function acknowledgeInboxEntry(db: Queryable, messageId: string, recipient: string, now: Date, nonce: NonceClaim): Promise<{ fresh: boolean; removed?: { sender: string; workflowId: string } }> {
  const result = await preparedQuery<{ fresh: number; sender: string | null; workflow_id: string | null }>(db, 'acknowledge_claiming',
    `WITH ${nonceCte(4)},
     removed AS (
       DELETE FROM messaging.inbox i USING messaging.messages m
       WHERE i.message_id = $1 AND i.recipient = $2 AND i.expires_at > $3 AND m.message_id = i.message_id AND EXISTS (SELECT 1 FROM nonce)
       RETURNING m.message_id, m.sender, m.workflow_id),
     event AS (INSERT INTO messaging.message_events (message_id, status, at) SELECT message_id, 'acknowledged', $3 FROM removed),
     announce AS (${outboxInsertFrom(`SELECT 'mesh-message-acknowledged', 'messaging', NULL,
       jsonb_build_object('messageId', message_id, 'sender', sender, 'recipient', $2::text, 'workflowId', workflow_id) FROM removed`)})
     SELECT f.fresh, r.sender, r.workflow_id FROM fresh f LEFT JOIN removed r ON true`, [messageId, recipient, now, ...nonceValues(nonce)]);
  const row = result.rows[0];
  return { fresh: row?.fresh === 1, removed: row?.sender ? { sender: row.sender, workflowId: row.workflow_id ?? '' } : undefined };
}

/** Entries past their expiry, locked so two sweepers never report one message twice. */
export async function claimExpired(tx: Queryable, now: Date, limit: number): Promise<string[]> {
  const result = await tx.query<{ message_id: string }>(
    `SELECT message_id FROM messaging.inbox WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [now, limit]);
  return result.rows.map((r) => r.message_id);
}

/** Delivered messages of a mailbox since a time, for the rich inbox, ordered by accept sequence. */
export async function listInboxSince(db: Queryable, recipient: string, since: Date, after: number, limit: number, now: Date): Promise<InboxPage> {
  const result = await db.query<{ message_id: string; accept_seq: number }>(
    `SELECT message_id, accept_seq FROM messaging.inbox
     WHERE recipient = $1 AND accepted_at >= $2 AND accept_seq > $3 AND expires_at > $4
     ORDER BY accept_seq LIMIT $5`, [recipient, since, after, now, limit + 1]);
  return { entries: result.rows.slice(0, limit).map((r) => ({ messageId: r.message_id, acceptSeq: r.accept_seq })), more: result.rows.length > limit };
}

/** Messages waiting in a mailbox for a service that reads its own inbox (messaging api.ts), oldest first. */
export async function listWaiting(db: Queryable, recipient: string, workflowId: string | undefined, limit: number, now: Date): Promise<string[]> {
  const result = await db.query<{ message_id: string }>(
    `SELECT message_id FROM messaging.inbox
      WHERE recipient = $1 AND expires_at > $2 AND ($3::text IS NULL OR workflow_id = $3)
      ORDER BY accept_seq LIMIT $4`, [recipient, now, workflowId ?? null, limit]);
  return result.rows.map((r) => r.message_id);
}

/** A service acknowledging a message in its own mailbox: as `acknowledgeInboxEntry`, with no request nonce. */
export async function acknowledgeForService(db: Queryable, messageId: string, recipient: string, now: Date): Promise<boolean> {
  const result = await db.query(
    `WITH removed AS (
       DELETE FROM messaging.inbox i USING messaging.messages m
       WHERE i.message_id = $1 AND i.recipient = $2 AND i.expires_at > $3 AND m.message_id = i.message_id
       RETURNING m.message_id, m.sender, m.workflow_id),
     event AS (INSERT INTO messaging.message_events (message_id, status, at) SELECT message_id, 'acknowledged', $3 FROM removed),
     announce AS (${outboxInsertFrom(`SELECT 'mesh-message-acknowledged', 'messaging', NULL,
       jsonb_build_object('messageId', message_id, 'sender', sender, 'recipient', $2::text, 'workflowId', workflow_id) FROM removed`)})
     SELECT message_id FROM removed`, [messageId, recipient, now]);
  return result.rowCount === 1;
}
