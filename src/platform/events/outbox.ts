import type { Queryable } from '../db/pool.js';
import type { Statement } from '../db/write-batch.js';

/** A national event others must hear about (NEMS-style): written in the same transaction as the change. */
export interface OutboxEvent {
  /** e.g. 'pds-death-notification', 'pds-change-of-gp', 'mesh-message-sent'. */
  type: string;
  /** The service that raised it. */
  source: string;
  nhsNumber?: string;
  payload: Record<string, unknown>;
}

/** Call with the transaction's client: the event commits or rolls back with the change it describes. */
export async function enqueueEvent(tx: Queryable, event: OutboxEvent): Promise<void> {
  await tx.query(eventStatement(event));
}

/** The event's INSERT, for a transaction that sends its writes together (`WriteBatch`). */
export function eventStatement(event: OutboxEvent): Statement {
  return {
    text: 'INSERT INTO platform.outbox (event_type, source, nhs_number, payload) VALUES ($1, $2, $3, $4)',
    values: [event.type, event.source, event.nhsNumber ?? null, event.payload],
  };
}

/**
 * The outbox INSERT for a service that writes its change and the change's event in one statement
 * (a data-modifying CTE, no explicit transaction): `select` yields event_type, source, nhs_number
 * and payload (jsonb), in that order, e.g. from the CTE that made the change.
 */
export function outboxInsertFrom(select: string): string {
  return `INSERT INTO platform.outbox (event_type, source, nhs_number, payload) ${select}`;
}
