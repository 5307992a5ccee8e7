import { isUuid } from '../../platform/uuids.js';
import copyStreams from 'pg-copy-streams';
import type { Db, Queryable } from '../../platform/db/pool.js';
import { CopyBinaryReader } from './copy-binary.js';

/** The export service's only SQL. */

export type JobState = 'accepted' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface ExportJob {
  id: string;
  appId: string;
  requestUrl: string;
  types: string[];
  since?: Date;
  state: JobState;
  transactionTime: Date;
  attempts: number;
  progress: Record<string, number>;
  failure?: string;
  requestedBy: Record<string, unknown>;
  expiresAt: Date;
}

export interface ExportFile {
  fileNo: number;
  type: string;
  count: number;
  bytes: number;
  segments: number;
}

const jobOf = (r: Record<string, any>): ExportJob => ({
  id: r.id, appId: r.app_id, requestUrl: r.request_url, types: r.types, since: r.since ?? undefined, state: r.state,
  transactionTime: r.transaction_time, attempts: r.attempts, progress: r.progress, failure: r.failure ?? undefined,
  requestedBy: r.requested_by, expiresAt: r.expires_at,
});

export async function insertJob(db: Queryable, job: Omit<ExportJob, 'state' | 'attempts' | 'progress'>, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO export.jobs (id, app_id, request_url, types, since, state, transaction_time, requested_by, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, 'accepted', $6, $7, $8, $9)`,
    [job.id, job.appId, job.requestUrl, job.types, job.since ?? null, job.transactionTime, JSON.stringify(job.requestedBy), now, job.expiresAt]);
}


export async function findJob(db: Queryable, id: string): Promise<ExportJob | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query('SELECT * FROM export.jobs WHERE id = $1', [id]);
  return rows[0] ? jobOf(rows[0]) : undefined;
}

/** The oldest job nobody is working on (new, or its worker's lease ran out), claimed for `leaseMs`. */
export async function claimNextJob(db: Queryable, now: Date, leaseMs: number, maxAttempts: number): Promise<ExportJob | undefined> {
  const { rows } = await db.query(
    `UPDATE export.jobs SET state = 'running', attempts = attempts + 1, claimed_until = $1::timestamptz + make_interval(secs => $2::double precision / 1000)
      WHERE id = (SELECT id FROM export.jobs
                   WHERE state IN ('accepted', 'running') AND (claimed_until IS NULL OR claimed_until < $1) AND attempts < $3
                   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING *`, [now, leaseMs, maxAttempts]);
  return rows[0] ? jobOf(rows[0]) : undefined;
}

/** Jobs whose every attempt failed to finish: failed, with why. */
export async function failAbandonedJobs(db: Queryable, now: Date, maxAttempts: number): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE export.jobs SET state = 'failed', failure = COALESCE(failure, 'the export did not finish after ' || attempts || ' attempts'), claimed_until = NULL
      WHERE state IN ('accepted', 'running') AND attempts >= $2 AND (claimed_until IS NULL OR claimed_until < $1)`, [now, maxAttempts]);
  return rowCount ?? 0;
}

/** Renews the lease and records progress; false when the job was cancelled (or taken over) meanwhile. */
export async function heartbeat(db: Queryable, id: string, progress: Record<string, number>, now: Date, leaseMs: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE export.jobs SET progress = $2, claimed_until = $3::timestamptz + make_interval(secs => $4::double precision / 1000)
      WHERE id = $1 AND state = 'running'`, [id, JSON.stringify(progress), now, leaseMs]);
  return rowCount === 1;
}

/** A file's segments from `firstSegmentNo` on, in one statement (prepared once per number of segments). */
export async function insertSegments(db: Queryable, jobId: string, fileNo: number, firstSegmentNo: number, segments: Buffer[]): Promise<void> {
  const rows = segments.map((_, i) => `($1, $2, $3::integer + ${i}, $${i + 4})`).join(', ');
  await db.query({
    name: `export_insert_segments_${segments.length}`,
    text: `INSERT INTO export.segments (job_id, file_no, segment_no, data) VALUES ${rows}`,
    values: [jobId, fileNo, firstSegmentNo, ...segments],
  });
}

export async function deleteSegments(db: Queryable, jobId: string): Promise<void> {
  await db.query('DELETE FROM export.segments WHERE job_id = $1', [jobId]);
}

/**
 * The segments of a job that will never be served (cancelled, or failed): what its runner wrote
 * after the cancel removed its files. Nothing of a job in any other state (one another process has
 * taken up, or completed, keeps its own).
 */
export async function deleteSegmentsOfStoppedJob(db: Queryable, jobId: string): Promise<void> {
  await db.query(
    `DELETE FROM export.segments WHERE job_id = $1 AND EXISTS (SELECT 1 FROM export.jobs WHERE id = $1 AND state IN ('cancelled', 'failed'))`, [jobId]);
}

export async function completeJob(db: Queryable, id: string, files: ExportFile[], progress: Record<string, number>, now: Date): Promise<void> {
  for (const f of files) {
    await db.query('INSERT INTO export.files (job_id, file_no, type, count, bytes, segments) VALUES ($1, $2, $3, $4, $5, $6)',
      [id, f.fileNo, f.type, f.count, f.bytes, f.segments]);
  }
  await db.query(`UPDATE export.jobs SET state = 'completed', progress = $2, completed_at = $3, claimed_until = NULL WHERE id = $1`, [id, JSON.stringify(progress), now]);
}

/** A running job its process gave up on shutting down: claimable again at once, the attempt not counted. */
export async function releaseJob(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE export.jobs SET claimed_until = NULL, attempts = greatest(attempts - 1, 0) WHERE id = $1 AND state = 'running'`, [id]);
}

