import type { Queryable } from '../../../platform/db/pool.js';
import { enqueueEvent } from '../../../platform/events/outbox.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { EpsCaller } from '../caller.js';
import { transition, type LifecycleEvent, type PrescriptionState, type TransitionRefusal, type CancellationResponse } from '../domain/lifecycle.js';
import type { Json } from '../domain/fhir.js';
import { appendHistory, saveState, type PrescriptionRow } from '../store.js';

export type Recorded =
  | { ok: true; state: PrescriptionState; cancellation?: CancellationResponse }
  | { ok: false; refusal: TransitionRefusal; diagnostics: string };

/**
 * Applies a lifecycle event to a locked prescription: the pure transition, then (when allowed) the
 * new state, its history entry and its outbox event, all in the caller's transaction.
 */
export async function recordTransition(
  ctx: PlatformContext, tx: Queryable, row: PrescriptionRow, event: LifecycleEvent, caller: EpsCaller,
  history: { event: string; actorOds?: string; message?: Json },
): Promise<Recorded> {
  const next = transition(row.state, event);
  if (!next.ok) return next;
  const now = ctx.clock.now();
  await saveState(tx, row, next.state, now);
  await appendHistory(tx, row, {
    event: history.event, status: next.state.status, actorOds: history.actorOds ?? caller.odsCode, actorUser: caller.userId,
    requestId: caller.requestId, message: history.message,
  }, now);
  await enqueueEvent(tx, {
    type: `eps-prescription-${history.event}`,
    source: 'prescriptions',
    nhsNumber: row.nhsNumber,
    payload: { shortFormId: row.shortFormId, status: next.state.status, dispenser: next.state.dispenser ?? null, at: now.toISOString() },
  });
  return next;
}
