import type { Queryable } from '../../../platform/db/pool.js';

/** One event on its way to one destination. */
export interface NewDelivery {
  outboxId: number;
  eventId: string;
  eventType: string;
  destination: string;
  orderKey: string;
  nhsNumber?: string;
  subscriptionIds: string[];
  channel: 'mesh' | 'rest-hook';
  endpoint: string;
  workflowId?: string;
  partnerId?: string;
  contentType: string;
  body: string;
  idempotencyKey: string;
  eventTime: Date;
  replayOf?: number;
}

export interface Delivery extends NewDelivery {
  id: number;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  routedAt: Date;
  nextAttemptAt: Date;
  deadAfter: Date;
  deliveredAt?: Date;
  lastError?: string;
}

/** What sending needs of a claimed delivery (no bookkeeping dates to parse on the hot path). */
export type DueDelivery = Omit<NewDelivery, 'replayOf'> & Pick<Delivery, 'id' | 'attempts'>;

const DUE_COLUMNS = `id, event_id, event_type, destination, order_key, nhs_number, subscription_ids, channel, endpoint, workflow_id,
  partner_id, content_type, body, idempotency_key, attempts, event_time, outbox_id`;

function dueFromRow(r: Record<string, any>): DueDelivery {
  return {
    id: r.id, outboxId: r.outbox_id, eventId: r.event_id, eventType: r.event_type, destination: r.destination, orderKey: r.order_key,
    nhsNumber: r.nhs_number ?? undefined, subscriptionIds: r.subscription_ids, channel: r.channel, endpoint: r.endpoint,
    workflowId: r.workflow_id ?? undefined, partnerId: r.partner_id ?? undefined, contentType: r.content_type, body: r.body,
    idempotencyKey: r.idempotency_key, attempts: r.attempts, eventTime: r.event_time,
  };
}

const COLUMNS = `id, outbox_id, event_id, event_type, destination, order_key, nhs_number, subscription_ids, channel, endpoint, workflow_id,
  partner_id, content_type, body, idempotency_key, status, attempts, event_time, routed_at, next_attempt_at, dead_after, delivered_at, last_error, replay_of`;

function fromRow(r: Record<string, any>): Delivery {
  return {
    id: r.id, outboxId: r.outbox_id, eventId: r.event_id, eventType: r.event_type, destination: r.destination, orderKey: r.order_key,
    nhsNumber: r.nhs_number ?? undefined, subscriptionIds: r.subscription_ids, channel: r.channel, endpoint: r.endpoint,
    workflowId: r.workflow_id ?? undefined, partnerId: r.partner_id ?? undefined, contentType: r.content_type, body: r.body,
    idempotencyKey: r.idempotency_key, status: r.status, attempts: r.attempts, eventTime: r.event_time, routedAt: r.routed_at,
    nextAttemptAt: r.next_attempt_at, deadAfter: r.dead_after, deliveredAt: r.delivered_at ?? undefined, lastError: r.last_error ?? undefined,
    replayOf: r.replay_of ?? undefined,
  };
}

/**
 * Inserts deliveries in one statement; each is dead-lettered `deadAfterMs` from now, and due at once
 * unless its queue is blocked: behind a head waiting out its backoff it takes the head's retry time
 * (see `markFailed`), so the followers of a blocked queue are never due and the claim never meets them.
 */
export async function insertDeliveries(tx: Queryable, deliveries: NewDelivery[], deadAfterMs: number): Promise<void> {
  if (deliveries.length === 0) return;
  await tx.query(
    `INSERT INTO events.deliveries (outbox_id, event_id, event_type, destination, order_key, nhs_number, subscription_ids, channel, endpoint,
       workflow_id, partner_id, content_type, body, idempotency_key, event_time, routed_at, next_attempt_at, dead_after, replay_of)
     SELECT d.outbox_id, d.event_id, d.event_type, d.destination, d.order_key, d.nhs_number, d.subscription_ids, d.channel, d.endpoint,
       d.workflow_id, d.partner_id, d.content_type, d.body, d.idempotency_key, d.event_time, now(),
       greatest(now(), (SELECT h.next_attempt_at FROM events.deliveries h
                         WHERE h.status = 'pending' AND h.destination = d.destination AND h.order_key = d.order_key
                         ORDER BY h.outbox_id, h.id LIMIT 1)),
       now() + make_interval(secs => $2::float8 / 1000), d.replay_of
     FROM jsonb_to_recordset($1::jsonb) AS d(outbox_id bigint, event_id text, event_type text, destination text, order_key text, nhs_number text,
       subscription_ids uuid[], channel text, endpoint text, workflow_id text, partner_id text, content_type text, body text,
       idempotency_key text, event_time timestamptz, replay_of bigint)`,
    [JSON.stringify(deliveries.map((d) => ({
      outbox_id: d.outboxId, event_id: d.eventId, event_type: d.eventType, destination: d.destination, order_key: d.orderKey,
      nhs_number: d.nhsNumber ?? null, subscription_ids: d.subscriptionIds, channel: d.channel, endpoint: d.endpoint,
      workflow_id: d.workflowId ?? null, partner_id: d.partnerId ?? null, content_type: d.contentType, body: d.body,
      idempotency_key: d.idempotencyKey, event_time: d.eventTime.toISOString(), replay_of: d.replayOf ?? null,
    }))), deadAfterMs]);
}

