import type { Queryable } from '../../../platform/db/pool.js';
import type { Statement, WriteBatch } from '../../../platform/db/write-batch.js';
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
 * racing updates of one version exactly one matches), then adds to `writes` the keeping of the
 * replaced version and of its details as history, for the caller to send with its own. False,
 * and nothing added, when the version moved on. The rest waits for the replacement: it is what
 * locks the row, so no racing update of the same version writes any of it.
 */
export async function replacePatientVersion(
  tx: Queryable, writes: WriteBatch, previous: Patient, expectedVersion: number, next: Patient, requestId: string,
): Promise<boolean> {
  const values = patientRowValues(next, expectedVersion + 1);
  const updated = await tx.query(
    `UPDATE demographics.patients SET ${SET_COLUMNS}, updated_at = now()
      WHERE nhs_number = $1 AND version_id = $${values.length + 1} AND status = 'active'`,
    [...values, expectedVersion],
  );
  if (updated.rowCount !== 1) return false;
  writes.add({
    text: 'INSERT INTO demographics.patient_versions (nhs_number, version_id, resource, request_id) VALUES ($1, $2, $3, $4)',
    values: [previous.id, expectedVersion, JSON.stringify(previous), requestId],
  });
  keepHistoricDetails(writes, previous, next);
  return true;
}

/**
 * A replaced usual name, home postcode, email or phone stays searchable as history, as do the new
 * record's other names; of the names, only the new record's nicknames and temporary names stay
 * searchable without history (`current_alias`). The statements write disjoint rows (they go in one
 * statement): the alias flag is cleared only on rows the new names do not set again.
 */
function keepHistoricDetails(writes: WriteBatch, previous: Patient, next: Patient): void {
  const nhsNumber = previous.id;
  // Later rows win for a name twice (the old usual name also among the new record's names keeps the new record's flag).
  const names = new Map<string, HistoricName>();
  const oldName = nameKeysOf(usualName(previous));
  const keep = (name: HistoricName) => names.set(JSON.stringify([name.family, name.given]), name);
  if (oldName.family || oldName.given.length) {
    keep({ family: oldName.family, given: oldName.given, familySoundex: oldName.familySoundex, familyMetaphone: oldName.familyMetaphone, givenSoundex: oldName.givenSoundex, alias: false });
  }
  for (const [, family, given, familySoundex, familyMetaphone, givenSoundex, alias] of historicNameRows(next)) {
    keep({ family, given, familySoundex, familyMetaphone, givenSoundex, alias } as HistoricName);
  }
  const rows = JSON.stringify([...names.values()]);
  const recordset = `jsonb_to_recordset($2::jsonb) AS n(family text, given text[], "familySoundex" text, "familyMetaphone" text, "givenSoundex" text, alias boolean)`;
  writes.add({
    text: `UPDATE demographics.historic_names SET current_alias = false
      WHERE nhs_number = $1 AND current_alias AND (family, given) NOT IN (SELECT family, given FROM ${recordset})`,
    values: [nhsNumber, rows],
  });
  if (names.size > 0) {
    writes.add({
      text: `INSERT INTO demographics.historic_names (${HISTORIC_NAME_COLUMNS.join(', ')})
        SELECT $1, family, given, "familySoundex", "familyMetaphone", "givenSoundex", alias FROM ${recordset}
        ON CONFLICT (nhs_number, family, given) DO UPDATE SET current_alias = EXCLUDED.current_alias`,
      values: [nhsNumber, rows],
    });
  }
  const oldPostcode = homeAddress(previous)?.postalCode;
  const postcodes = new Set(historicPostcodeRows(next).map(([, postcode]) => postcode as string));
  if (oldPostcode) postcodes.add(normalisePostcode(oldPostcode));
  if (postcodes.size > 0) {
    writes.add({
      text: 'INSERT INTO demographics.historic_postcodes (nhs_number, postcode) SELECT $1, p FROM unnest($2::text[]) AS p ON CONFLICT DO NOTHING',
      values: [nhsNumber, [...postcodes]],
    });
  }
  const telecoms = droppedTelecoms(previous, next);
  if (telecoms.length > 0) writes.add(historicTelecomsStatement(nhsNumber, telecoms));
}

interface HistoricName { family: string; given: string[]; familySoundex: string; familyMetaphone: string; givenSoundex: string; alias: boolean }

/** Keeps previous emails and phones of a patient (values in search-column normal form). */
export async function insertHistoricTelecoms(tx: Queryable, nhsNumber: string, telecoms: readonly HistoricTelecom[]): Promise<void> {
  if (telecoms.length === 0) return;
  await tx.query(historicTelecomsStatement(nhsNumber, telecoms));
}

function historicTelecomsStatement(nhsNumber: string, telecoms: readonly HistoricTelecom[]): Statement {
  return {
    text: `INSERT INTO demographics.historic_telecoms (nhs_number, system, value)
     SELECT $1, s, v FROM unnest($2::text[], $3::text[]) AS t(s, v) ON CONFLICT DO NOTHING`,
    values: [nhsNumber, telecoms.map((t) => t.system), telecoms.map((t) => t.value)],
  };
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
