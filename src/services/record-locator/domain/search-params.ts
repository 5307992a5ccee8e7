import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isValidNhsNumber } from '../../../platform/nhs-number.js';
import { NRL_DIAGNOSTICS, NRL_ERRORS, type NrlIssue } from '../errors.js';
import { CATEGORY_SYSTEM } from './record-types.js';

/**
 * The search parameters of both NRL APIs, from a query string or a `POST _search` body, parsed into
 * data or one NRL issue. NRLF's parameter model is strict on the consumer side (an unknown parameter
 * is an error) and lenient on the producer side (ignored).
 */
export type SearchSide = 'consumer' | 'producer';

export interface PointerSearch {
  nhsNumber?: string;
  /** `system|code` as sent. */
  type?: string;
  /** `system|code` as sent. */
  category?: string;
  /** ODS code from `custodian:identifier`. */
  custodianOds?: string;
  /** The last id of the previous page, from `next-page-token`. */
  afterId?: string;
}

export type ParsedSearch = { ok: true; search: PointerSearch } | { ok: false; issue: NrlIssue };

/**
 * Where the parameters came from: NRLF parses a `GET`'s query as parameters (INVALID_PARAMETER,
 * "Invalid query parameter") and a `POST _search` body as a body (MESSAGE_NOT_WELL_FORMED,
 * "Request body could not be parsed").
 */
export type SearchSource = 'query' | 'body';

export const SUBJECT = 'subject:identifier';
export const CUSTODIAN = 'custodian:identifier';
export const NEXT_PAGE_TOKEN = 'next-page-token';

const consumerSchemas = (JSON.parse(readFileSync(
  fileURLToPath(new URL('../../../../spec/nhs/nrl/api/consumer/swagger.json', import.meta.url)), 'utf8',
)) as { components: { schemas: Record<string, { pattern: string }> } }).components.schemas;
/** The spec's own patterns (RequestQuerySubject, RequestQueryCustodian), quoted in NRL's diagnostics. */
export const SUBJECT_PATTERN = consumerSchemas.RequestQuerySubject!.pattern;
export const CUSTODIAN_PATTERN = consumerSchemas.RequestQueryCustodian!.pattern;
const subjectRegex = new RegExp(SUBJECT_PATTERN);
const custodianRegex = new RegExp(CUSTODIAN_PATTERN);

const KNOWN: Record<SearchSide, readonly string[]> = {
  consumer: [SUBJECT, CUSTODIAN, 'type', 'category', NEXT_PAGE_TOKEN],
  producer: [SUBJECT, 'type', 'category', NEXT_PAGE_TOKEN],
};

/** A client's own parameter name is echoed at most this long; an empty one is named in no expression (FHIR needs text there). */
const MAX_ECHOED_NAME = 100;

function invalid(field: string, why: string, from: SearchSource): ParsedSearch {
  const name = field.slice(0, MAX_ECHOED_NAME);
  const [spec, prefix] = from === 'body'
    ? [NRL_ERRORS.MESSAGE_NOT_WELL_FORMED, 'Request body could not be parsed']
    : [NRL_ERRORS.INVALID_PARAMETER, 'Invalid query parameter'];
  return { ok: false, issue: { spec, diagnostics: `${prefix} (${name}: ${why})`, ...(name ? { expression: name } : {}) } };
}

export function parseSearchParams(
  side: SearchSide, raw: Record<string, unknown>, options: { subjectRequired: boolean; from?: SearchSource },
): ParsedSearch {
  const from = options.from ?? 'query';
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!KNOWN[side].includes(name)) {
      if (side === 'consumer') return invalid(name, 'extra fields not permitted', from);
      continue;
    }
    if (typeof value !== 'string') return invalid(name, 'str type expected', from);
    values[name] = value;
  }
  const search: PointerSearch = {};

  const subject = values[SUBJECT];
  if (subject === undefined) {
    if (options.subjectRequired) return invalid(SUBJECT, 'field required', from);
  } else {
    const match = subjectRegex.exec(subject);
    if (!match) return invalid(SUBJECT, `string does not match regex "${SUBJECT_PATTERN}"`, from);
    if (!isValidNhsNumber(match[1]!)) {
      // The producer's GET words it its own way; its POST _search and both consumer searches alike.
      const diagnostics = side === 'producer' && from === 'query' ? NRL_DIAGNOSTICS.producerSearchNhsNumber : NRL_DIAGNOSTICS.searchNhsNumber;
      return { ok: false, issue: { spec: NRL_ERRORS.INVALID_NHS_NUMBER, diagnostics, expression: SUBJECT } };
    }
    search.nhsNumber = match[1];
  }

  const custodian = values[CUSTODIAN];
  if (custodian !== undefined) {
    const match = custodianRegex.exec(custodian);
    if (!match) return invalid(CUSTODIAN, `string does not match regex "${CUSTODIAN_PATTERN}"`, from);
    search.custodianOds = match[1];
  }

  if (values.type !== undefined) search.type = values.type;

  const category = values.category;
  if (category !== undefined) {
    if (category.split('|', 1)[0] !== CATEGORY_SYSTEM) {
      return { ok: false, issue: {
        spec: NRL_ERRORS.INVALID_CODE_SYSTEM,
        diagnostics: `Invalid query parameter (The provided category system must be '${CATEGORY_SYSTEM}')`,
        expression: 'category',
      } };
    }
    search.category = category;
  }

  const token = values[NEXT_PAGE_TOKEN];
  if (token !== undefined) {
    const afterId = decodePageToken(token);
    if (afterId === undefined) return invalid(NEXT_PAGE_TOKEN, 'invalid page token', from);
    search.afterId = afterId;
  }
  return { ok: true, search };
}

/** Type system check (NRLF validate_type_system): the searched type's system must be one the caller may use. */
export function typeSystemAllowed(type: string | undefined, pointerTypes: readonly string[]): boolean {
  if (type === undefined) return true;
  const system = type.split('|', 1)[0];
  return pointerTypes.some((allowed) => allowed.split('|', 1)[0] === system);
}

/** The page token is opaque to clients: the last id of the page, base64url. */
export function encodePageToken(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodePageToken(token: string): string | undefined {
  if (token.length === 0 || token.length > 200 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const id = Buffer.from(token, 'base64url').toString('utf8');
  if (id.length === 0 || id.length > 64 || encodePageToken(id) !== token || !/^[\x21-\x7e]+$/.test(id)) return undefined;
  return id;
}

/**
 * The query of a searchset's `self` link, in the spec's parameter order, with `|`, `:` and `/`
 * left as they are: the live NRL writes `subject:identifier=https://fhir.nhs.uk/Id/nhs-number|9278693472`.
 */
export function searchQuery(search: PointerSearch, side: SearchSide, pageToken?: string): string {
  const pairs: Array<[string, string]> = [];
  if (search.nhsNumber) pairs.push([SUBJECT, `https://fhir.nhs.uk/Id/nhs-number|${search.nhsNumber}`]);
  if (side === 'consumer' && search.custodianOds) pairs.push([CUSTODIAN, `https://fhir.nhs.uk/Id/ods-organization-code|${search.custodianOds}`]);
  if (search.type) pairs.push(['type', search.type]);
  if (search.category) pairs.push(['category', search.category]);
  if (pageToken) pairs.push([NEXT_PAGE_TOKEN, pageToken]);
  return pairs.map(([name, value]) => `${name}=${readableComponent(value)}`).join('&');
}

const readableComponent = (value: string) =>
  encodeURIComponent(value).replace(/%7C/gi, '|').replace(/%3A/gi, ':').replace(/%2F/gi, '/');
