/**
 * Calendar days as England counts them (Europe/London: GMT in winter, BST in summer). EPS's dates
 * are English ones: the claim period's "5th of the month", a prescription's "6 months from the
 * appropriate date". Read through Intl, so the time zone rules are the runtime's (ICU), not ours.
 */
export interface CalendarDate { year: number; month: number; day: number }

const LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23',
});

/** London's offset from UTC at an instant, in ms, as ICU reads it. */
export function offsetFromIntl(at: Date): number {
  const parts = Object.fromEntries(LONDON.formatToParts(at).filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]));
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - (at.getTime() - at.getUTCMilliseconds());
}

// London's clocks have changed on the hour (UTC) since standard time began in 1847, so the offset
// holds for a whole UTC hour: read once per hour (formatToParts is dear), kept for a bounded number.
const HOUR_MS = 3_600_000;
const offsetsByHour = new Map<number, number>();
const OFFSETS_KEPT = 10_000;

function offsetAt(at: Date): number {
  const hour = Math.floor(at.getTime() / HOUR_MS);
  let offset = offsetsByHour.get(hour);
  if (offset === undefined) {
    offset = offsetFromIntl(new Date(hour * HOUR_MS));
    if (offsetsByHour.size >= OFFSETS_KEPT) offsetsByHour.clear();
    offsetsByHour.set(hour, offset);
  }
  return offset;
}

/** The London wall-clock reading of an instant: its date (month 1–12) and its offset from UTC in ms. */
function londonReading(at: Date): CalendarDate & { offsetMs: number } {
  const offsetMs = offsetAt(at);
  const wall = new Date(at.getTime() + offsetMs);
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate(), offsetMs };
}

/** The London calendar date of an instant (month 1–12). */
export function londonDate(at: Date): CalendarDate {
  const { year, month, day } = londonReading(at);
  return { year, month, day };
}

/**
 * The instant London's day `date` begins. Out-of-range months and days roll over as `Date.UTC`
 * rolls them (month 13 is next January, day 0 the last of the month before). The UK changes its
 * clocks at 01:00 UTC, never at local midnight, so every day has exactly one midnight.
 */
export function londonMidnight(date: CalendarDate): Date {
  const asUtc = Date.UTC(date.year, date.month - 1, date.day);
  // The offset an hour either side of the guess is the offset at midnight (no change falls within).
  const offset = londonReading(new Date(asUtc - londonReading(new Date(asUtc)).offsetMs)).offsetMs;
  return new Date(asUtc - offset);
}

/** The last instant (ms) of London's day `date`. */
export const londonEndOfDay = (date: CalendarDate): Date => new Date(londonMidnight({ ...date, day: date.day + 1 }).getTime() - 1);

/** `months` calendar months on, the day kept, or the month's last when it has fewer (31 August + 6 months: 28/29 February). */
export function addMonths(date: CalendarDate, months: number): CalendarDate {
  const index = date.year * 12 + date.month - 1 + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { year, month, day: Math.min(date.day, days) };
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}
