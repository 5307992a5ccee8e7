import { createHash } from 'node:crypto';
import type { Queryable } from '../../../platform/db/pool.js';
import type { Patient } from '../fhir-types.js';
import type { NameKeys } from '../domain/search-columns.js';
import { metaphoneOf, soundexOf } from '../domain/phonetic.js';
import { birthDateVariants } from '../matching/date-similarity.js';
import type { DateCriterion, SearchQuery, TextCriterion } from '../search/search-query.js';

/** More candidates than this and the search is too broad to score (the caller answers TOO_MANY_MATCHES). */
export const CANDIDATE_CAP = 1000;

export interface SearchCandidateRow {
  nhsNumber: string;
  resource: Patient;
  historicNames: NameKeys[];
  historicPostcodes: string[];
  historicEmails: string[];
  historicPhones: string[];
}

/** Builds the WHERE clause of a search; `param` adds a bound value and returns its placeholder. */
class Where {
  readonly values: unknown[] = [];
  readonly clauses: string[] = ["p.status = 'active'"];
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  add(clause: string) {
    this.clauses.push(clause);
  }
}

const likePattern = (c: TextCriterion) => c.wildcardParts!.join('%');

function textCondition(w: Where, column: string, c: TextCriterion): string {
  return c.wildcardParts ? `${column} LIKE ${w.param(likePattern(c))}` : `${column} = ${w.param(c.value)}`;
}

/** Non-fuzzy name matching on one name source (p = current, h = a historic name). */
function nameCondition(w: Where, alias: string, q: SearchQuery): string {
  const parts: string[] = [];
  if (q.family) parts.push(textCondition(w, `${alias}.family`, q.family));
  const [first, ...rest] = q.given;
  if (first?.wildcardParts) parts.push(`${alias}.given[1] LIKE ${w.param(likePattern(first))}`);
  const exact = (first?.wildcardParts ? rest : q.given).filter((g) => !g.wildcardParts).map((g) => g.value);
  if (exact.length > 0) parts.push(`${alias}.given @> ${w.param(exact)}::text[]`);
  return parts.length > 0 ? parts.join(' AND ') : 'true';
}

/**
 * The usual name, the record's nicknames and temporary names, and with `_history` every earlier
 * name. Written as a union of two index lookups (current names by family name and birth date,
 * other names by family name) so that a wide birth-date range never scans the whole table.
 */
function exactNamesWhere(w: Where, q: SearchQuery) {
  const currentName = nameCondition(w, 'c', q);
  const born = birthRangeCondition(w, 'c', q.birthDate!);
  const otherName = nameCondition(w, 'h', q);
  const which = q.history ? '' : ' AND h.current_alias';
  w.add(`p.nhs_number IN (
    SELECT c.nhs_number FROM demographics.patients c WHERE c.status = 'active' AND ${currentName} AND ${born}
    UNION ALL
    SELECT h.nhs_number FROM demographics.historic_names h WHERE ${otherName}${which})`);
}

/**
 * A fuzzy search binds exactly this many birth dates (the day and its mis-keyings) and name words,
 * repeating the last to fill: one statement shape whatever the search, so PostgreSQL settles on its
 * generic plan. With arrays of varying length it re-planned every search, and planning cost more
 * than running (1.6 ms against 0.4 ms at 1M patients).
 */
const FUZZY_DATES = 5;
const FUZZY_WORDS = 2;

const padded = <T>(items: readonly T[], length: number): T[] =>
  Array.from({ length: Math.max(length, items.length) }, (_, i) => items[Math.min(i, items.length - 1)]!);

/** `($1, $2, …)` binding each value once. */
function inList(w: Where, values: readonly unknown[], cast = ''): string {
  return `(${values.map((v) => `${w.param(v)}${cast}`).join(', ')})`;
}

/** Fuzzy blocking: the name's phonetic keys (either name, either way round), or the postcode. */
function fuzzyNamesWhere(w: Where, q: SearchQuery) {
  const words = padded([q.family?.value, q.given[0]?.value].filter((v): v is string => v !== undefined && v.length > 0), FUZZY_WORDS);
  const soundex = inList(w, words.map(soundexOf));
  const metaphone = inList(w, words.map(metaphoneOf));
  const options = [
    `p.family_soundex IN ${soundex}`, `p.family_metaphone IN ${metaphone}`, `p.given_soundex IN ${soundex}`,
    `EXISTS (SELECT 1 FROM demographics.historic_names h WHERE h.nhs_number = p.nhs_number
       AND (h.family_soundex IN ${soundex} OR h.given_soundex IN ${soundex}))`,
  ];
  if (q.postcode) options.push(`p.postcode = ${w.param(q.postcode.value)}`);
  w.add(`(${options.join(' OR ')})`);
}

function birthRangeCondition(w: Where, alias: string, range: DateCriterion): string {
  const bounds: string[] = [];
  if (range.from) bounds.push(`${alias}.birth_date >= ${w.param(range.from)}::date`);
  if (range.to) bounds.push(`${alias}.birth_date <= ${w.param(range.to)}::date`);
  return bounds.length > 0 ? bounds.join(' AND ') : 'true';
}

function birthDateWhere(w: Where, q: SearchQuery) {
  const range = q.birthDate!;
  if (q.fuzzy && range.from !== undefined && range.from === range.to) {
    const days = [range.from, ...birthDateVariants(range.from).map((v) => v.date)];
    w.add(`p.birth_date IN ${inList(w, padded(days, FUZZY_DATES), '::date')}`);
  } else {
    w.add(birthRangeCondition(w, 'p', range));
  }
}

