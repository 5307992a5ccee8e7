import type { Gender } from '../fhir-types.js';

/** A name or postcode criterion in normal form; `prefix` parts joined by wildcards (`Sm*th` → ['SM', 'TH']). */
export interface TextCriterion {
  /** The normalised value without wildcards (what scoring compares). */
  value: string;
  /** Normalised pieces between `*`s when the value had a wildcard, else undefined. */
  wildcardParts?: string[];
}

/** Inclusive date bounds from `eq`/`ge`/`le` values (eq sets both). */
export interface DateCriterion { from?: string; to?: string }

export interface SearchQuery {
  fuzzy: boolean;
  exact: boolean;
  history: boolean;
  maxResults?: number;
  family?: TextCriterion;
  /** One entry per `given` parameter; a compound first name ("John Paul") is one entry. */
  given: TextCriterion[];
  gender?: Gender;
  birthDate?: DateCriterion;
  deathDate?: DateCriterion;
  postcode?: TextCriterion;
  gp?: string;
  email?: string;
  phone?: string;
}

/** True when a criterion is an exact (non-wildcard) value. */
export const isExactText = (c: TextCriterion) => c.wildcardParts === undefined;

/** True when a date criterion names one day. */
export const isSingleDay = (d: DateCriterion) => d.from !== undefined && d.from === d.to;
