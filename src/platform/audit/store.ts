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

/**
 * Appends records to the chain: three round trips whatever the batch size. Must run on a client
 * with no transaction open; it commits. The head row lock is what lets several processes share one
 * chain; the whole batch travels as one jsonb parameter (no parameter-count limit) and is inserted
 * by the same statement that moves the head.
 */
export async function appendAuditRecords(client: Queryable, records: Array<Omit<AuditRecord, 'seq'>>): Promise<ChainHead> {
  try {
    // Simple-protocol multi-statement: BEGIN and the lock in one round trip.
    const results = await client.query('BEGIN; SELECT seq, hash FROM audit.chain_head FOR UPDATE') as unknown as Array<{ rows: ChainHead[] }>;
    const chained = appendToChain(results[1]!.rows[0]!, records);
    const last = chained[chained.length - 1]!;
    await client.query(
      `WITH appended AS (
         INSERT INTO audit.events (${EVENT_COLUMNS})
         SELECT ${EVENT_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS r(
           seq bigint, recorded_at timestamptz, request_id text, action text, resource text, nhs_numbers text[],
           outcome text, app_id text, app_name text, user_id text, role_profile_id text, role_code text, ods_code text,
           client_address text, detail jsonb, prev_hash text, hash text)
         RETURNING 1)
       UPDATE audit.chain_head SET seq = $2, hash = $3`,
      [JSON.stringify(chained.map(toRow)), last.seq, last.hash],
    );
    await client.query('COMMIT');
    return { seq: last.seq, hash: last.hash };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
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
  /** Own-activity restriction: only records by this user, or by this application. */
  onlyBy?: { userId: string } | { appId: string };
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
  for (const bound of search.recorded ?? []) {
    if (bound.op === 'atOrAfter') where.push(`recorded_at >= ${param(bound.at)}`);
    else if (bound.op === 'before') where.push(`recorded_at < ${param(bound.at)}`);
    else if (bound.op === 'outside') where.push(`(recorded_at < ${param(bound.start)} OR recorded_at >= ${param(bound.end)})`);
  }
  if (search.onlyBy && 'userId' in search.onlyBy) where.push(`user_id = ${param(search.onlyBy.userId)}`);
  if (search.onlyBy && 'appId' in search.onlyBy) where.push(`app_id = ${param(search.onlyBy.appId)}`);
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const count = await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM audit.events ${filter}`, [...values]);
  if (search.beforeSeq !== undefined) where.push(`seq < ${param(search.beforeSeq)}`);
  const pageFilter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const page = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM audit.events ${pageFilter} ORDER BY seq DESC LIMIT ${param(search.limit)}`, values);
  return { records: page.rows.map(toRecord), total: count.rows[0]!.total };
}
