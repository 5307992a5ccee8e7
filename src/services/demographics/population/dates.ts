/** Date arithmetic on whole UTC days: the generator works in day numbers and formats only at the end. */
const DAY_MS = 86_400_000;

export function dayNumber(iso: string): number {
  return Math.floor(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / DAY_MS);
}

export function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** A FHIR dateTime at midnight UTC in PDS's form, e.g. 2010-10-22T00:00:00+00:00. */
export function isoDateTime(day: number): string {
  return `${isoDate(day)}T00:00:00+00:00`;
}

export function yearOf(day: number): number {
  return new Date(day * DAY_MS).getUTCFullYear();
}

export const DAYS_PER_YEAR = 365.25;
