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

/**
 * The first query parameter of `url` whose name or value is not percent-encoded UTF-8 (`%ED%A0%80`,
 * a lone surrogate; `%FF`; `%zz`), by its name as far as that decodes; undefined when each one is.
 * Fastify's query parser keeps such a value as its raw text, so `messageID=%ED%A0%80` was looked up
 * as the 9 characters `%ED%A0%80` and answered 404 naming them, and a `workflow_filter` so written
 * was taken as a filter and echoed double-encoded in `links.self`.
 */
export function undecodableQueryParameter(url: string): string | undefined {
  const start = url.indexOf('?');
  if (start < 0) return undefined;
  for (const pair of url.slice(start + 1).split('&')) {
    const equals = pair.indexOf('=');
    const rawName = equals < 0 ? pair : pair.slice(0, equals);
    try {
      decodeURIComponent(pair);
    } catch {
      try {
        return decodeURIComponent(rawName);
      } catch {
        return rawName;
      }
    }
  }
  return undefined;
}
