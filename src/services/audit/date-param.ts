import type { RecordedBound } from '../../platform/audit/store.js';

/**
 * FHIR `date` search parameters (https://hl7.org/fhir/R4/search.html#date): an optional prefix and
 * a date or dateTime of any precision. A value stands for the whole interval its precision covers
 * (`2026-03` is all of March), and the prefix compares the recorded instant with that interval.
 */

export const DATE_PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb'] as const;
export type DatePrefix = (typeof DATE_PREFIXES)[number];

export interface DateParam {
  prefix: DatePrefix;
  /** First instant of the interval the value covers. */
  start: Date;
  /** First instant after it. */
  end: Date;
}

// YYYY, YYYY-MM, YYYY-MM-DD, or a dateTime down to fractions of a second. A time needs a zone
// (FHIR: "if hours and minutes are specified, a time zone SHALL be populated").
const DATE_VALUE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** The interval a FHIR date/dateTime value covers, or undefined if it is not one. */
export function parseDateValue(text: string): { start: Date; end: Date } | undefined {
  const match = DATE_VALUE.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const zoneMatch = zone && zone !== 'Z' ? /^([+-])(\d{2}):(\d{2})$/.exec(zone) : null;
  // FHIR dateTime: a zone from -14:00 to +14:00.
  if (zoneMatch && (Number(zoneMatch[3]) > 59 || Number(zoneMatch[2]) * 60 + Number(zoneMatch[3]) > 14 * 60)) return undefined;
  const offsetMinutes = zoneMatch ? (zoneMatch[1] === '-' ? -1 : 1) * (Number(zoneMatch[2]) * 60 + Number(zoneMatch[3])) : 0;
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  const base = new Date(0);
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, minute, second, millis);
  const start = new Date(base.getTime() - offsetMinutes * 60_000);
  const end = new Date(start);
  if (mo === undefined) end.setUTCFullYear(year + 1, 0, 1);
  else if (d === undefined) end.setUTCMonth(month, 1);
  else if (h === undefined) end.setUTCDate(end.getUTCDate() + 1);
  else if (s === undefined) end.setTime(start.getTime() + 60_000);
  else if (fraction === undefined) end.setTime(start.getTime() + 1_000);
  // Stored times have millisecond precision: finer fractions cover the millisecond they fall in.
  else end.setTime(start.getTime() + (fraction.length >= 3 ? 1 : 10 ** (3 - fraction.length)));
  return { start, end };
}

/** `ge2026-03-01` → { prefix: 'ge', … }; undefined when the text is not a valid date parameter. */
export function parseDateParam(text: string): DateParam | undefined {
  const prefix = (DATE_PREFIXES as readonly string[]).includes(text.slice(0, 2)) ? (text.slice(0, 2) as DatePrefix) : undefined;
  const interval = parseDateValue(prefix ? text.slice(2) : text);
  return interval && { prefix: prefix ?? 'eq', ...interval };
}

/** What a date parameter asks of the instant a record was written. */
export function recordedBounds(param: DateParam): RecordedBound[] {
  switch (param.prefix) {
    case 'eq': return [{ op: 'atOrAfter', at: param.start }, { op: 'before', at: param.end }];
    case 'ne': return [{ op: 'outside', start: param.start, end: param.end }];
    case 'gt':
    case 'sa': return [{ op: 'atOrAfter', at: param.end }];
    case 'lt':
    case 'eb': return [{ op: 'before', at: param.start }];
    case 'ge': return [{ op: 'atOrAfter', at: param.start }];
    case 'le': return [{ op: 'before', at: param.end }];
  }
}

/** Whether an instant satisfies the bounds: the same rule as the SQL, for tests and in-memory checks. */
export function satisfiesBounds(instant: Date, bounds: RecordedBound[]): boolean {
  const t = instant.getTime();
  return bounds.every((b) => {
    if (b.op === 'outside') return t < b.start.getTime() || t >= b.end.getTime();
    return b.op === 'atOrAfter' ? t >= b.at.getTime() : t < b.at.getTime();
  });
}
