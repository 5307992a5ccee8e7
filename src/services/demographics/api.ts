import type pg from 'pg';
import type { Db } from '../../platform/db/pool.js';
import { isValidNhsNumber } from '../../platform/nhs-number.js';
import type { Patient } from './fhir-types.js';
import { gpOdsCode } from './domain/patient-fields.js';
import { readPatientFlags, readPatientRow, resolvePatient } from './store/patient-reads.js';
import { activePatientPage } from './store/export-reads.js';
import { readView } from './views/patient-views.js';
import { parseSearchParams, type RawQuery } from './search/parse-search-params.js';
import { rankMatches, type ScoredPatient } from './search/rank-matches.js';
import { CANDIDATE_CAP, findSearchCandidates } from './store/patient-search.js';
export type { Patient } from './fhir-types.js';

/** The synthetic population's NHS numbers, in the order `openspine seed --patients N` allocates them. */
export { SyntheticNhsNumbers } from './population/nhs-numbers.js';
export { isRestricted } from './domain/patient-fields.js';

/**
 * Demographics' contract with other services (EPS, NRL, events…): what they may know about a
 * patient, by NHS number. Other services use only this file, never the demographics tables. It does
 * not audit: a caller serving a user request audits its own access.
 */
export type PatientLookup =
  | { status: 'invalid-nhs-number' | 'unknown' | 'invalidated' }
  | {
    status: 'active';
    /** The current NHS number: differs from the one asked for when that one was superseded (merged). */
    nhsNumber: string;
    restricted: boolean;
    gpOdsCode?: string;
    nominatedPharmacyOdsCode?: string;
    deceased: boolean;
  };

const NOMINATED_PHARMACY = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy';

/** A patient's whole current record (FHIR R4, as PDS stores it), for services that publish it (NEMS events). */
export type PatientRecord = { status: 'active' | 'invalidated' | 'unknown'; restricted: boolean; patient?: Patient };

export interface DemographicsApi {
  lookupPatient(nhsNumber: string): Promise<PatientLookup>;
  /** The record under this NHS number itself (not followed to a superseding one). */
  currentRecord(nhsNumber: string): Promise<PatientRecord>;
  /** As `currentRecord`, its status and sensitivity flag alone (no record read): what deciding whether an event about the patient may go out needs. */
  recordFlags(nhsNumber: string): Promise<Omit<PatientRecord, 'patient'>>;
  /** The current record (FHIR Patient, as stored), following a superseded number; undefined when unknown or invalidated. */
  readPatient(nhsNumber: string): Promise<{ patient: Patient; restricted: boolean } | undefined>;
  /**
   * A PDS search with PDS's own parameters (family, given, birthdate, gender, address-postcode,
   * _fuzzy-match…): the matches best first, or 'too-many' past `limit`. A bad parameter throws
   * PDS's own coded error.
   */
  searchPatients(parameters: RawQuery, limit: number): Promise<ScoredPatient[] | 'too-many'>;
}

/** A stored record's status as other services see it: a superseded record is unknown under its old number. */
function recordStatus(stored: string): PatientRecord['status'] {
  return stored === 'active' ? 'active' : stored === 'invalidated' ? 'invalidated' : 'unknown';
}

export function demographicsApi(db: Db | { pool: pg.Pool }): DemographicsApi {
  return {
    async lookupPatient(nhsNumber) {
      if (!isValidNhsNumber(nhsNumber)) return { status: 'invalid-nhs-number' };
      const row = await resolvePatient(db.pool, nhsNumber);
      if (!row) {
        const own = await readPatientRow(db.pool, nhsNumber);
        return { status: own?.status === 'invalidated' ? 'invalidated' : 'unknown' };
      }
      if (row.status !== 'active') return { status: row.status === 'invalidated' ? 'invalidated' : 'unknown' };
      const patient = JSON.parse(row.json) as Patient;
      const pharmacy = patient.extension?.find((e) => e.url === NOMINATED_PHARMACY) as { valueReference?: { identifier?: { value?: string } } } | undefined;
      return {
        status: 'active',
        nhsNumber: row.nhsNumber,
        restricted: row.restricted,
        gpOdsCode: gpOdsCode(patient),
        nominatedPharmacyOdsCode: pharmacy?.valueReference?.identifier?.value,
        deceased: patient.deceasedDateTime !== undefined,
      };
    },
    async currentRecord(nhsNumber) {
      const row = isValidNhsNumber(nhsNumber) ? await readPatientRow(db.pool, nhsNumber) : undefined;
      if (!row) return { status: 'unknown', restricted: false };
      return { status: recordStatus(row.status), restricted: row.restricted, patient: JSON.parse(row.json) as Patient };
    },
    async recordFlags(nhsNumber) {
      const row = isValidNhsNumber(nhsNumber) ? await readPatientFlags(db.pool, nhsNumber) : undefined;
      if (!row) return { status: 'unknown', restricted: false };
      return { status: recordStatus(row.status), restricted: row.restricted };
    },
    async readPatient(nhsNumber) {
      if (!isValidNhsNumber(nhsNumber)) return undefined;
      const row = await resolvePatient(db.pool, nhsNumber);
      if (!row || row.status !== 'active') return undefined;
      return { patient: JSON.parse(row.json) as Patient, restricted: row.restricted };
    },
    async searchPatients(parameters, limit) {
      const query = parseSearchParams(parameters);
      const candidates = await findSearchCandidates(db.pool, query, CANDIDATE_CAP + 1);
      if (candidates.length > CANDIDATE_CAP) return 'too-many';
      const matches = rankMatches(query, candidates);
      return matches.length > limit ? 'too-many' : matches;
    },
  };
}

/**
 * For bulk export: a page of current (active) records after `after` in NHS number order, as a read
 * returns them (a restricted record without its address, telecom and GP), each as JSON text.
 * `since`: only records changed after then. The caller pages on and sizes pages by bytes.
 */
export async function exportPatientPage(db: Db | { pool: pg.Pool }, after: string, limit: number, since?: Date): Promise<Array<{ nhsNumber: string; json: string }>> {
  const rows = await activePatientPage(db.pool, after, limit, since);
  return rows.map((r) => ({ nhsNumber: r.nhsNumber, json: r.restricted ? JSON.stringify(readView(JSON.parse(r.json) as Patient)) : r.json }));
}
