import { isCalendarDate } from '../../../platform/fhir/dates.js';

/** Query parameters of the rich listings: `start_time`, an ISO 8601 date or date-time. */

/** The shapes `start_time` may take (the route schema's pattern): a date, or a date-time with optional seconds, fraction and offset. */
export const START_TIME_PATTERN = '^\\s*\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:?\\d{2})?)?\\s*$';
const START_TIME = new RegExp(START_TIME_PATTERN);

/** A `start_time` as a Date; undefined when it is not one (the schema checks its shape, not the calendar: 2020-13-45). */
export function parseStartTime(raw: string): Date | undefined {
  // The pattern checks the shape, isCalendarDate the day (a 30 February would roll over to March).
  if (!START_TIME.test(raw) || !isCalendarDate(raw.trim().slice(0, 10))) return undefined;
  const at = new Date(raw.trim());
  return Number.isNaN(at.getTime()) ? undefined : at;
}