/**
 * Claims due deliveries, locked for the rest of the caller's transaction (other relays skip them).
 * Only the head of each queue (destination, patient) is claimed: a later event for the same patient
 * waits while an earlier one is pending. And only events below the routing watermark (the oldest
 * outbox row not yet routed, by any relay) are due, so an event routed early by one relay never
 * overtakes an earlier event for the same patient still being routed by another.
 *
 * The followers of a queue whose head waits out a backoff are not due (they share its retry time:
 * see `insertDeliveries` and `markFailed`), so the earliest due rows are nearly all heads: an
 * ordered read of the due index, each row tested by one descent of the queue-head index (a
 * subquery per row, never an anti-join over every pending row), locked as it is found, rows other
 * relays hold skipped. A follower found due is one whose head is in flight or due with it.
 */
export const CLAIM_DUE_SQL = `SELECT ${DUE_COLUMNS} FROM events.deliveries d
      WHERE d.status = 'pending' AND d.next_attempt_at <= now()
        AND d.outbox_id < (SELECT coalesce(min(o.id), 9223372036854775807) FROM platform.outbox o WHERE o.delivered_at IS NULL)
        AND (d.outbox_id, d.id) = (SELECT h.outbox_id, h.id FROM events.deliveries h
                                    WHERE h.status = 'pending' AND h.destination = d.destination AND h.order_key = d.order_key
                                    ORDER BY h.outbox_id, h.id LIMIT 1)
      ORDER BY d.next_attempt_at, d.id
      LIMIT $1
      FOR UPDATE OF d SKIP LOCKED`;

export async function claimDueDeliveries(tx: Queryable, limit: number): Promise<DueDelivery[]> {
  // The queue grows and drains faster than autovacuum's statistics follow: planned on a stale
  // estimate of a few rows, the claim bitmap-scans and sorts the whole backlog. An ordered read of
  // the due index is right at any size (this transaction only).
  await tx.query('SET LOCAL enable_bitmapscan = off');
  const { rows } = await tx.query({ name: 'events-claim-due', text: CLAIM_DUE_SQL, values: [limit] });
  return rows.map(dueFromRow);
}

export async function markDelivered(tx: Queryable, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(`UPDATE events.deliveries SET status = 'delivered', delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::bigint[])`, [ids]);
}

/** A failed attempt: the delivery, when to try it next (ms from now), why it failed, and whether it is dead at once. */
export interface FailedAttempt {
  id: number;
  retryInMs: number;
  error: string;
  deadNow: boolean;
}

/**
 * A round's failed attempts, in one statement: each retried after its `retryInMs`, or dead-lettered
 * when past its dead-letter time. A head given a retry time pushes its queue's followers back to it,
 * so they stay not due until the head is delivered or dead-lettered (then they are due at once, in
 * order). Followers another relay holds locked are left alone. Returns each delivery's new status.
 */
