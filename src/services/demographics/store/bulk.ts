import type { Db } from '../../../platform/db/pool.js';
import type { Patient } from '../fhir-types.js';
import { storedRecord } from '../domain/stored-record.js';
import { versionOf } from '../domain/patient-fields.js';
import { copyRows, type CopyValue } from './copy.js';
import { HISTORIC_NAME_COLUMNS, PATIENT_COLUMNS, historicNameRows, historicPostcodeRows, patientRowValues } from './patient-rows.js';
import { markInvalidated, markSuperseded } from './record-status.js';
import { advanceNhsNumberAllocator } from './nhs-number-allocator.js';

export interface PatientBatch {
  patients: Patient[];
  relatedPersons?: Array<{ nhsNumber: string; resource: object }>;
  /** [old NHS number, surviving NHS number]: the old number becomes a pointer to the survivor. */
  supersededBy?: Array<[string, string]>;
  /** NHS numbers whose records were invalidated (REDACTED): reads get 404 INVALIDATED_RESOURCE. */
  invalidated?: string[];
}

const relatedPersonId = (resource: object, index: number) => {
  const id = (resource as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 ? id : String(index + 1);
};

function* map<T>(items: Iterable<T>, row: (item: T) => CopyValue[]): Generator<CopyValue[]> {
  for (const item of items) yield row(item);
}

function* flatMap<T>(items: Iterable<T>, rows: (item: T) => CopyValue[][]): Generator<CopyValue[]> {
  for (const item of items) yield* rows(item);
}

/**
 * Loads a batch of new patients in one transaction with COPY into every demographics table. Search
 * columns come from `searchColumnsOf`, the same function the API's write path uses. The NHS numbers
 * must not exist yet (COPY refuses duplicates, and the whole batch rolls back); superseded and
 * invalidated numbers may refer to earlier batches.
 */
export async function bulkInsertPatients(db: Db, batch: PatientBatch): Promise<void> {
  const stored = batch.patients.map((p) => storedRecord(p, versionOf(p)));
  await db.tx(async (client) => {
    if (stored.length > 0) {
      await copyRows(client, 'demographics.patients', PATIENT_COLUMNS, map(stored, (p) => patientRowValues(p, versionOf(p))));
      await copyRows(client, 'demographics.historic_names', HISTORIC_NAME_COLUMNS, flatMap(stored, historicNameRows));
      await copyRows(client, 'demographics.historic_postcodes', ['nhs_number', 'postcode'], flatMap(stored, historicPostcodeRows));
    }
    const related = batch.relatedPersons ?? [];
    if (related.length > 0) {
      await copyRows(client, 'demographics.related_persons', ['nhs_number', 'id', 'resource'],
        related.map((r, i) => [r.nhsNumber, relatedPersonId(r.resource, i), JSON.stringify(r.resource)]));
    }
    if (batch.supersededBy?.length) await markSuperseded(client, batch.supersededBy);
    if (batch.invalidated?.length) await markInvalidated(client, batch.invalidated);
    await advanceNhsNumberAllocator(client, stored.map((p) => p.id));
  });
}

/**
 * Fresh planner statistics for every demographics table. A bulk load runs it when done: until
 * autovacuum gets round to it, the planner would guess at a million rows' selectivities.
 */
export async function analyzePatientTables(db: Db): Promise<void> {
  await db.query(`ANALYZE demographics.patients, demographics.historic_names, demographics.historic_postcodes, demographics.related_persons`);
}
