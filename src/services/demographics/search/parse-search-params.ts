import { isCalendarDate } from '../../../platform/fhir/dates.js';
import { SpineError } from '../../../platform/http/errors.js';
import { PDS_ERRORS, diagnostics } from '../errors.js';
import type { Gender } from '../fhir-types.js';
import { normaliseEmail, normaliseName, normalisePhone, normalisePostcode } from '../domain/normalise.js';
import type { DateCriterion, SearchQuery, TextCriterion } from './search-query.js';

/** Every parameter PDS accepts on GET /Patient (the sandbox also accepts a bare `history`). */
export const SEARCH_PARAMETERS = [
  '_fuzzy-match', '_exact-match', '_history', 'history', '_max-results', 'family', 'given', 'gender', 'birthdate',
  'death-date', 'address-postalcode', 'address-postcode', 'general-practitioner', 'email', 'phone',
] as const;
const KNOWN = new Set<string>(SEARCH_PARAMETERS);
const REPEATABLE = new Set(['given', 'birthdate', 'death-date']);
const GENDERS = new Set(['male', 'female', 'other', 'unknown']);
const MAX_NAME_LENGTH = 35;
const DATE = /^(eq|ge|le)?([0-9]{4}-[0-9]{2}-[0-9]{2})$/;

export type RawQuery = Record<string, string | string[] | undefined>;

const invalid = (value: string, field: string) => new SpineError(PDS_ERRORS.INVALID_VALUE, diagnostics.invalidValue(value, field));
const tooWeak = () => new SpineError(PDS_ERRORS.INVALID_SEARCH_DATA, diagnostics.searchTooWeak);

/** `[eq|ge|le]YYYY-MM-DD`, repeated for a range. */
export function parseDateCriterion(values: string[], field: string): DateCriterion {
  const criterion: DateCriterion = {};
  if (values.length > 2) throw invalid(values.join(','), field);
  for (const value of values) {
    const match = DATE.exec(value);
    if (!match || !isCalendarDate(match[2]!)) throw invalid(value, field);
    const [, prefix = 'eq', date] = match;
    if ((prefix !== 'le' && criterion.from !== undefined) || (prefix !== 'ge' && criterion.to !== undefined)) throw invalid(value, field);
    if (prefix !== 'le') criterion.from = date;
    if (prefix !== 'ge') criterion.to = date;
  }
  return criterion;
}

/** A name or postcode: `*` is a wildcard, but not in the first two characters (PDS spec). */
export function parseTextCriterion(raw: string, field: string, normalise: (s: string) => string, maxLength?: number): TextCriterion {
  if (raw.trim().length === 0 || (maxLength !== undefined && raw.length > maxLength)) throw invalid(raw, field);
  if (!raw.includes('*')) {
    const value = normalise(raw);
    if (value.length === 0) throw invalid(raw, field);
    return { value };
  }
  if (raw.indexOf('*') < 2) throw invalid(raw, field);
  const wildcardParts = raw.split('*').map(normalise);
  const value = wildcardParts.join('');
  if (wildcardParts[0]!.length === 0) throw invalid(raw, field);
  return { value, wildcardParts };
}

/**
 * One `given` parameter may hold several names ("John Paul"): each word becomes its own criterion,
 * matched word by word against the record's given names. A wildcard may only end the first word.
 */
function parseGivenParam(raw: string): TextCriterion[] {
  if (raw.length > MAX_NAME_LENGTH) throw invalid(raw, 'given');
  if (raw.includes('*') && raw.indexOf('*') < 2) throw invalid(raw, 'given');
  const words = raw.trim().split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) throw invalid(raw, 'given');
  return words.map((word) => {
    if (word.includes('*') && word.indexOf('*') < 2) throw invalid(raw, 'given');
    return parseTextCriterion(word, 'given', normaliseName);
  });
}

function parseBoolean(value: string, field: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalid(value, field);
}

