import type { Logger } from 'pino';
import type { BackgroundWorker } from './service.js';

/**
 * Runs `job` every `intervalMs` while the Spine serves, one run at a time: the next run starts
 * `intervalMs` after the last one ended, so a slow run never overlaps the next. A failed run is
 * logged and the next one tries again. `stop` waits for the run in progress, so no job touches
 * the database after the pool has closed.
 */
export function startPeriodic(log: Logger, what: string, intervalMs: number, job: () => Promise<unknown>): BackgroundWorker {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    running = job()
      .catch((err: unknown) => log.warn({ err }, `${what} failed; the next run tries again`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs).unref();
      });
  };
  timer = setTimeout(tick, intervalMs).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
