import type { Queryable } from '../../../platform/db/pool.js';

/**
 * The relay's reads and writes of the platform outbox (the platform's table; the relay is its one
 * reader). `delivered_at` set means routed: the event's deliveries exist.
 */
export interface OutboxRow {
  id: number;
  eventType: string;
  source: string;
  nhsNumber?: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

const fromRow = (r: Record<string, any>): OutboxRow =>
  ({ id: r.id, eventType: r.event_type, source: r.source, nhsNumber: r.nhs_number ?? undefined, payload: r.payload, createdAt: r.created_at });

/**
 * Claims unrouted rows from `fromId` on, in id order, and marks them routed in the same statement:
 * the caller's transaction makes their deliveries before it commits, or rolls back and leaves them
 * unrouted. Rows another relay holds are skipped.
 */
export async function claimUnrouted(tx: Queryable, limit: number, fromId: number): Promise<OutboxRow[]> {
  const { rows } = await tx.query({
    name: 'events-claim-unrouted',
    text: `WITH due AS (
             SELECT id FROM platform.outbox WHERE delivered_at IS NULL AND id >= $2 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
           UPDATE platform.outbox o SET delivered_at = now(), attempts = o.attempts + 1 FROM due WHERE o.id = due.id
           RETURNING o.id, o.event_type, o.source, o.nhs_number, o.payload, o.created_at`,
    values: [limit, fromId],
  });
  // RETURNING keeps no order.
  return rows.map(fromRow).sort((a, b) => a.id - b.id);
}

/** Routed rows from a point in time (replay), in id order, after a cursor. */
export async function routedSince(db: Queryable, since: Date, afterId: number, limit: number): Promise<OutboxRow[]> {
  const { rows } = await db.query(
    `SELECT id, event_type, source, nhs_number, payload, created_at FROM platform.outbox
      WHERE created_at >= $1 AND id > $2 AND delivered_at IS NOT NULL ORDER BY id LIMIT $3`, [since, afterId, limit]);
  return rows.map(fromRow);
}
