import { isValidNhsNumber } from '../../platform/nhs-number.js';
import { SpineError } from '../../platform/http/errors.js';
import type { RecordedBound } from '../../platform/audit/store.js';
import { parseDateParam, recordedBounds } from './date-param.js';
import { AUDIT_ERRORS, invalidValueDiagnostics } from './errors.js';

/** A validated `GET /AuditEvent` query. */
export interface AuditEventQuery {
  nhsNumber?: string;
  agent?: string;
  recorded: RecordedBound[];
  count: number;
  /** Paging cursor from a `next` link: entries with an id below this. */
  before?: number;
}

export const SEARCH_PARAMETERS = ['patient', 'agent', 'date', '_count', '_before'] as const;
export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 1000;
const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
// The identifier systems an AuditEvent's agents carry (audit-event.ts), accepted in token form.
const AGENT_PREFIXES = ['https://fhir.nhs.uk/Id/sds-user-id|', 'urn:openspine:application-id|', 'Practitioner/', 'Device/'];

type RawQuery = Record<string, string | string[] | undefined>;

const valuesOf = (raw: string | string[] | undefined) => (raw === undefined ? [] : [raw].flat());

function single(query: RawQuery, name: string): string | undefined {
  const values = valuesOf(query[name]);
  if (values.length > 1) {
    throw new SpineError(AUDIT_ERRORS.INVALID_SEARCH_DATA, `Invalid search data provided - '${name}' may be given only once`);
  }
  return values[0];
}

/** The value without a known prefix: the FHIR reference (`Patient/…`) or token (`system|…`) forms. */
function withoutPrefix(value: string, prefixes: readonly string[]): string {
  const prefix = prefixes.find((p) => value.startsWith(p));
  return prefix === undefined ? value : value.slice(prefix.length);
}

/** `9000000009`, `Patient/9000000009` or `https://fhir.nhs.uk/Id/nhs-number|9000000009`. */
function parsePatient(value: string): string {
  const nhsNumber = withoutPrefix(value, ['Patient/', `${NHS_NUMBER_SYSTEM}|`]);
  if (!isValidNhsNumber(nhsNumber)) throw new SpineError(AUDIT_ERRORS.INVALID_VALUE, invalidValueDiagnostics(value, 'patient'));
  return nhsNumber;
}

function parseCount(value: string | undefined): number {
  if (value === undefined) return DEFAULT_COUNT;
  const count = /^[0-9]{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(count >= 1 && count <= MAX_COUNT)) {
    throw new SpineError(AUDIT_ERRORS.INVALID_VALUE, `${invalidValueDiagnostics(value, '_count')}: give a whole number from 1 to ${MAX_COUNT}`);
  }
  return count;
}

function parseBefore(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,14}$/.test(value)) throw new SpineError(AUDIT_ERRORS.INVALID_VALUE, invalidValueDiagnostics(value, '_before'));
  return Number(value);
}

/**
 * Validates the query: unknown parameters are refused rather than ignored, because a filter silently
 * dropped would show a privacy officer more, or fewer, accesses than they asked about.
 */
export function parseAuditEventQuery(query: RawQuery): AuditEventQuery {
  for (const name of Object.keys(query)) {
    if (!(SEARCH_PARAMETERS as readonly string[]).includes(name)) {
      throw new SpineError(AUDIT_ERRORS.ADDITIONAL_PROPERTIES,
        `Invalid search data provided - unknown parameter '${name}'; known: ${SEARCH_PARAMETERS.join(', ')}`);
    }
  }
  const patient = single(query, 'patient');
  const agent = single(query, 'agent');
  const dates = valuesOf(query.date);
  if (patient === undefined && agent === undefined && dates.length === 0) {
    throw new SpineError(AUDIT_ERRORS.INVALID_SEARCH_DATA,
      "Invalid search data provided - give at least one of 'patient' (NHS number), 'agent' (user or application id) or 'date'");
  }
  const agentId = agent === undefined ? undefined : withoutPrefix(agent, AGENT_PREFIXES);
  if (agent !== undefined && (!agentId || agentId.length > 128)) {
    throw new SpineError(AUDIT_ERRORS.INVALID_VALUE, invalidValueDiagnostics(agent, 'agent'));
  }
  const recorded = dates.flatMap((text) => {
    const param = parseDateParam(text);
    if (!param) {
      throw new SpineError(AUDIT_ERRORS.INVALID_VALUE,
        `${invalidValueDiagnostics(text, 'date')}: use [eq|ne|gt|lt|ge|le|sa|eb]YYYY[-MM[-DD[Thh:mm[:ss[.sss]](Z|+hh:mm)]]]`);
    }
    return recordedBounds(param);
  });
  return {
    nhsNumber: patient === undefined ? undefined : parsePatient(patient),
    agent: agentId,
    recorded,
    count: parseCount(single(query, '_count')),
    before: parseBefore(single(query, '_before')),
  };
}
