import type { WriteBatch } from '../../../platform/db/write-batch.js';
import { eventStatement } from '../../../platform/events/outbox.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { EpsCaller } from '../caller.js';
import { issueOf, transitionAt, type LifecycleEvent, type PrescriptionState, type TransitionRefusal, type CancellationResponse, type IssueChange } from '../domain/lifecycle.js';
import { historyStatement, stateStatement, type PrescriptionRow } from '../store.js';

export type Recorded =
  | { ok: true; state: PrescriptionState; cancellation?: CancellationResponse; issues?: IssueChange[] }
  | { ok: false; refusal: TransitionRefusal; diagnostics: string; expression?: string };

/**
 * Applies a lifecycle event to a prescription: the pure transition (at the time of the call), then (when allowed) the
 * new state, its history entry and its outbox event, added to the transaction's `writes`.
 */
export function recordTransition(
  ctx: PlatformContext, writes: WriteBatch, row: PrescriptionRow, event: LifecycleEvent, caller: EpsCaller,
  history: { event: string; actorOds?: string; messageText?: string },
): Recorded {
  const now = ctx.clock.now();
  // Decided on the prescription as it stands now: one whose validity has ended is expired, swept or not
  // (none in sandbox mode, where the examples' validity ended years ago: the expiry sweep does not run).
  const next = transitionAt(row.state, event, ctx.config.sandbox ? undefined : now, row.validUntil);
  if (!next.ok) return next;
  // Written only over the version decided from: a change made since undoes the whole batch (answerOnce decides again).
  writes.add(stateStatement(row, next.state, now), 1);
  // Most changes are about the issue at hand; a repeat issue dispensed also makes the next one available.
  const changes = next.issues ?? [{ issue: issueOf(row.state), status: next.state.status }];
  for (const change of changes) {
    const event = change.event ?? history.event;
    writes.add(historyStatement(row, {
      event, issue: change.issue, status: change.status, actorOds: change.event ? undefined : history.actorOds ?? caller.odsCode, actorUser: caller.userId,
      requestId: caller.requestId, messageText: change.event ? undefined : history.messageText,
    }, now));
    writes.add(eventStatement({
      type: `eps-prescription-${event}`,
      source: 'prescriptions',
      nhsNumber: row.nhsNumber,
      payload: {
        shortFormId: row.shortFormId, status: change.status, at: now.toISOString(),
        // An issue done with has left the dispenser's hands in the new state: the event names who dispensed it.
        dispenser: next.state.dispenser ?? (next.issues && !change.event ? row.state.dispenser : undefined) ?? null,
        ...(next.state.repeat ? { issue: change.issue, issues: next.state.repeat.issues } : {}),
      },
    }));
  }
  return next;
}
