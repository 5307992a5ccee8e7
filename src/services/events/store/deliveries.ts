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

/** Inserts deliveries in one statement; each is due at once and dead-lettered `deadAfterMs` from now. */
export async function insertDeliveries(tx: Queryable, deliveries: NewDelivery[], deadAfterMs: number): Promise<void> {
  if (deliveries.length === 0) return;
  await tx.query(
    `INSERT INTO events.deliveries (outbox_id, event_id, event_type, destination, order_key, nhs_number, subscription_ids, channel, endpoint,
       workflow_id, partner_id, content_type, body, idempotency_key, event_time, routed_at, next_attempt_at, dead_after, replay_of)
     SELECT d.outbox_id, d.event_id, d.event_type, d.destination, d.order_key, d.nhs_number, d.subscription_ids, d.channel, d.endpoint,
       d.workflow_id, d.partner_id, d.content_type, d.body, d.idempotency_key, d.event_time, now(), now(), now() + make_interval(secs => $2::float8 / 1000), d.replay_of
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
 * Only the head of each queue (destination, patient) is due: a later event for the same patient
 * waits while an earlier one is pending. And only events below the routing watermark (the oldest
 * outbox row not yet routed, by any relay) are due, so an event routed early by one relay never
 * overtakes an earlier event for the same patient still being routed by another.
 */
export const CLAIM_DUE_SQL = `WITH watermark AS (SELECT coalesce(min(id), 9223372036854775807) AS below FROM platform.outbox WHERE delivered_at IS NULL),
          due AS MATERIALIZED (SELECT c.id FROM events.deliveries c
                                WHERE c.status = 'pending' AND c.next_attempt_at <= now()
                                  AND (c.outbox_id, c.id) = (SELECT h.outbox_id, h.id FROM events.deliveries h
                                                              WHERE h.status = 'pending' AND h.destination = c.destination AND h.order_key = c.order_key
                                                              ORDER BY h.outbox_id, h.id LIMIT 1)
                                ORDER BY c.next_attempt_at, c.id LIMIT $1 * 4)
     SELECT ${DUE_COLUMNS.replace(/(\w+)/g, 'd.$1')} FROM events.deliveries d, watermark w
      WHERE d.id = ANY(ARRAY(SELECT id FROM due)) AND d.status = 'pending' AND d.outbox_id < w.below
        AND (d.outbox_id, d.id) = (SELECT e.outbox_id, e.id FROM events.deliveries e
                                    WHERE e.status = 'pending' AND e.destination = d.destination AND e.order_key = d.order_key
                                    ORDER BY e.outbox_id, e.id LIMIT 1)
      ORDER BY d.next_attempt_at, d.id
      LIMIT $1
      FOR UPDATE OF d SKIP LOCKED`;

export async function claimDueDeliveries(tx: Queryable, limit: number): Promise<DueDelivery[]> {
  // The queue grows and drains faster than autovacuum's statistics follow: planned on a stale
  // estimate of a few rows, the claim bitmap-scans and sorts the whole backlog. An ordered read of
  // the due index is right at any size (this transaction only).
  await tx.query('SET LOCAL enable_bitmapscan = off');
  // First the earliest due queue heads (an ordered read of the due index, each candidate tested by
  // one descent of the queue-head index, until enough heads are found), then those locked. The head
  // test is a subquery per candidate, never an anti-join over every pending row: with a backlog of
  // tens of thousands that made the claim the relay's dearest statement, and the slower it got the
  // more the backlog grew. Only heads are candidates: the due followers of a queue whose head waits
  // out a backoff (a receiver that is down) must not fill the window and starve every other
  // destination. Candidates are over-read (4×): other relays hold some of them locked.
  const { rows } = await tx.query({
    name: 'events-claim-due',
    text: CLAIM_DUE_SQL,
    values: [limit],
  });
  return rows.map(dueFromRow);
}

export async function markDelivered(tx: Queryable, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(`UPDATE events.deliveries SET status = 'delivered', delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::bigint[])`, [ids]);
}

/** A failed attempt: retried after `retryInMs`, or dead-lettered when past its dead-letter time. Returns the new status. */
export async function markFailed(tx: Queryable, id: number, retryInMs: number, error: string, deadNow = false): Promise<'pending' | 'dead'> {
  const { rows } = await tx.query(
    `UPDATE events.deliveries SET attempts = attempts + 1, last_error = left($3, 500),
       status = CASE WHEN $4 OR now() >= dead_after THEN 'dead' ELSE 'pending' END,
       next_attempt_at = now() + make_interval(secs => $2::float8 / 1000)
     WHERE id = $1 RETURNING status`, [id, retryInMs, error, deadNow]);
  return rows[0]?.status ?? 'pending';
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
