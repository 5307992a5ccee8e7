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

/** Unrouted rows in id order, locked for the caller's transaction; rows another relay holds are skipped. */
export async function claimUnrouted(tx: Queryable, limit: number): Promise<OutboxRow[]> {
  const { rows } = await tx.query(
    `SELECT id, event_type, source, nhs_number, payload, created_at FROM platform.outbox
      WHERE delivered_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, [limit]);
  return rows.map(fromRow);
}

export async function markRouted(tx: Queryable, ids: number[]): Promise<void> {
  await tx.query('UPDATE platform.outbox SET delivered_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])', [ids]);
}

/** Routed rows from a point in time (replay), in id order, after a cursor. */
export async function routedSince(db: Queryable, since: Date, afterId: number, limit: number): Promise<OutboxRow[]> {
  const { rows } = await db.query(
    `SELECT id, event_type, source, nhs_number, payload, created_at FROM platform.outbox
      WHERE created_at >= $1 AND id > $2 AND delivered_at IS NOT NULL ORDER BY id LIMIT $3`, [since, afterId, limit]);
  return rows.map(fromRow);
}
