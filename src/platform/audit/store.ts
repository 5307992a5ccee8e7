import type { Queryable } from '../db/pool.js';
import { appendToChain, type AuditRecord, type ChainHead, type ChainedRecord } from './chain.js';

/** The only SQL on the audit tables: appending to the chain, reading it back, searching it. */

interface EventRow {
  seq: number;
  recorded_at: Date;
  request_id: string;
  action: string;
  resource: string | null;
  nhs_numbers: string[];
  outcome: ChainedRecord['outcome'];
  app_id: string | null;
  app_name: string | null;
  user_id: string | null;
  role_profile_id: string | null;
  role_code: string | null;
  ods_code: string | null;
  client_address: string | null;
  detail: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

const EVENT_COLUMNS = `seq, recorded_at, request_id, action, resource, nhs_numbers, outcome, app_id, app_name,
  user_id, role_profile_id, role_code, ods_code, client_address, detail, prev_hash, hash`;

function toRecord(row: EventRow): ChainedRecord {
  return {
    seq: row.seq,
    recordedAt: row.recorded_at.toISOString(),
    requestId: row.request_id,
    action: row.action,
    resource: row.resource,
    nhsNumbers: row.nhs_numbers,
    outcome: row.outcome,
    appId: row.app_id,
    appName: row.app_name,
    userId: row.user_id,
    roleProfileId: row.role_profile_id,
    roleCode: row.role_code,
    odsCode: row.ods_code,
    clientAddress: row.client_address,
    detail: row.detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function toRow(record: ChainedRecord): Omit<EventRow, 'recorded_at'> & { recorded_at: string } {
  return {
    seq: record.seq, recorded_at: record.recordedAt, request_id: record.requestId, action: record.action,
    resource: record.resource, nhs_numbers: record.nhsNumbers, outcome: record.outcome, app_id: record.appId,
    app_name: record.appName, user_id: record.userId, role_profile_id: record.roleProfileId, role_code: record.roleCode,
    ods_code: record.odsCode, client_address: record.clientAddress, detail: record.detail,
    prev_hash: record.prevHash, hash: record.hash,
  };
}

// One statement, so one round trip and one implicit transaction: the head moves only if it is still
// where the writer last saw it ($4, $5), and the batch is inserted only if the head moved. Another
// process that appended in between makes it insert nothing; the writer then re-reads the head.
const APPEND_IF_HEAD_UNMOVED = {
  name: 'audit_append_if_head_unmoved',
  text: `WITH moved AS (
      UPDATE audit.chain_head SET seq = $2, hash = $3 WHERE seq = $4 AND hash = $5 RETURNING 1),
    appended AS (
      INSERT INTO audit.events (${EVENT_COLUMNS})
      SELECT ${EVENT_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS r(
        seq bigint, recorded_at timestamptz, request_id text, action text, resource text, nhs_numbers text[],
        outcome text, app_id text, app_name text, user_id text, role_profile_id text, role_code text, ods_code text,
        client_address text, detail jsonb, prev_hash text, hash text)
      WHERE EXISTS (SELECT 1 FROM moved)
      RETURNING 1)
    SELECT count(*)::int AS appended FROM appended`,
};

/** Gives up when other processes keep winning the head: the caller's requests then fail (503), unaudited never. */
const MAX_HEAD_RACES = 50;

/**
 * Appends records to the chain and returns the new head. With the head the writer last saw, this is
 * one round trip (one commit, one fsync) whatever the batch size; several processes sharing one
 * chain each retry on the fresh head when another got there first. The whole batch travels as one
 * jsonb parameter (no parameter-count limit).
 */
export async function appendAuditRecords(client: Queryable, records: Array<Omit<AuditRecord, 'seq'>>, lastSeen?: ChainHead): Promise<ChainHead> {
  let head = lastSeen ?? await readChainHead(client);
  for (let race = 0; race < MAX_HEAD_RACES; race++) {
    const chained = appendToChain(head, records);
    const last = chained[chained.length - 1]!;
    const { rows } = await client.query({
      ...APPEND_IF_HEAD_UNMOVED,
      values: [JSON.stringify(chained.map(toRow)), last.seq, last.hash, head.seq, head.hash],
    });
    if (rows[0]!.appended === records.length) return { seq: last.seq, hash: last.hash };
    head = await readChainHead(client);
  }
  throw new Error(`the audit chain head moved ${MAX_HEAD_RACES} times while appending: too many writers contending`);
}

/**
 * The INSERT of pending entries for a service that writes its change and the change's entry in one
 * statement (a data-modifying CTE): `select` yields one text column, the entries' stored forms
 * (`AuditWriter.pending`), e.g. joined to the CTE that made the change so only written rows count.
 */
export function pendingAuditInsertFrom(select: string): string {
  return `INSERT INTO audit.pending (record) ${select}`;
}

/** Call with the write's transaction: the entries commit, or roll back, with the write. */
export async function insertPendingAudit(tx: Queryable, records: readonly string[]): Promise<void> {
  await tx.query({ name: 'audit_pending_insert', text: pendingAuditInsertFrom('SELECT unnest($1::text[])'), values: [records] });
}

// Rows another process is chaining are skipped, not waited for; in id order, so each process
// chains its writes in about the order they were made.
const TAKE_PENDING = {
  name: 'audit_take_pending',
  text: `WITH taken AS (
           DELETE FROM audit.pending WHERE id IN (
             SELECT id FROM audit.pending ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING id, record)
         SELECT record FROM taken ORDER BY id`,
};

/** Whether any entry is pending: one cheap read, so a sweep with nothing to do costs no transaction. */
export async function anyPendingAudit(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM audit.pending) AS any');
  return rows[0]!.any;
}

/** How many entries are pending and when the oldest was made (they are outside the chain until chained). */
export async function pendingAuditSummary(db: Queryable): Promise<{ count: number; oldest: string | undefined }> {
  const { rows } = await db.query<{ count: number; oldest: string | null }>(
    `SELECT count(*)::int AS count, (SELECT record::jsonb->>'recordedAt' FROM audit.pending ORDER BY id LIMIT 1) AS oldest FROM audit.pending`);
  return { count: rows[0]!.count, oldest: rows[0]!.oldest ?? undefined };
}

/** Takes (deletes) up to `limit` pending entries, oldest first: call in the transaction that chains them. */
export async function takePendingAudit(tx: Queryable, limit: number): Promise<Array<Omit<AuditRecord, 'seq'>>> {
  const { rows } = await tx.query<{ record: string }>({ ...TAKE_PENDING, values: [limit] });
  return rows.map((row) => JSON.parse(row.record) as Omit<AuditRecord, 'seq'>);
}

export async function readChainHead(db: Queryable): Promise<ChainHead> {
  const { rows } = await db.query<ChainHead>('SELECT seq, hash FROM audit.chain_head');
  return rows[0]!;
}

/** Up to `limit` records after `afterSeq`, in seq order: keyset pages for streaming the chain. */
export async function readChainPage(db: Queryable, afterSeq: number, limit: number): Promise<ChainedRecord[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM audit.events WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit]);
  return rows.map(toRecord);
}

