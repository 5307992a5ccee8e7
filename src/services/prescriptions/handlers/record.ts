import type { Queryable } from '../../../platform/db/pool.js';
import { enqueueEvent } from '../../../platform/events/outbox.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { EpsCaller } from '../caller.js';
import { issueOf, transition, type LifecycleEvent, type PrescriptionState, type TransitionRefusal, type CancellationResponse, type IssueChange } from '../domain/lifecycle.js';
import type { Json } from '../domain/fhir.js';
import { appendHistory, saveState, type PrescriptionRow } from '../store.js';

export type Recorded =
  | { ok: true; state: PrescriptionState; cancellation?: CancellationResponse; issues?: IssueChange[] }
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
  // Most changes are about the issue at hand; a repeat issue dispensed also makes the next one available.
  const changes = next.issues ?? [{ issue: issueOf(row.state), status: next.state.status }];
  for (const change of changes) {
    const event = change.event ?? history.event;
    await appendHistory(tx, row, {
      event, issue: change.issue, status: change.status, actorOds: change.event ? undefined : history.actorOds ?? caller.odsCode, actorUser: caller.userId,
      requestId: caller.requestId, message: change.event ? undefined : history.message,
    }, now);
    await enqueueEvent(tx, {
      type: `eps-prescription-${event}`,
      source: 'prescriptions',
      nhsNumber: row.nhsNumber,
      payload: {
        shortFormId: row.shortFormId, status: change.status, at: now.toISOString(),
        // An issue done with has left the dispenser's hands in the new state: the event names who dispensed it.
        dispenser: next.state.dispenser ?? (next.issues && !change.event ? row.state.dispenser : undefined) ?? null,
        ...(next.state.repeat ? { issue: change.issue, issues: next.state.repeat.issues } : {}),
      },
    });
  }
  return next;
}
