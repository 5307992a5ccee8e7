import type { NameKeys } from '../domain/search-columns.js';
import type { SearchQuery, TextCriterion } from '../search/search-query.js';
import { birthDateScore, withinRange } from './date-similarity.js';
import type { MatchCandidate } from './match-candidate.js';
import { nameSimilarity } from './name-similarity.js';

/** Relative weight of each searched field in the score (fields not searched do not count). */
export const WEIGHTS = { family: 3, given: 2, birthDate: 3, gender: 1, postcode: 2, deathDate: 1, gp: 1, email: 1, phone: 1 } as const;
type Field = keyof typeof WEIGHTS;

/** A wildcard match is a match, but not an exact one (PDS: exact match does not work with wildcards). */
export const WILDCARD_MATCH = 0.9;
/** A match on a previous name or address rather than the current one. */
export const HISTORIC_MATCH = 0.9;
/** Family and given names swapped (Adam Thomas for Thomas Adam), fuzzy search only. */
export const TRANSPOSED_NAMES = 0.85;
/** Same postcode district (outward code) but a different full postcode. */
export const SAME_DISTRICT = 0.5;

export function textScore(criterion: TextCriterion, stored: string): number {
  if (criterion.wildcardParts) return wildcardMatches(criterion.wildcardParts, stored) ? WILDCARD_MATCH : 0;
  return nameSimilarity(criterion.value, stored);
}

/** `*` matches any run of characters; the pattern is anchored at the start (and at the end unless it ends with `*`). */
export function wildcardMatches(parts: readonly string[], stored: string): boolean {
  if (!stored.startsWith(parts[0]!)) return false;
  let at = parts[0]!.length;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (last) return part === '' || (stored.length - part.length >= at && stored.endsWith(part));
    const found = stored.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return at === stored.length;
}

/** Given names word by word: the first searched word against the first given name, the rest against any. */
function givenScore(criteria: readonly TextCriterion[], name: NameKeys): number {
  if (criteria.length === 0) return 1;
  let total = 0;
  criteria.forEach((c, i) => {
    const candidates = i === 0 ? name.given.slice(0, 1) : name.given;
    total += Math.max(0, ...candidates.map((g) => textScore(c, g)));
  });
  return total / criteria.length;
}

/** Family and given scores for one stored name; `transposed` compares family with first given name. */
function nameScores(query: SearchQuery, name: NameKeys, factor: number): { family: number; given: number } {
  return {
    family: query.family ? textScore(query.family, name.family) * factor : 1,
    given: givenScore(query.given, name) * factor,
  };
}

function bestNameScores(query: SearchQuery, c: MatchCandidate): { family: number; given: number } {
  const options = [nameScores(query, c.current, 1), ...c.aliasNames.map((n) => nameScores(query, n, 1))];
  if (query.fuzzy || query.history) options.push(...c.historicNames.map((n) => nameScores(query, n, HISTORIC_MATCH)));
  if (query.fuzzy && query.family && query.given.length > 0) {
    const swapped: NameKeys = { ...c.current, family: c.current.given[0] ?? '', given: [c.current.family] };
    options.push(nameScores(query, swapped, TRANSPOSED_NAMES));
  }
  const weight = (s: { family: number; given: number }) => WEIGHTS.family * s.family + WEIGHTS.given * s.given;
  return options.reduce((best, o) => (weight(o) > weight(best) ? o : best));
}

function postcodeScore(query: SearchQuery, c: MatchCandidate): number {
  const criterion = query.postcode!;
  const current = c.current.postcode ?? '';
  const score = (stored: string) => {
    if (criterion.wildcardParts) return wildcardMatches(criterion.wildcardParts, stored) ? WILDCARD_MATCH : 0;
    if (stored === criterion.value) return 1;
    const district = (p: string) => p.slice(0, Math.max(0, p.length - 3));
    return stored.length > 3 && district(stored) === district(criterion.value) ? SAME_DISTRICT : 0;
  };
  const historic = query.fuzzy || query.history ? c.historicPostcodes.map((p) => score(p) * HISTORIC_MATCH) : [];
  return Math.max(score(current), ...historic);
}

/**
 * PDS spec: email and phone match exactly, current details only unless history is searched. A
 * previous one scores as a full match: PDS's own answer to a search by a previous email
 * (`stubs/searchResponses/historic_email_searchset.json`) scores it 1.
 */
function contactScore(query: SearchQuery, value: string, current: readonly string[], previous: readonly string[]): number {
  if (current.includes(value)) return 1;
  return (query.fuzzy || query.history) && previous.includes(value) ? 1 : 0;
}

/** Per-field scores, each in [0, 1], for the fields the query searched. */
export function fieldScores(query: SearchQuery, c: MatchCandidate): Partial<Record<Field, number>> {
  const scores: Partial<Record<Field, number>> = {};
  const names = bestNameScores(query, c);
  if (query.family) scores.family = names.family;
  if (query.given.length > 0) scores.given = names.given;
  if (query.birthDate) scores.birthDate = birthDateScore(c.current.birthDate, query.birthDate, query.fuzzy);
  if (query.gender) scores.gender = c.current.gender === query.gender ? 1 : c.current.gender === 'unknown' ? 0.5 : 0;
  if (query.postcode) scores.postcode = postcodeScore(query, c);
  if (query.deathDate) scores.deathDate = c.current.deathDate !== null && withinRange(c.current.deathDate, query.deathDate) ? 1 : 0;
  if (query.gp) scores.gp = c.current.gpOds === query.gp ? 1 : 0;
  if (query.email) scores.email = contactScore(query, query.email, c.current.emails, c.historicEmails);
  if (query.phone) scores.phone = contactScore(query, query.phone, c.current.phones, c.historicPhones);
  return scores;
}

/**
 * The match score: the weighted mean of the searched fields' scores. 1.0 exactly when every searched
 * field matches the current record exactly; rounded down to 4 places so that only an exact match is 1.
 */
export function scorePatientMatch(query: SearchQuery, c: MatchCandidate): number {
  const scores = fieldScores(query, c);
  let total = 0;
  let weight = 0;
  for (const [field, score] of Object.entries(scores) as Array<[Field, number]>) {
    total += WEIGHTS[field] * score;
    weight += WEIGHTS[field];
  }
  if (weight === 0) return 0;
  const mean = total / weight;
  return mean >= 1 ? 1 : Math.floor(mean * 10_000) / 10_000;
}

/** Fields a fuzzy search matches on (death date and GP only change the score, PDS spec). */
const FUZZY_MINIMUM: Partial<Record<Field, number>> = { family: 0.75, given: 0.75, birthDate: 0.01, gender: 0.5, postcode: 0.01 };

/** Whether a fuzzy candidate counts as a match at all. */
export function isFuzzyMatch(query: SearchQuery, c: MatchCandidate): boolean {
  const scores = fieldScores(query, c);
  return (Object.entries(FUZZY_MINIMUM) as Array<[Field, number]>).every(([f, min]) => scores[f] === undefined || scores[f]! >= min);
}
