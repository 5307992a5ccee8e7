import type { BackgroundWorker, PlatformContext } from '../../platform/service.js';
import { ExportCancelled, LEASE_MS, runExport } from './run-export.js';
import { claimNextJob, deleteExpiredJobs, failAbandonedJobs, failJob } from './store.js';

/**
 * Runs export jobs one at a time per process (an export's memory is bounded; several at once
 * would multiply it). Jobs are claimed with a lease, so processes share them and a job whose
 * process died is taken up again by another after LEASE_MS; after MAX_ATTEMPTS it is failed.
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
        const counts = await runExport(ctx, job);
        await ctx.audit.record({
          requestId: job.id, action: 'export.complete', resource: `$export/${job.id}`, nhsNumbers: [], outcome: 'success',
          appId: job.appId, appName: job.requestedBy.appName as string | undefined, userId: job.requestedBy.userId as string | undefined,
          odsCode: job.requestedBy.odsCode as string | undefined, detail: { ...counts, ms: Date.now() - started },
        });
        ctx.log.info({ job: job.id, ...counts, ms: Date.now() - started }, 'bulk export completed');
      } catch (err) {
        if (err instanceof ExportCancelled) continue;
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
    wake: () => setImmediate(tick),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await busy;
    },
  };
}
