import type { BackgroundWorker, PlatformContext } from '../../../platform/service.js';
import { startPeriodic } from '../../../platform/periodic.js';
import { deleteReplaysBefore } from '../replay-store.js';

/**
 * The first answer to each state change is kept so that a retry with the same X-Request-ID gets it
 * (`answerOnce`), but only for `epsReplayRetentionHours`: a retry comes within minutes or hours of
 * its request, and a release's answer holds the whole signed order, so keeping them all would grow
 * the table without bound. Past the window an answer is neither replayed nor blocks its key (a
 * request reusing the id is a new request), whether or not the pruner has deleted it yet.
 */

const HOUR_MS = 3_600_000;

/** The oldest kept answer still given to a retry at `now`. */
export function replayWindowStart(ctx: PlatformContext, now = ctx.clock.now()): Date {
  return new Date(now.getTime() - ctx.config.epsReplayRetentionHours * HOUR_MS);
}

/** Deletes every kept answer past the retention window, in batches; returns how many went. */
export function pruneReplays(ctx: PlatformContext): Promise<number> {
  return deleteReplaysBefore(ctx.db, replayWindowStart(ctx));
}

/** Prunes every `intervalMs`; the window is kept by the reads and the insert meanwhile, so the interval only bounds the table's excess. */
export function startReplayPruner(ctx: PlatformContext, intervalMs = 10 * 60_000): BackgroundWorker {
  return startPeriodic(ctx.log, 'EPS replay pruning', intervalMs, () => pruneReplays(ctx));
}
