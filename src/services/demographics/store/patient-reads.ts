import type pg from 'pg';
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

// Named (prepared) statement: the hot path of the whole service, one primary-key lookup.
const READ_PATIENT = {
  name: 'pds_read_patient',
  text: `SELECT nhs_number, status, superseded_by, version_id, restricted, resource::text AS json
           FROM demographics.patients WHERE nhs_number = $1`,
};

/** The row for an NHS number as stored, whatever its status; undefined when unknown. */
export async function readPatientRow(pool: pg.Pool | pg.PoolClient, nhsNumber: string): Promise<StoredPatientText | undefined> {
  const { rows } = await pool.query({ ...READ_PATIENT, values: [nhsNumber] });
  const r = rows[0];
  if (!r) return undefined;
  return { nhsNumber: r.nhs_number, status: r.status, supersededBy: r.superseded_by, versionId: r.version_id, restricted: r.restricted, json: r.json };
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