function parseMaxResults(value: string): number {
  if (!/^[0-9]{1,3}$/.test(value)) throw invalid(value, '_max-results');
  const n = Number(value);
  if (n < 1 || n > 50) throw invalid(value, '_max-results');
  return n;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * The parameters a query carries. A pair with an empty name (`&=`, or a stray `&&`) names no
 * parameter: it is ignored, so the request's real error (or none) is what gets reported.
 */
export function parameterNames(query: RawQuery): string[] {
  return Object.keys(query).filter((k) => k !== '' && query[k] !== undefined);
}

/**
 * Parses GET /Patient query parameters in the order PDS validates them: no parameters, unknown
 * parameters, invalid values, missing birth date, then too weak a combination.
 */
export function parseSearchParams(query: RawQuery): SearchQuery {
  const names = parameterNames(query);
  if (names.length === 0) throw new SpineError(PDS_ERRORS.UNSUPPORTED_SERVICE);
  const unknown = names.find((n) => !KNOWN.has(n));
  if (unknown !== undefined) throw new SpineError(PDS_ERRORS.ADDITIONAL_PROPERTIES, diagnostics.additionalProperty(unknown));
  for (const name of names) {
    const values = list(query[name]);
    if (values.length > 1 && !REPEATABLE.has(name)) throw invalid(values.join(','), name);
  }
  const one = (name: string) => list(query[name])[0];

  const search: SearchQuery = { fuzzy: false, exact: false, history: false, given: [] };
  for (const [name, key] of [['_fuzzy-match', 'fuzzy'], ['_exact-match', 'exact'], ['_history', 'history'], ['history', 'history']] as const) {
    const value = one(name);
    if (value !== undefined) search[key] = search[key] || parseBoolean(value, name);
  }
  const maxResults = one('_max-results');
  if (maxResults !== undefined) search.maxResults = parseMaxResults(maxResults);
  const family = one('family');
  if (family !== undefined) search.family = parseTextCriterion(family, 'family', normaliseName, MAX_NAME_LENGTH);
  search.given = list(query.given).flatMap(parseGivenParam);
  const gender = one('gender');
  if (gender !== undefined) {
    if (!GENDERS.has(gender)) throw invalid(gender, 'gender');
    search.gender = gender as Gender;
  }
  if (query.birthdate !== undefined) search.birthDate = parseDateCriterion(list(query.birthdate), 'birthdate');
  if (query['death-date'] !== undefined) search.deathDate = parseDateCriterion(list(query['death-date']), 'death-date');
  const postalcode = one('address-postalcode');
  const postcode = one('address-postcode');
  if (postalcode !== undefined && postcode !== undefined) {
    throw new SpineError(PDS_ERRORS.INVALID_SEARCH_DATA, "Invalid search data provided - 'address-postcode and address-postalcode cannot both be provided'");
  }
  const anyPostcode = postalcode ?? postcode;
  if (anyPostcode !== undefined) {
    search.postcode = parseTextCriterion(anyPostcode, postalcode !== undefined ? 'address-postalcode' : 'address-postcode', normalisePostcode);
  }
  const gp = one('general-practitioner');
  if (gp !== undefined) {
    if (!/^[A-Za-z0-9]{3,10}$/.test(gp)) throw invalid(gp, 'general-practitioner');
    search.gp = gp.toUpperCase();
  }
  const email = one('email');
  if (email !== undefined) {
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw invalid(email, 'email');
    search.email = normaliseEmail(email);
  }
  const phone = one('phone');
  if (phone !== undefined) {
    if (normalisePhone(phone).replace('+', '').length < 3) throw invalid(phone, 'phone');
    search.phone = normalisePhone(phone);
  }

  if (!search.birthDate) throw new SpineError(PDS_ERRORS.MISSING_VALUE, diagnostics.missingValue('birth_date/birth_date_range_start/birth_date_range_end'));
  checkMinimumCriteria(search);
  return search;
}

/**
 * Non-fuzzy: family name and date of birth. Fuzzy: given + family + birth date, or family + birth date
 * + gender + postcode, or given + birth date + gender + postcode; no wildcards.
 */
function checkMinimumCriteria(search: SearchQuery): void {
  if (!search.fuzzy) {
    if (!search.family) throw tooWeak();
    return;
  }
  const texts = [search.family, search.postcode, ...search.given].filter((c): c is TextCriterion => c !== undefined);
  if (texts.some((c) => c.wildcardParts !== undefined)) {
    throw new SpineError(PDS_ERRORS.INVALID_SEARCH_DATA, "Invalid search data provided - 'Wildcards cannot be used in a fuzzy search'");
  }
  const given = search.given.length > 0;
  const family = search.family !== undefined;
  const genderAndPostcode = search.gender !== undefined && search.postcode !== undefined;
  if (!((given && family) || (family && genderAndPostcode) || (given && genderAndPostcode))) throw tooWeak();
}