/** A bound on `recorded_at`: at or after, before, or outside a range (FHIR `ne`). */
export type RecordedBound =
  | { op: 'atOrAfter' | 'before'; at: Date }
  | { op: 'outside'; start: Date; end: Date };

export interface AuditSearch {
  /** One record by its sequence number. */
  seq?: number;
  nhsNumber?: string;
  /** A user id or an application id. */
  agent?: string;
  recorded?: RecordedBound[];
  /** The organisation (ODS code) the caller acted for. */
  odsCode?: string;
  /** One action, e.g. 'patient.read'. */
  action?: string;
  /** Own-activity restriction: only records by this application, and by this user of it when one is given. */
  onlyBy?: { appId: string; userId?: string };
  limit: number;
  /** Paging cursor: only records older than this seq (the total still counts every match). */
  beforeSeq?: number;
}

/** Matching records newest first, and how many match in all. */
export async function searchAuditRecords(db: Queryable, search: AuditSearch): Promise<{ records: ChainedRecord[]; total: number }> {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  if (search.seq !== undefined) where.push(`seq = ${param(search.seq)}`);
  if (search.nhsNumber !== undefined) where.push(`nhs_numbers @> ARRAY[${param(search.nhsNumber)}]::text[]`);
  if (search.agent !== undefined) {
    const agent = param(search.agent);
    where.push(`(user_id = ${agent} OR app_id = ${agent})`);
  }
  if (search.odsCode !== undefined) where.push(`ods_code = ${param(search.odsCode)}`);
  if (search.action !== undefined) where.push(`action = ${param(search.action)}`);
  for (const bound of search.recorded ?? []) {
    if (bound.op === 'atOrAfter') where.push(`recorded_at >= ${param(bound.at)}`);
    else if (bound.op === 'before') where.push(`recorded_at < ${param(bound.at)}`);
    else if (bound.op === 'outside') where.push(`(recorded_at < ${param(bound.start)} OR recorded_at >= ${param(bound.end)})`);
  }
  if (search.onlyBy?.userId !== undefined) where.push(`user_id = ${param(search.onlyBy.userId)}`);
  if (search.onlyBy) where.push(`app_id = ${param(search.onlyBy.appId)}`);
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const count = await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM audit.events ${filter}`, [...values]);
  if (search.beforeSeq !== undefined) where.push(`seq < ${param(search.beforeSeq)}`);
  const pageFilter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const page = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM audit.events ${pageFilter} ORDER BY seq DESC LIMIT ${param(search.limit)}`, values);
  return { records: page.rows.map(toRecord), total: count.rows[0]!.total };
}
