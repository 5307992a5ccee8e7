/**
 * FHIR's `date` and `dateTime` have no year 0000 (their patterns start
 * `([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)`), and neither has PostgreSQL, which refuses
 * `0000-01-01` as out of range. JavaScript's `Date` takes year 0 (1 BC), so a date checked only
 * by it reached the database and came back a 500.
 */
const CALENDAR_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

/** `YYYY-MM-DD`, a day that exists, in years 0001–9999. */
export function isCalendarDate(text: string): boolean {
  const match = CALENDAR_DATE.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year === 0 || month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one; setUTCFullYear keeps years below 100 as written.
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  return day <= last.getUTCDate();
}

/** A text that begins with a `YYYY-MM-DD` (a date, a date and time) whose year is 0000. */
export const isYearZero = (text: string): boolean => text.startsWith('0000');
