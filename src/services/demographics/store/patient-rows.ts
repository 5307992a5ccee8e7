import type { Patient } from '../fhir-types.js';
import { nameKeysOf, otherNamesOf, otherPostcodesOf, searchColumnsOf } from '../domain/search-columns.js';
import type { CopyValue } from './copy.js';

/** Column order of a `demographics.patients` row, shared by COPY and INSERT. */
export const PATIENT_COLUMNS = [
  'nhs_number', 'version_id', 'restricted', 'resource', 'family', 'given', 'family_soundex', 'family_metaphone',
  'given_soundex', 'gender', 'birth_date', 'death_date', 'postcode', 'gp_ods', 'emails', 'phones',
] as const;

/** The values of a patients row, in PATIENT_COLUMNS order, for a record already in stored form. */
export function patientRowValues(stored: Patient, versionId: number, resourceJson = JSON.stringify(stored)): CopyValue[] {
  const c = searchColumnsOf(stored);
  return [
    stored.id, versionId, c.restricted, resourceJson, c.family, c.given, c.familySoundex, c.familyMetaphone,
    c.givenSoundex, c.gender, c.birthDate, c.deathDate, c.postcode, c.gpOds, c.emails, c.phones,
  ];
}

export const HISTORIC_NAME_COLUMNS = ['nhs_number', 'family', 'given', 'family_soundex', 'family_metaphone', 'given_soundex', 'current_alias'] as const;

/** Names searched even without history (PDS spec): nicknames and temporary names. */
const ALIAS_USES = new Set(['nickname', 'temp']);

/** Historic-name rows for a record's non-usual names (deduplicated: the key is family + given); aliases first. */
export function historicNameRows(patient: Patient): CopyValue[][] {
  const seen = new Set<string>();
  const rows: CopyValue[][] = [];
  const names = otherNamesOf(patient).sort((a, b) => Number(ALIAS_USES.has(b.use ?? '')) - Number(ALIAS_USES.has(a.use ?? '')));
  for (const name of names) {
    const k = nameKeysOf(name);
    const key = `${k.family}|${k.given.join(' ')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push([patient.id, k.family, k.given, k.familySoundex, k.familyMetaphone, k.givenSoundex, ALIAS_USES.has(name.use ?? '')]);
  }
  return rows;
}

export function historicPostcodeRows(patient: Patient): CopyValue[][] {
  return [...new Set(otherPostcodesOf(patient))].map((postcode) => [patient.id, postcode]);
}

/** A previous email or phone, in the normal form search columns use. */
export interface HistoricTelecom { system: 'email' | 'phone'; value: string }

/** Emails and phones the previous version held and the next one does not: they become history. */
export function droppedTelecoms(previous: Patient, next: Patient): HistoricTelecom[] {
  const before = searchColumnsOf(previous);
  const after = searchColumnsOf(next);
  return [
    ...before.emails.filter((e) => !after.emails.includes(e)).map((value) => ({ system: 'email' as const, value })),
    ...before.phones.filter((p) => !after.phones.includes(p)).map((value) => ({ system: 'phone' as const, value })),
  ];
}
