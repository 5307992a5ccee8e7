import type { Patient } from '../fhir-types.js';
import { matchCandidateOf } from '../matching/match-candidate.js';
import { isFuzzyMatch, scorePatientMatch } from '../matching/score.js';
import type { SearchQuery } from './search-query.js';
import type { NameKeys } from '../domain/search-columns.js';

export interface ScoredPatient { patient: Patient; score: number }

export interface CandidateInput {
  resource: Patient;
  historicNames: NameKeys[];
  historicPostcodes: string[];
  historicEmails?: string[];
  historicPhones?: string[];
}

/**
 * Scores blocked candidates, keeps the matches (fuzzy: those close enough; exact-match: score 1
 * only) and orders them best first (ties by NHS number, so results are stable).
 */
export function rankMatches(query: SearchQuery, candidates: readonly CandidateInput[]): ScoredPatient[] {
  const scored: ScoredPatient[] = [];
  for (const c of candidates) {
    const candidate = matchCandidateOf(c.resource, { names: c.historicNames, postcodes: c.historicPostcodes, emails: c.historicEmails, phones: c.historicPhones });
    if (query.fuzzy && !isFuzzyMatch(query, candidate)) continue;
    const score = scorePatientMatch(query, candidate);
    if (query.exact && score !== 1) continue;
    scored.push({ patient: c.resource, score });
  }
  return scored.sort((a, b) => b.score - a.score || a.patient.id.localeCompare(b.patient.id));
}
