import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { PlatformContext } from '../../platform/service.js';
import { ExportStopped, type ExportCounts, type ExportResult } from './run-export.js';
import type { ExportJob } from './store.js';

/**
 * Runs one export's data work (`run-export.ts`) in a worker thread with a heap of its own. An export
 * turns every resource into a string that outlives a page's database round trips, so in the serving
 * heap they were promoted to old space at about 20 MB/s and stayed until V8's next full collection,
 * which a large heap limit put off for hundreds of megabytes. The thread's old generation is capped
 * instead (RESOURCE_LIMITS), so V8 collects it as it goes while its live data (a page, a segment)
 * stays a few megabytes; the serving heap never sees the garbage, and the thread and its memory go
 * when the export ends. The job's lease, state and audit stay with the runner (`worker.ts`), which
 * answers every page's progress report with whether to go on.
 */
export interface ThreadData {
  job: ExportJob;
  database: { connectionString: string; connectTimeoutMs?: number; statementTimeoutMs?: number };
}
export type ThreadReport =
  | { kind: 'progress'; counts: ExportCounts }
  | ({ kind: 'done' } & ExportResult)
  | { kind: 'failed'; stopped: boolean; message: string };
export type ThreadReply = 'go on' | 'stop';

// The thread's live data is its modules (a few MB) and about one page (PAGE_BYTES of records and
// their row objects); 32 MB is several times that, and the cap makes V8 collect the garbage early
// rather than let it grow (64 MB cost ~30 MB more RSS on the million-patient bench for nothing).
// A thread over it fails the attempt.
export const RESOURCE_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 };
// A stop is seen at the next page's report; a thread stuck longer than this (a statement with no
// timeout) is terminated, its connections closing with it.
const STOP_GRACE_MS = 15_000;

function startThread(data: ThreadData): Worker {
  const options = { workerData: data, resourceLimits: RESOURCE_LIMITS };
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Run from source (the tests, under tsx): a thread does not inherit tsx's loader, so it loads it first.
    const body = new URL('./export-thread.ts', here).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    return new Worker(`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(body)}); });`, { ...options, eval: true });
  }
  return new Worker(new URL('./export-thread.js', here), options);
}

/**
 * The export of `job` in a thread of its own: resolves with its files and counts, or rejects with
 * ExportStopped when `carryOn` said no or `stopping` was aborted (checked at every page), or with
 * what went wrong. Either way the thread has exited by then.
 */
export function runExportInThread(ctx: PlatformContext, job: ExportJob, carryOn: (counts: ExportCounts) => Promise<boolean>, stopping: AbortSignal): Promise<ExportResult> {
  const pool = ctx.db.pool.options;
  const worker = startThread({
    job,
    database: { connectionString: pool.connectionString!, connectTimeoutMs: pool.connectionTimeoutMillis, statementTimeoutMs: pool.statement_timeout || undefined },
  });
  return new Promise((resolve, reject) => {
    let outcome: { result: ExportResult } | { error: unknown } | undefined;
    let stuck: NodeJS.Timeout | undefined;
    const onStopping = () => { stuck = setTimeout(() => void worker.terminate(), STOP_GRACE_MS).unref(); };
    stopping.addEventListener('abort', onStopping, { once: true });
    const reply = (answer: ThreadReply) => worker.postMessage(answer);
    worker.on('message', (message: ThreadReport) => {
      if (message.kind === 'progress') {
        if (stopping.aborted) reply('stop');
        else carryOn(message.counts).then((go) => reply(go ? 'go on' : 'stop'), (err: unknown) => { outcome ??= { error: err }; reply('stop'); });
      } else if (message.kind === 'done') {
        outcome ??= { result: { files: message.files, counts: message.counts } };
      } else {
        outcome ??= { error: message.stopped ? new ExportStopped(`export ${job.id} stopped`) : new Error(`export ${job.id} failed in its thread: ${message.message}`) };
      }
    });
    worker.on('error', (err) => { outcome ??= { error: err }; });
    worker.on('exit', (code) => {
      clearTimeout(stuck);
      stopping.removeEventListener('abort', onStopping);
      if (outcome && 'result' in outcome) resolve(outcome.result);
      else reject(outcome?.error ?? (stopping.aborted ? new ExportStopped(`export ${job.id} stopped`) : new Error(`export ${job.id}: its thread exited (${code}) unfinished`)));
    });
  });
}
