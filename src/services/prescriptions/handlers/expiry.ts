import type { BackgroundWorker, PlatformContext } from '../../../platform/service.js';
import { startPeriodic } from '../../../platform/periodic.js';
import type { EpsCaller } from '../caller.js';
import { lockExpired } from '../store.js';
import { recordTransition } from './record.js';
import { WriteBatch } from '../../../platform/db/write-batch.js';

/**
 * Prescriptions expire at the end of their validity (`valid_until`): an acute one (dispensed once)
 * 6 months after its appropriate date, 28 days for a schedule 2–4 controlled drug (validity.ts); a
 * repeat-dispensing one's current issue at the end of its `dispenseRequest.validityPeriod.end`. One
 * not yet dispensed by then (to be dispensed, with a dispenser, or part-dispensed) is expired (0004),
 * its open items too (0006), and no further issue follows. Each expiry is a transition like any
 * other: its history entry and outbox event in its transaction, audited once committed. Any number
 * of processes may sweep at once (SKIP LOCKED).
 */
const BATCH = 100;
/** The Spine itself, as the actor of the expiry (NHS England's Spine ODS code, as its responses name it). */
const SPINE: EpsCaller = { appId: 'openspine', odsCode: 'X2601', sandbox: false };

export async function expireLapsedIssues(ctx: PlatformContext): Promise<number> {
  const now = ctx.clock.now();
  let expired = 0;
  for (;;) {
    const done: Array<{ shortFormId: string; nhsNumber: string; issue: number }> = [];
    const more = await ctx.db.tx(async (tx) => {
      const { locked: rows, foundAll } = await lockExpired(tx, now, BATCH);
      const writes = new WriteBatch();
      for (const row of rows) {
        const recorded = recordTransition(ctx, writes, row, { type: 'expire' }, SPINE, { event: 'expired' });
        if (recorded.ok) done.push({ shortFormId: row.shortFormId, nhsNumber: row.nhsNumber, issue: row.state.repeat?.issue ?? 1 });
      }
      await writes.run(tx);
      // Another round while there may be more and this one expired some. Not only after a whole batch
      // expired: sweeps in several processes at once share a batch's rows between them (SKIP LOCKED),
      // and each stopped at its share, leaving the rest of the lapsed to the next sweep a minute later.
      return !foundAll && done.length > 0;
    });
    for (const e of done) {
      await ctx.audit.record({
        requestId: `eps-expiry-${now.toISOString()}`, action: 'prescription.expire', resource: `Prescription/${e.shortFormId}`,
        nhsNumbers: [e.nhsNumber], outcome: 'success', detail: { prescriptions: [e.shortFormId], issue: e.issue, status: 'expired' },
      });
    }
    expired += done.length;
    if (!more) return expired;
  }
}

/**
 * Sweeps every `intervalMs`. Not in sandbox mode: NHS England's sandbox keeps no state, and the
 * examples suppliers replay there are valid only until 2021–2023.
 */
export function startIssueExpiryWorker(ctx: PlatformContext, intervalMs = 60_000): BackgroundWorker[] {
  if (ctx.config.sandbox) return [];
  return [startPeriodic(ctx.log, 'EPS prescription expiry', intervalMs, () => expireLapsedIssues(ctx))];
}
