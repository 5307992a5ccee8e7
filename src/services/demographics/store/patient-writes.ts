import type { Queryable } from '../../../platform/db/pool.js';
import type { Patient } from '../fhir-types.js';
import { homeAddress, usualName } from '../domain/patient-fields.js';
import { normalisePostcode } from '../domain/normalise.js';
import { nameKeysOf } from '../domain/search-columns.js';
import { HISTORIC_NAME_COLUMNS, PATIENT_COLUMNS, droppedTelecoms, historicNameRows, historicPostcodeRows, patientRowValues, type HistoricTelecom } from './patient-rows.js';

const SET_COLUMNS = PATIENT_COLUMNS.slice(1).map((c, i) => `${c} = $${i + 2}`).join(', ');
const INSERT_COLUMNS = PATIENT_COLUMNS.join(', ');
const INSERT_PLACEHOLDERS = PATIENT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ');

/** The current row of a patient with its record, for an update. */
export async function readPatientForUpdate(db: Queryable, nhsNumber: string) {
  const { rows } = await db.query<{ status: string; superseded_by: string | null; version_id: number; resource: Patient }>(
    'SELECT status, superseded_by, version_id, resource FROM demographics.patients WHERE nhs_number = $1', [nhsNumber]);
  return rows[0];
}

/**
 * Replaces the current version if it is still `expectedVersion` (optimistic concurrency: of two
 * racing updates of one version exactly one matches) and keeps the replaced version. False when
 * the version moved on.
 */
export async function replacePatientVersion(
  tx: Queryable, previous: Patient, expectedVersion: number, next: Patient, requestId: string,
): Promise<boolean> {
  const values = patientRowValues(next, expectedVersion + 1);
  const updated = await tx.query(
    `UPDATE demographics.patients SET ${SET_COLUMNS}, updated_at = now()
      WHERE nhs_number = $1 AND version_id = $${values.length + 1} AND status = 'active'`,
    [...values, expectedVersion],
  );
  if (updated.rowCount !== 1) return false;
  await tx.query(
    'INSERT INTO demographics.patient_versions (nhs_number, version_id, resource, request_id) VALUES ($1, $2, $3, $4)',
    [previous.id, expectedVersion, JSON.stringify(previous), requestId],
  );
  await keepHistoricDetails(tx, previous, next);
  return true;
}

/**
 * A replaced usual name, home postcode, email or phone stays searchable as history, as do the new
 * record's other names.
 */
async function keepHistoricDetails(tx: Queryable, previous: Patient, next: Patient): Promise<void> {
  const oldName = nameKeysOf(usualName(previous));
  const names = historicNameRows(next);
  if (oldName.family || oldName.given.length) {
    names.unshift([previous.id, oldName.family, oldName.given, oldName.familySoundex, oldName.familyMetaphone, oldName.givenSoundex, false]);
  }
  // Nicknames the record no longer holds become plain history; the new record's aliases are set again below.
  await tx.query('UPDATE demographics.historic_names SET current_alias = false WHERE nhs_number = $1 AND current_alias', [previous.id]);
  for (const row of names) {
    await tx.query(
      `INSERT INTO demographics.historic_names (${HISTORIC_NAME_COLUMNS.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (nhs_number, family, given) DO UPDATE SET current_alias = EXCLUDED.current_alias`, row);
  }
  const oldPostcode = homeAddress(previous)?.postalCode;
  const postcodes = historicPostcodeRows(next);
  if (oldPostcode) postcodes.push([previous.id, normalisePostcode(oldPostcode)]);
  for (const row of postcodes) {
    await tx.query('INSERT INTO demographics.historic_postcodes (nhs_number, postcode) VALUES ($1, $2) ON CONFLICT DO NOTHING', row);
  }
  await insertHistoricTelecoms(tx, previous.id, droppedTelecoms(previous, next));
}

/** Keeps previous emails and phones of a patient (values in search-column normal form). */
export async function insertHistoricTelecoms(tx: Queryable, nhsNumber: string, telecoms: readonly HistoricTelecom[]): Promise<void> {
  if (telecoms.length === 0) return;
  await tx.query(
    `INSERT INTO demographics.historic_telecoms (nhs_number, system, value)
     SELECT $1, s, v FROM unnest($2::text[], $3::text[]) AS t(s, v) ON CONFLICT DO NOTHING`,
    [nhsNumber, telecoms.map((t) => t.system), telecoms.map((t) => t.value)]);
}

/** Inserts a new patient (normally version 1); false if the NHS number is already taken. */
export async function insertPatient(tx: Queryable, stored: Patient, versionId = 1): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO demographics.patients (${INSERT_COLUMNS}) VALUES (${INSERT_PLACEHOLDERS}) ON CONFLICT (nhs_number) DO NOTHING`,
    patientRowValues(stored, versionId),
  );
  if (result.rowCount !== 1) return false;
  for (const row of historicNameRows(stored)) {
    await tx.query(
      `INSERT INTO demographics.historic_names (${HISTORIC_NAME_COLUMNS.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (nhs_number, family, given) DO UPDATE SET current_alias = EXCLUDED.current_alias`, row);
  }
  for (const row of historicPostcodeRows(stored)) {
    await tx.query('INSERT INTO demographics.historic_postcodes (nhs_number, postcode) VALUES ($1, $2) ON CONFLICT DO NOTHING', row);
  }
  return true;
}
