import type { Patient } from '../fhir-types.js';
import { nameKeysOf, otherNamesOf, otherPostcodesOf, searchColumnsOf, type NameKeys, type SearchColumns } from '../domain/search-columns.js';

/** Everything scoring looks at for one patient: current columns plus historic names, postcodes, emails and phones. */
export interface MatchCandidate {
  current: SearchColumns;
  /** Nicknames and temporary names on the record: PDS searches them as well as the usual name. */
  aliasNames: NameKeys[];
  historicNames: NameKeys[];
  historicPostcodes: string[];
  /** Emails and phones the record held before (kept by updates), searched only with history. */
  historicEmails: string[];
  historicPhones: string[];
}

/** Builds a candidate from a record and any historic rows kept from its earlier versions. */
export function matchCandidateOf(
  patient: Patient,
  earlier: { names?: NameKeys[]; postcodes?: string[]; emails?: string[]; phones?: string[] } = {},
): MatchCandidate {
  return {
    current: searchColumnsOf(patient),
    aliasNames: otherNamesOf(patient).filter((n) => n.use === 'nickname' || n.use === 'temp').map(nameKeysOf),
    historicNames: [...otherNamesOf(patient).map(nameKeysOf), ...(earlier.names ?? [])],
    historicPostcodes: [...otherPostcodesOf(patient), ...(earlier.postcodes ?? [])],
    historicEmails: earlier.emails ?? [],
    historicPhones: earlier.phones ?? [],
  };
}
