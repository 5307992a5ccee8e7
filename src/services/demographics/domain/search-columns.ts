import type { HumanName, Patient } from '../fhir-types.js';
import { givenTokens, normaliseEmail, normaliseName, normalisePhone, normalisePostcode } from './normalise.js';
import { metaphoneOf, soundexOf } from './phonetic.js';
import { deathDate, gpOdsCode, homeAddress, isRestricted, usualName } from './patient-fields.js';

/** One name in matching form: the current name's columns and each historic-name row use it. */
export interface NameKeys {
  family: string;
  given: string[];
  familySoundex: string;
  familyMetaphone: string;
  givenSoundex: string;
}

/** The indexed columns of `demographics.patients`, derived from the record alone. */
export interface SearchColumns extends NameKeys {
  gender: string | null;
  birthDate: string | null;
  deathDate: string | null;
  postcode: string | null;
  gpOds: string | null;
  emails: string[];
  phones: string[];
  restricted: boolean;
}

export function nameKeysOf(name: HumanName | undefined): NameKeys {
  const family = normaliseName(name?.family ?? '');
  const given = givenTokens(name?.given);
  return {
    family,
    given,
    familySoundex: soundexOf(family),
    familyMetaphone: metaphoneOf(family),
    givenSoundex: soundexOf(given[0] ?? ''),
  };
}

/**
 * The one function that turns a Patient into its search columns: the normal write path and the
 * bulk loader both call it, so a bulk-loaded patient is found exactly like an API-written one.
 */
export function searchColumnsOf(patient: Patient): SearchColumns {
  const telecom = patient.telecom ?? [];
  const postcode = homeAddress(patient)?.postalCode;
  return {
    ...nameKeysOf(usualName(patient)),
    gender: patient.gender ?? null,
    birthDate: patient.birthDate ?? null,
    deathDate: deathDate(patient) ?? null,
    postcode: postcode ? normalisePostcode(postcode) : null,
    gpOds: gpOdsCode(patient)?.toUpperCase() ?? null,
    emails: telecom.filter((t) => t.system === 'email' && t.value).map((t) => normaliseEmail(t.value!)),
    phones: telecom.filter((t) => (t.system === 'phone' || t.system === 'sms') && t.value).map((t) => normalisePhone(t.value!)),
    restricted: isRestricted(patient),
  };
}

/** Names other than the usual one (old, maiden, nickname, …): searched when history is asked for. */
export function otherNamesOf(patient: Patient): HumanName[] {
  const current = usualName(patient);
  return (patient.name ?? []).filter((n) => n !== current && (n.family || n.given?.length));
}

/** Postcodes of addresses other than the current home address. */
export function otherPostcodesOf(patient: Patient): string[] {
  const current = homeAddress(patient);
  return (patient.address ?? []).filter((a) => a !== current && a.postalCode).map((a) => normalisePostcode(a.postalCode!));
}
