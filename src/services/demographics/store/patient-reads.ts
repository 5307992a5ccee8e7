import type pg from 'pg';
import { createCoalescer } from '../../../platform/db/coalesce.js';
import type { Queryable } from '../../../platform/db/pool.js';

export type RecordStatus = 'active' | 'superseded' | 'invalidated';

/** A patients row as a read needs it: the record stays JSON text, ready to send. */
export interface StoredPatientText {
  nhsNumber: string;
  status: RecordStatus;
  supersededBy: string | null;
  versionId: number;
  restricted: boolean;
  json: string;
}

// The hot path of the whole service, a primary-key lookup: the reads of concurrent requests go as one statement.
const readPatientRows = createCoalescer<string, StoredPatientText | undefined>(async (db, _key, nhsNumbers) => {
  const { rows } = await db.query({
    name: 'pds_read_patients',
    text: `SELECT nhs_number, status, superseded_by, version_id, restricted, resource::text AS json
             FROM demographics.patients WHERE nhs_number = ANY($1)`,
    values: [[...new Set(nhsNumbers)]],
  });
  const found = new Map<string, StoredPatientText>();
  for (const r of rows) {
    found.set(r.nhs_number, { nhsNumber: r.nhs_number, status: r.status, supersededBy: r.superseded_by, versionId: r.version_id, restricted: r.restricted, json: r.json });
  }
  return nhsNumbers.map((nhsNumber) => found.get(nhsNumber));
});

/** The row for an NHS number as stored, whatever its status; undefined when unknown. */
export function readPatientRow(pool: pg.Pool | pg.PoolClient, nhsNumber: string): Promise<StoredPatientText | undefined> {
  return readPatientRows(pool, 'row', nhsNumber);
}

const READ_FLAGS = {
  name: 'pds_read_patient_flags',
  text: 'SELECT status, restricted FROM demographics.patients WHERE nhs_number = $1',
};

/** The row's status and sensitivity flag alone, without its record; undefined when unknown. */
export async function readPatientFlags(pool: pg.Pool | pg.PoolClient, nhsNumber: string): Promise<{ status: RecordStatus; restricted: boolean } | undefined> {
  const { rows } = await pool.query({ ...READ_FLAGS, values: [nhsNumber] });
  return rows[0];
}

const MAX_MERGE_HOPS = 5;

/**
 * The record an NHS number leads to: itself, or for a superseded (merged) number the surviving
 * record, following a short chain of merges. Undefined when unknown or a chain is broken.
 */
export async function resolvePatient(pool: pg.Pool | pg.PoolClient, nhsNumber: string): Promise<StoredPatientText | undefined> {
  let row = await readPatientRow(pool, nhsNumber);
  for (let hop = 0; row?.status === 'superseded' && hop < MAX_MERGE_HOPS; hop++) {
    row = await readPatientRow(pool, row.supersededBy!);
  }
  return row?.status === 'superseded' ? undefined : row;
}

export async function relatedPersonsOf(db: Queryable, nhsNumber: string): Promise<Array<{ id: string; resource: Record<string, unknown> }>> {
  const { rows } = await db.query(
    'SELECT id, resource FROM demographics.related_persons WHERE nhs_number = $1 ORDER BY id', [nhsNumber]);
  return rows;
}
