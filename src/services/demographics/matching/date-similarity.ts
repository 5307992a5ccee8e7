import { isCalendarDate } from '../../../platform/fhir/dates.js';
import type { DateCriterion } from '../search/search-query.js';

/** Day and month swapped (04/03 for 03/04): a common keying error. */
export const DAY_MONTH_SWAPPED = 0.8;
/** Year out by one, or two digits of the year transposed (1978 for 1987). */
export const YEAR_SLIP = 0.7;

export function withinRange(date: string, range: DateCriterion): boolean {
  return (range.from === undefined || date >= range.from) && (range.to === undefined || date <= range.to);
}

/** The plausible mis-keyings of one date of birth that a fuzzy search also looks for. */
export function birthDateVariants(iso: string): Array<{ date: string; score: number }> {
  const [y, m, d] = iso.split('-') as [string, string, string];
  const variants: Array<{ date: string; score: number }> = [];
  const add = (date: string, score: number) => {
    if (date !== iso && isCalendarDate(date) && !variants.some((v) => v.date === date)) variants.push({ date, score });
  };
  add(`${y}-${d}-${m}`, DAY_MONTH_SWAPPED);
  add(`${String(Number(y) + 1).padStart(4, '0')}-${m}-${d}`, YEAR_SLIP);
  add(`${String(Number(y) - 1).padStart(4, '0')}-${m}-${d}`, YEAR_SLIP);
  add(`${y.slice(0, 2)}${y[3]}${y[2]}-${m}-${d}`, YEAR_SLIP);
  return variants;
}

/** 1 when the date is in the searched range; for a fuzzy one-day search, a variant's score; else 0. */
export function birthDateScore(candidate: string | null, query: DateCriterion, fuzzy: boolean): number {
  if (candidate === null) return 0;
  if (withinRange(candidate, query)) return 1;
  if (!fuzzy || query.from === undefined || query.from !== query.to) return 0;
  return birthDateVariants(query.from).find((v) => v.date === candidate)?.score ?? 0;
}