export async function markFailed(tx: Queryable, attempts: FailedAttempt[]): Promise<Map<number, 'pending' | 'dead'>> {
  if (attempts.length === 0) return new Map();
  const { rows } = await tx.query({
    name: 'events-mark-failed',
    text: `WITH failed AS (
             UPDATE events.deliveries d SET attempts = d.attempts + 1, last_error = left(f.error, 500),
                    status = CASE WHEN f.dead_now OR now() >= d.dead_after THEN 'dead' ELSE 'pending' END,
                    next_attempt_at = now() + make_interval(secs => f.retry_in_ms / 1000)
               FROM unnest($1::bigint[], $2::float8[], $3::text[], $4::bool[]) AS f(id, retry_in_ms, error, dead_now)
              WHERE d.id = f.id
             RETURNING d.id, d.status, d.next_attempt_at, d.destination, d.order_key, d.outbox_id),
           pushed AS (
             UPDATE events.deliveries q SET next_attempt_at = b.next_attempt_at
               FROM (SELECT w.id, f.next_attempt_at
                       FROM failed f JOIN events.deliveries w
                         ON w.status = 'pending' AND w.destination = f.destination AND w.order_key = f.order_key
                        AND (w.outbox_id, w.id) > (f.outbox_id, f.id) AND w.next_attempt_at < f.next_attempt_at
                      WHERE f.status = 'pending'
                      FOR UPDATE OF w SKIP LOCKED) b
              WHERE q.id = b.id)
         SELECT id, status FROM failed`,
    values: [attempts.map((a) => a.id), attempts.map((a) => a.retryInMs), attempts.map((a) => a.error), attempts.map((a) => a.deadNow)],
  });
  return new Map(rows.map((r) => [Number(r.id), r.status as 'pending' | 'dead']));
}

export interface DeliveryFilter {
  status?: 'pending' | 'delivered' | 'dead';
  subscriptionId?: string;
  afterId?: number;
  limit: number;
}

export async function listDeliveries(db: Queryable, filter: DeliveryFilter): Promise<Delivery[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM events.deliveries
      WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR subscription_ids @> ARRAY[$2::uuid]) AND id > $3
      ORDER BY id LIMIT $4`,
    [filter.status ?? null, filter.subscriptionId ?? null, filter.afterId ?? 0, filter.limit]);
  return rows.map(fromRow);
}

/** Dead-lettered deliveries back in the queue (all, or one subscription's, or given ids), with a fresh dead-letter age. */
export async function replayDead(db: Queryable, filter: { subscriptionId?: string; ids?: number[] }, deadAfterMs: number): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE events.deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(),
       dead_after = now() + make_interval(secs => $3::float8 / 1000), last_error = NULL
     WHERE status = 'dead' AND ($1::uuid IS NULL OR subscription_ids @> ARRAY[$1::uuid]) AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`,
    [filter.subscriptionId ?? null, filter.ids ?? null, deadAfterMs]);
  return rowCount ?? 0;
}

export interface Backlog {
  unrouted: number;
  pending: number;
  dead: number;
  oldestPendingSeconds: number;
  oldestUnroutedSeconds: number;
}

export async function backlog(db: Queryable): Promise<Backlog> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM platform.outbox WHERE delivered_at IS NULL)::int AS unrouted,
            (SELECT count(*) FROM events.deliveries WHERE status = 'pending')::int AS pending,
            (SELECT count(*) FROM events.deliveries WHERE status = 'dead')::int AS dead,
            coalesce(extract(epoch FROM now() - (SELECT min(event_time) FROM events.deliveries WHERE status = 'pending')), 0)::float8 AS oldest_pending,
            coalesce(extract(epoch FROM now() - (SELECT min(created_at) FROM platform.outbox WHERE delivered_at IS NULL)), 0)::float8 AS oldest_unrouted`);
  const r = rows[0]!;
  return { unrouted: r.unrouted, pending: r.pending, dead: r.dead, oldestPendingSeconds: r.oldest_pending, oldestUnroutedSeconds: r.oldest_unrouted };
}

/** Deletes, in bounded batches, routed outbox rows and delivered deliveries older than the retention. */
export async function pruneDelivered(db: Queryable, retentionMs: number, batch = 5_000): Promise<{ outbox: number; deliveries: number }> {
  const outbox = await db.query(
    `DELETE FROM platform.outbox WHERE id IN (SELECT id FROM platform.outbox
       WHERE delivered_at IS NOT NULL AND delivered_at < now() - make_interval(secs => $1::float8 / 1000) LIMIT $2)`, [retentionMs, batch]);
  const deliveries = await db.query(
    `DELETE FROM events.deliveries WHERE id IN (SELECT id FROM events.deliveries
       WHERE status = 'delivered' AND delivered_at < now() - make_interval(secs => $1::float8 / 1000) LIMIT $2)`, [retentionMs, batch]);
  return { outbox: outbox.rowCount ?? 0, deliveries: deliveries.rowCount ?? 0 };
}
