import { parentPort, workerData } from 'node:worker_threads';
import { createDb } from '../../platform/db/pool.js';
import { ExportStopped, runExport, type ExportCounts } from './run-export.js';
import type { ThreadData, ThreadReport, ThreadReply } from './thread.js';

/**
 * The body of an export's thread (started by `thread.ts`): the job's data read, filtered and
 * written over a small pool of its own, on the same database with the serving pool's timeouts and
 * fault handling. It reports to the runner after every page and goes on only when told to.
 */
const { job, database } = workerData as ThreadData;
const port = parentPort!;
const db = createDb(database.connectionString, { max: 2, connectTimeoutMs: database.connectTimeoutMs, statementTimeoutMs: database.statementTimeoutMs });
const report = (message: ThreadReport) => port.postMessage(message);

let answer: ((reply: ThreadReply) => void) | undefined;
port.on('message', (reply: ThreadReply) => {
  const waiting = answer;
  answer = undefined;
  waiting?.(reply);
});

const beat = (counts: ExportCounts) => new Promise<void>((resolve, reject) => {
  answer = (reply) => (reply === 'go on' ? resolve() : reject(new ExportStopped(`export ${job.id} stopped`)));
  report({ kind: 'progress', counts });
});

try {
  report({ kind: 'done', ...(await runExport(db, job, beat)) });
} catch (err) {
  report({ kind: 'failed', stopped: err instanceof ExportStopped, message: err instanceof Error ? err.stack ?? err.message : String(err) });
} finally {
  await db.close().catch(() => undefined);
  port.close();
}
