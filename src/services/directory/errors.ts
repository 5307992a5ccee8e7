import { defineErrors } from '../../platform/http/errors.js';

/** SDS FHIR API errors, as the SDS answers them: Spine STU3 value set, no version (upstream sds-api error handler). */
export const SDS_ERROR_SYSTEM = 'https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1';

export const SDS_ERRORS = defineErrors({
  BAD_REQUEST: { status: 400, code: 'BAD_REQUEST', display: 'Bad request', issueCode: 'required', system: SDS_ERROR_SYSTEM },
  // The SDS sandbox's 404 (stubs/404.json); the SDS itself codes it NOT_IMPLEMENTED.
  NOT_FOUND: { status: 404, code: 'NO_RECORD_FOUND', display: 'No record found', issueCode: 'not-found', system: SDS_ERROR_SYSTEM },
  // Ours, not the SDS's (its spec has no paging and no limit): a search matching more records than one
  // answer carries (sds/search-bound.ts). FHIR's issue type for a request stopped to protect the server.
  TOO_MANY_MATCHES: { status: 400, code: 'BAD_REQUEST', display: 'Bad request', issueCode: 'too-costly', system: SDS_ERROR_SYSTEM },
  METHOD_NOT_ALLOWED: { status: 405, code: 'NOT_IMPLEMENTED', display: 'Not implemented', issueCode: 'not-supported', system: SDS_ERROR_SYSTEM },
  NOT_ACCEPTABLE: {
    status: 406, code: 'MISSING_OR_INVALID_HEADER', display: 'There is a required header missing or invalid',
    issueCode: 'not-supported', system: SDS_ERROR_SYSTEM,
  },
});

/**
 * Diagnostics of the SDS FHIR API, word for word (upstream sds-api request handlers). The SDS puts
 * its web framework's rendering of the error in `diagnostics`: "HTTP 400: Bad Request (<message>)",
 * or "HTTP 400: <reason>" when the error carries a reason instead of a message.
 */
export const SDS_DIAGNOSTICS = {
  badRequest: (message: string) => `HTTP 400: Bad Request (${message})`,
  invalidParameter: (name: string, system: string) =>
    `Missing or invalid '${name}' query parameter. Should be '${name}=${system}|value'`,
  invalidIdentifier: (interactionSystem: string, partyKeySystem: string) =>
    `Missing or invalid 'identifier' query parameter. Should be one or both of: [`
    + `'identifier=${interactionSystem}|value', 'identifier=${partyKeySystem}|value'`,
  illegalParameter: (name: string) => `Illegal query parameter '${name}'`,
  tooManyMatches: (max: number, narrower: string) =>
    `Too many matches: the search matches more than ${max} records, the most one answer carries; narrow it (${narrower})`,
  tooManyInteractions: (max: number, narrower: string) =>
    `Too many matches: the records the search matches list more than ${max} interactions, the most one answer carries; narrow it (${narrower})`,
  // Upstream concatenates the combinations without separators; kept as the SDS sends it.
  invalidEndpointCombination: (org: string, interaction: string, partyKey: string) =>
    'Missing or invalid query parameters. Should one of following combinations: ['
    + `'${org}&${interaction}&${partyKey}''${org}&${interaction}''${org}&${partyKey}''${interaction}&${partyKey}']`,
  invalidCorrelationId: (pattern: string) => `HTTP 400: Invalid X-Correlation-ID header. Should be an UUIDv4 matching regex '${pattern}'`,
  notFound: 'HTTP endpoint not found',
  methodNotAllowed: 'HTTP operation not supported',
  notAcceptable: 'Accept type not supported',
};

/** Admin API errors beyond the platform's INVALID_VALUE / MISSING_VALUE / NOT_FOUND. */
export const DIRECTORY_ADMIN_ERRORS = defineErrors({
  DUPLICATE: { status: 409, code: 'DUPLICATE_REJECTED', display: 'Create would lead to creation of a duplicate resource', issueCode: 'duplicate' },
  NO_SUCH_RECORD: { status: 404, code: 'RESOURCE_NOT_FOUND', display: 'Resource not found', issueCode: 'not-found' },
});
