import { isCalendarDate } from '../../platform/fhir/dates.js';

/**
 * The kick-off's query parameters (FHIR Bulk Data Access IG, "Bulk Data Kick-off Request"), as
 * data or the one thing wrong with them. What this server exports: `Patient` (PDS records),
 * `DocumentReference` (NRL pointers) and `MedicationRequest` (EPS prescription items).
 */
export const EXPORT_TYPES = ['Patient', 'DocumentReference', 'MedicationRequest'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

export const NDJSON_FORMATS = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'];

/** Parameters of the IG this server does not implement: refused, so a client is never silently given more than it asked for. */
const UNSUPPORTED = ['_elements', '_typeFilter', 'patient', 'includeAssociatedData', '_until'];

export interface ExportRequest {
  types: ExportType[];
  since?: Date;
}

export type ParsedKickoff = { ok: true; value: ExportRequest } | { ok: false; parameter: string; problem: string };

// FHIR instant: a date, a time with seconds and a timezone.
const INSTANT = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

export function parseKickoff(query: Record<string, unknown>, now: Date): ParsedKickoff {
  for (const name of UNSUPPORTED) {
    if (query[name] !== undefined) return { ok: false, parameter: name, problem: `'${name}' is not supported by this server` };
  }
  const format = query._outputFormat;
  if (format !== undefined && (typeof format !== 'string' || !NDJSON_FORMATS.includes(format))) {
    return { ok: false, parameter: '_outputFormat', problem: `only ${NDJSON_FORMATS.join(', ')} are supported` };
  }
  let types: ExportType[] = [...EXPORT_TYPES];
  if (query._type !== undefined) {
    if (typeof query._type !== 'string') return { ok: false, parameter: '_type', problem: 'give resource types once, comma separated' };
    const asked = query._type.split(',').map((t) => t.trim());
    const unknown = asked.find((t) => !(EXPORT_TYPES as readonly string[]).includes(t));
    if (unknown !== undefined) return { ok: false, parameter: '_type', problem: `'${unknown}' is not exported here (${EXPORT_TYPES.join(', ')})` };
    types = EXPORT_TYPES.filter((t) => asked.includes(t));
  }
  let since: Date | undefined;
  if (query._since !== undefined) {
    const text = query._since;
    // The pattern checks the shape, isCalendarDate the day (a 30 February would roll over to March).
    const at = typeof text === 'string' && INSTANT.test(text) && isCalendarDate(text.slice(0, 10)) ? new Date(text) : undefined;
    if (!at || Number.isNaN(at.getTime())) return { ok: false, parameter: '_since', problem: 'must be a FHIR instant, e.g. 2024-01-01T00:00:00Z' };
    if (at.getTime() > now.getTime()) return { ok: false, parameter: '_since', problem: 'must not be in the future' };
    since = at;
  }
  return { ok: true, value: { types, ...(since ? { since } : {}) } };
}
