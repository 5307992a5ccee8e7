import type { BackgroundWorker, PlatformContext } from '../../platform/service.js';
import { ExportStopped, LEASE_MS } from './run-export.js';
import { runExportInThread } from './thread.js';
import { claimNextJob, completeJob, deleteExpiredJobs, deleteSegmentsOfStoppedJob, failAbandonedJobs, failJob, heartbeat, releaseJob } from './store.js';

/**
 * Runs export jobs one at a time per process (an export's memory is bounded; several at once
 * would multiply it), each in a thread of its own (`thread.ts`). Jobs are claimed with a lease,
 * renewed at every page, so processes share them and a job whose process died is taken up again
 * by another after LEASE_MS; after MAX_ATTEMPTS it is failed. A process shutting down stops its
 * export at the next page and gives the job back, so another takes it up at once.
 */
const MAX_ATTEMPTS = 3;

export interface ExportRunner extends BackgroundWorker {
  /** Looks for work now (after a kick-off) instead of at the next poll. */
  wake(): void;
}

export function startExportRunner(ctx: PlatformContext, pollMs = 2_000): ExportRunner {
  let stopped = false;
  let busy: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const stopping = new AbortController();

  async function drain() {
    for (;;) {
      if (stopped) return;
      const now = ctx.clock.now();
      await failAbandonedJobs(ctx.db, now, MAX_ATTEMPTS);
      await deleteExpiredJobs(ctx.db, now);
      const job = await claimNextJob(ctx.db, now, LEASE_MS, MAX_ATTEMPTS);
      if (!job) return;
      const started = Date.now();
      try {
        const renewLease = (progress: Record<string, number>) => heartbeat(ctx.db, job.id, progress, ctx.clock.now(), LEASE_MS);
        const { files, counts } = await runExportInThread(ctx, job, renewLease, stopping.signal);
        await ctx.db.tx(async (tx) => completeJob(tx, job.id, files, counts, ctx.clock.now()));
        await ctx.audit.record({
          requestId: job.id, action: 'export.complete', resource: `$export/${job.id}`, nhsNumbers: [], outcome: 'success',
          appId: job.appId, appName: job.requestedBy.appName as string | undefined, userId: job.requestedBy.userId as string | undefined,
          odsCode: job.requestedBy.odsCode as string | undefined, detail: { ...counts, ms: Date.now() - started },
        });
        ctx.log.info({ job: job.id, ...counts, ms: Date.now() - started }, 'bulk export completed');
      } catch (err) {
        if (err instanceof ExportStopped) {
          // Shutting down: the job is given back. Cancelled by its client (or failed as abandoned):
          // what the thread wrote after the cancel removed the job's files goes too, rather than
          // stay stored until the job expires; on to the next job.
          if (stopping.signal.aborted) await releaseJob(ctx.db, job.id).catch((e) => ctx.log.warn({ err: e, job: job.id }, 'bulk export not given back: taken up when its lease ends'));
          else await deleteSegmentsOfStoppedJob(ctx.db, job.id).catch((e) => ctx.log.warn({ err: e, job: job.id }, 'a stopped bulk export\'s segments not removed: they go when the job expires'));
          continue;
        }
        ctx.log.warn({ err, job: job.id, attempt: job.attempts }, 'bulk export attempt failed');
        if (job.attempts >= MAX_ATTEMPTS) await failJob(ctx.db, job.id, 'the export failed; start a new one').catch(() => undefined);
        // Otherwise its lease runs out and a process takes it up again.
        return;
      }
    }
  }

  function tick() {
    if (stopped) return;
    if (busy) { again = true; return; }
    busy = drain()
      .catch((err) => ctx.log.warn({ err }, 'bulk export runner: will retry'))
      .finally(() => {
        busy = undefined;
        if (again) { again = false; tick(); }
      });
  }
  timer = setInterval(tick, pollMs).unref();
  return {
    wake: () => { setImmediate(tick); },
    async stop() {
      stopped = true;
      stopping.abort();
      if (timer) clearInterval(timer);
      await busy;
    },
  };
}