/**
 * PDS spec: email and phone match exactly, on current contact details only, unless history is
 * searched (`_history`, or any fuzzy search): then previous ones match too.
 */
function telecomCondition(w: Where, q: SearchQuery, column: 'emails' | 'phones', system: 'email' | 'phone', value: string): string {
  const placeholder = w.param(value);
  const current = `p.${column} @> ARRAY[${placeholder}]::text[]`;
  if (!q.history && !q.fuzzy) return current;
  return `(${current} OR EXISTS (SELECT 1 FROM demographics.historic_telecoms ht
    WHERE ht.nhs_number = p.nhs_number AND ht.system = '${system}' AND ht.value = ${placeholder}))`;
}

function otherCriteriaWhere(w: Where, q: SearchQuery) {
  // Fuzzy search scores gender, postcode, death date and GP rather than filtering on them (PDS spec).
  if (!q.fuzzy) {
    if (q.gender) w.add(`p.gender = ${w.param(q.gender)}`);
    if (q.deathDate?.from) w.add(`p.death_date >= ${w.param(q.deathDate.from)}::date`);
    if (q.deathDate?.to) w.add(`p.death_date <= ${w.param(q.deathDate.to)}::date`);
    if (q.postcode) {
      const current = textCondition(w, 'p.postcode', q.postcode);
      w.add(q.history
        ? `(${current} OR EXISTS (SELECT 1 FROM demographics.historic_postcodes hp WHERE hp.nhs_number = p.nhs_number AND ${textCondition(w, 'hp.postcode', q.postcode)}))`
        : current);
    }
    if (q.gp) w.add(`p.gp_ods = ${w.param(q.gp)}`);
  }
  if (q.email) w.add(telecomCondition(w, q, 'emails', 'email', q.email));
  if (q.phone) w.add(telecomCondition(w, q, 'phones', 'phone', q.phone));
  // PDS spec: a search by postcode or GP never returns restricted patients.
  if (q.postcode || q.gp) w.add('NOT p.restricted');
}

// Historic names and postcodes come back with each candidate (one round trip, not three).
const HISTORY_COLUMNS = `,
  (SELECT coalesce(json_agg(json_build_array(h.family, h.given, h.family_soundex, h.family_metaphone, h.given_soundex)), '[]')
     FROM demographics.historic_names h WHERE h.nhs_number = p.nhs_number) AS names,
  (SELECT coalesce(array_agg(hp.postcode), '{}') FROM demographics.historic_postcodes hp WHERE hp.nhs_number = p.nhs_number) AS postcodes`;
// Previous emails and phones, only for a search that asks for one (scoring never looks at them otherwise).
const TELECOM_HISTORY_COLUMN = `,
  (SELECT coalesce(json_agg(json_build_array(ht.system, ht.value)), '[]')
     FROM demographics.historic_telecoms ht WHERE ht.nhs_number = p.nhs_number) AS telecoms`;

const hasWildcard = (q: SearchQuery) => [q.family, q.postcode, ...q.given].some((c) => c?.wildcardParts !== undefined);

/**
 * Candidates for a search: exact for a non-fuzzy search, a phonetic block for a fuzzy one; at most
 * `maxRows` (a caller that only needs to know "more than N" asks for N + 1).
 */
export async function findSearchCandidates(db: Queryable, q: SearchQuery, maxRows = CANDIDATE_CAP + 1): Promise<SearchCandidateRow[]> {
  const w = new Where();
  birthDateWhere(w, q);
  if (q.fuzzy) fuzzyNamesWhere(w, q);
  else exactNamesWhere(w, q);
  otherCriteriaWhere(w, q);
  const limit = Math.min(Math.max(1, Math.floor(maxRows)), CANDIDATE_CAP + 1);
  const where = w.clauses.join(' AND ');
  // Fuzzy: the block is found from the birth-date index alone (it carries the phonetic keys and the
  // postcode; MATERIALIZED keeps PostgreSQL from folding the self-join back into heap reads), then
  // only the candidates' rows are read.
  const history = q.fuzzy || q.history ? HISTORY_COLUMNS + (q.email || q.phone ? TELECOM_HISTORY_COLUMN : '') : '';
  const text = q.fuzzy
    ? `WITH blocked AS MATERIALIZED (SELECT p.nhs_number FROM demographics.patients p WHERE ${where} LIMIT ${limit})
    SELECT p.nhs_number, p.resource${history}
    FROM blocked b JOIN demographics.patients p ON p.nhs_number = b.nhs_number`
    : `SELECT p.nhs_number, p.resource${history}
    FROM demographics.patients p WHERE ${where} LIMIT ${limit}`;
  // A search's SQL has a few dozen shapes: prepare each once per connection. Not with wildcards:
  // a generic plan cannot use the prefix index for `LIKE $1`, so those are planned per value.
  const name = hasWildcard(q) ? undefined : `pds_search_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
  const { rows } = await db.query<{ nhs_number: string; resource: Patient; names?: unknown[][]; postcodes?: string[]; telecoms?: string[][] }>(
    { name, text, values: w.values });
  const previous = (r: { telecoms?: string[][] }, system: string) => (r.telecoms ?? []).filter(([s]) => s === system).map(([, v]) => v!);
  return rows.map((r) => ({
    nhsNumber: r.nhs_number,
    resource: r.resource,
    historicNames: (r.names ?? []).map(([family, given, familySoundex, familyMetaphone, givenSoundex]) =>
      ({ family, given, familySoundex, familyMetaphone, givenSoundex }) as NameKeys),
    historicPostcodes: r.postcodes ?? [],
    historicEmails: previous(r, 'email'),
    historicPhones: previous(r, 'phone'),
  }));
}