export async function failJob(db: Queryable, id: string, failure: string): Promise<void> {
  await db.query(`UPDATE export.jobs SET state = 'failed', failure = $2, claimed_until = NULL WHERE id = $1 AND state = 'running'`, [id, failure]);
}

/**
 * DELETE on the status URL: the job stops (its runner sees it at the next heartbeat) and its files
 * go, in one statement. As three, a fault after the first left the job cancelled with its files
 * still stored, and the client's retry was 404 (a cancelled job is gone to it), so nothing removed
 * them until the job expired.
 */
export async function cancelJob(db: Queryable, id: string): Promise<void> {
  await db.query(
    `WITH cancelled AS (UPDATE export.jobs SET state = 'cancelled', claimed_until = NULL WHERE id = $1),
          files AS (DELETE FROM export.files WHERE job_id = $1)
     DELETE FROM export.segments WHERE job_id = $1`, [id]);
}

export async function listFiles(db: Queryable, jobId: string): Promise<ExportFile[]> {
  const { rows } = await db.query('SELECT file_no, type, count, bytes, segments FROM export.files WHERE job_id = $1 ORDER BY file_no', [jobId]);
  return rows.map((r) => ({ fileNo: r.file_no, type: r.type, count: Number(r.count), bytes: Number(r.bytes), segments: r.segments }));
}

/**
 * The bytes of a file's segments `from` to `to - 1`, in order, as they stream in: a binary COPY on a
 * connection of its own, read only as fast as the caller takes the bytes (the connection's socket
 * is paused meanwhile, so PostgreSQL waits), and never gathered into whole values. Throws if a
 * segment is missing. A caller that stops early closes the connection (it is mid-COPY).
 */
export async function* streamSegments(db: Db, jobId: string, fileNo: number, from: number, to: number): AsyncGenerator<Buffer> {
  // COPY takes no parameters: the values written into it are a UUID and whole numbers, checked here.
  if (!isUuid(jobId) || ![fileNo, from, to].every(Number.isSafeInteger)) throw new Error(`no segments ${jobId}/${fileNo}/${from}..${to}`);
  const copy = copyStreams.to(`COPY (SELECT data FROM export.segments WHERE job_id = '${jobId}' AND file_no = ${fileNo}
    AND segment_no >= ${from} AND segment_no < ${to} ORDER BY segment_no) TO STDOUT (FORMAT binary)`);
  const client = await db.pool.connect();
  let finished = false;
  try {
    const reader = new CopyBinaryReader();
    for await (const chunk of client.query(copy) as AsyncIterable<Buffer>) yield* reader.read(chunk);
    reader.end();
    if (reader.rows !== to - from) throw new Error(`export ${jobId} file ${fileNo} lost a segment in ${from}..${to - 1}`);
    finished = true;
  } finally {
    client.release(finished ? undefined : new Error('export download stopped mid-COPY'));
  }
}

/**
 * Expired jobs and their files (which cascade) and segments, a few at a time, in one statement.
 * Segments have no foreign key (they are written before their file is recorded): deleted after
 * their job in a statement of their own, a fault between the two left them stored for ever, with
 * no job left to expire.
 */
export async function deleteExpiredJobs(db: Queryable, now: Date): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `WITH expired AS (DELETE FROM export.jobs WHERE id IN (SELECT id FROM export.jobs WHERE expires_at < $1 LIMIT 100) RETURNING id),
          segments AS (DELETE FROM export.segments WHERE job_id IN (SELECT id FROM expired))
     SELECT count(*)::int AS n FROM expired`, [now]);
  return rows[0]!.n;
}
