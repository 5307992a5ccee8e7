import { defineErrors, SpineError, type ErrorSpec } from '../../platform/http/errors.js';

/**
 * NRL's error and response codes, as the live NRL (NRLF) answers them: errors coded in the Spine
 * value set (note the `-1` ValueSet URL, unlike PDS), successes in NRL-ResponseCode. Displays are
 * NRLF's, word for word; the same code comes with different FHIR issue types depending on the
 * check that failed, hence the variants.
 */
export const NRL_ERROR_SYSTEM = 'https://fhir.nhs.uk/ValueSet/Spine-ErrorOrWarningCode-1';
export const NRL_RESPONSE_SYSTEM = 'https://fhir.nhs.uk/ValueSet/NRL-ResponseCode';

const error = (status: number, code: string, display: string, issueCode: string): ErrorSpec =>
  ({ status, code, display, issueCode, system: NRL_ERROR_SYSTEM });

const DISPLAY = {
  ACCESS_DENIED: 'Access has been denied to process this request',
  INVALID_RESOURCE: 'Invalid validation of resource',
  NO_RECORD_FOUND: 'No record found',
  INVALID_NHS_NUMBER: 'Invalid NHS number',
  INVALID_CODE_SYSTEM: 'Invalid code system',
  INTERNAL_SERVER_ERROR: 'Unexpected internal server error',
  BAD_REQUEST: 'Bad request',
  AUTHOR_CREDENTIALS_ERROR: 'Author credentials error',
  DUPLICATE_REJECTED: 'Create would lead to creation of a duplicate resource',
  INVALID_PARAMETER: 'Invalid parameter',
  MESSAGE_NOT_WELL_FORMED: 'Message not well formed',
  MISSING_OR_INVALID_HEADER: 'There is a required header missing or invalid',
  INVALID_IDENTIFIER_SYSTEM: 'Invalid identifier system',
  INVALID_CODE_VALUE: 'Invalid code value',
  INVALID_IDENTIFIER_VALUE: 'Invalid identifier value',
} as const;

export const NRL_ERRORS = defineErrors({
  ACCESS_DENIED: error(403, 'ACCESS DENIED', DISPLAY.ACCESS_DENIED, 'forbidden'),
  /** The platform guard's 401 (no or bad access token), in NRL's coding. */
  UNAUTHENTICATED: error(401, 'ACCESS DENIED', DISPLAY.ACCESS_DENIED, 'forbidden'),
  AUTHOR_CREDENTIALS_ERROR: error(403, 'AUTHOR_CREDENTIALS_ERROR', DISPLAY.AUTHOR_CREDENTIALS_ERROR, 'forbidden'),
  INVALID_RESOURCE: error(400, 'INVALID_RESOURCE', DISPLAY.INVALID_RESOURCE, 'invalid'),
  INVALID_RESOURCE_REQUIRED: error(400, 'INVALID_RESOURCE', DISPLAY.INVALID_RESOURCE, 'required'),
  INVALID_RESOURCE_VALUE: error(400, 'INVALID_RESOURCE', DISPLAY.INVALID_RESOURCE, 'value'),
  BAD_REQUEST: error(400, 'BAD_REQUEST', DISPLAY.BAD_REQUEST, 'invalid'),
  INVALID_NHS_NUMBER: error(400, 'INVALID_NHS_NUMBER', DISPLAY.INVALID_NHS_NUMBER, 'invalid'),
  INVALID_CODE_SYSTEM: error(400, 'INVALID_CODE_SYSTEM', DISPLAY.INVALID_CODE_SYSTEM, 'code-invalid'),
  INVALID_PARAMETER: error(400, 'INVALID_PARAMETER', DISPLAY.INVALID_PARAMETER, 'invalid'),
  MESSAGE_NOT_WELL_FORMED: error(400, 'MESSAGE_NOT_WELL_FORMED', DISPLAY.MESSAGE_NOT_WELL_FORMED, 'invalid'),
  INVALID_IDENTIFIER_SYSTEM: error(400, 'INVALID_IDENTIFIER_SYSTEM', DISPLAY.INVALID_IDENTIFIER_SYSTEM, 'invalid'),
  INVALID_IDENTIFIER_VALUE: error(400, 'INVALID_IDENTIFIER_VALUE', DISPLAY.INVALID_IDENTIFIER_VALUE, 'invalid'),
  INVALID_IDENTIFIER_VALUE_REQUIRED: error(400, 'INVALID_IDENTIFIER_VALUE', DISPLAY.INVALID_IDENTIFIER_VALUE, 'required'),
  INVALID_IDENTIFIER_VALUE_VALUE: error(400, 'INVALID_IDENTIFIER_VALUE', DISPLAY.INVALID_IDENTIFIER_VALUE, 'value'),
  INVALID_CODE_VALUE: error(400, 'INVALID_CODE_VALUE', DISPLAY.INVALID_CODE_VALUE, 'value'),
  MISSING_OR_INVALID_HEADER: error(401, 'MISSING_OR_INVALID_HEADER', DISPLAY.MISSING_OR_INVALID_HEADER, 'invalid'),
  MISSING_REQUEST_ID: error(400, 'MISSING_OR_INVALID_HEADER', DISPLAY.MISSING_OR_INVALID_HEADER, 'invalid'),
  NO_RECORD_FOUND: error(404, 'NO_RECORD_FOUND', DISPLAY.NO_RECORD_FOUND, 'not-found'),
  DUPLICATE_REJECTED: error(409, 'DUPLICATE_REJECTED', DISPLAY.DUPLICATE_REJECTED, 'conflict'),
  UNSUPPORTED_MEDIA_TYPE: error(415, 'BAD_REQUEST', DISPLAY.BAD_REQUEST, 'not-supported'),
  MESSAGE_TOO_LARGE: error(413, 'MESSAGE_NOT_WELL_FORMED', DISPLAY.MESSAGE_NOT_WELL_FORMED, 'too-long'),
  TOO_MANY_REQUESTS: error(429, 'ACCESS DENIED', DISPLAY.ACCESS_DENIED, 'throttled'),
  SERVICE_UNAVAILABLE: error(503, 'INTERNAL_SERVER_ERROR', DISPLAY.INTERNAL_SERVER_ERROR, 'transient'),
  INTERNAL_SERVER_ERROR: error(500, 'INTERNAL_SERVER_ERROR', DISPLAY.INTERNAL_SERVER_ERROR, 'exception'),
  /** Not an NRL code: the service's own not-found for paths the spec does not have. */
  NOT_FOUND: error(404, 'NO_RECORD_FOUND', DISPLAY.NO_RECORD_FOUND, 'not-found'),
});

/** NRL-ResponseCode: the 200/201 OperationOutcomes. Diagnostics are NRLF's. */
export const NRL_RESPONSES = {
  RESOURCE_CREATED: { status: 201, code: 'RESOURCE_CREATED', display: 'Resource created', diagnostics: 'The document has been created' },
  RESOURCE_SUPERSEDED: {
    status: 201, code: 'RESOURCE_SUPERSEDED', display: 'Resource created and resource(s) deleted',
    diagnostics: 'The document has been superseded by a new version',
  },
  RESOURCE_UPDATED: { status: 200, code: 'RESOURCE_UPDATED', display: 'Resource updated', diagnostics: 'The DocumentReference has been updated' },
  RESOURCE_DELETED: {
    status: 200, code: 'RESOURCE_DELETED', display: 'Resource deleted', diagnostics: 'The requested DocumentReference has been deleted',
  },
} as const;
export type NrlResponse = (typeof NRL_RESPONSES)[keyof typeof NRL_RESPONSES];

/** One issue of an NRL error: NRLF reports every failed check of a body, not only the first. */
export interface NrlIssue {
  spec: ErrorSpec;
  diagnostics: string;
  expression?: string;
}

/** A SpineError that carries more than one issue (all share the first one's HTTP status). */
export class NrlIssuesError extends SpineError {
  constructor(readonly issues: NrlIssue[]) {
    const [first] = issues;
    super(first!.spec, first!.diagnostics, { expression: first!.expression === undefined ? undefined : [first!.expression] });
  }
}

/** `nrlError(NRL_ERRORS.BAD_REQUEST, 'why', 'field')`: the factories NRLF calls SpineErrorResponse.X(...). */
export function nrlError(spec: ErrorSpec, diagnostics: string, expression?: string): SpineError {
  return new SpineError(spec, diagnostics, { expression: expression === undefined ? undefined : [expression] });
}

/** NRLF's diagnostics, word for word, so clients matching on them keep working. */
export const NRL_DIAGNOSTICS = {
  notFound: 'The requested DocumentReference could not be found',
  noPermission: (odsCode: string) => `Your organisation '${odsCode}' does not have permission to access this resource. Contact the onboarding team.`,
  badMetadata: 'Unable to parse metadata about the requesting application. Contact the onboarding team.',
  missingRequestId: 'The X-Request-Id header is missing or invalid',
  consumerTypeNotAllowed: 'The requested DocumentReference is not of a type that this organisation is allowed to access',
  readOtherOrganisation: 'The requested DocumentReference cannot be read because it belongs to another organisation',
  deleteOtherOrganisation: 'The requested DocumentReference cannot be deleted because it belongs to another organisation',
  idNotOwnOrganisation: 'The id of the provided DocumentReference does not include the expected ODS code for this organisation',
  custodianMismatch: 'The custodian of the provided DocumentReference does not match the expected ODS code for this organisation',
  typeNotAllowed: 'The type of the provided DocumentReference is not in the list of allowed types for this organisation',
  pathBodyIdMismatch: 'The document id in the path does not match the document id in the body',
  immutableField: (field: string) => `The field '${field}' is immutable and cannot be updated`,
  searchNhsNumber: 'A valid NHS number is required to search for document references',
  producerSearchNhsNumber: 'Invalid NHS number provided in the search parameters',
  countNhsNumber: 'Invalid NHS number provided in the query parameters',
  typeSystemNotAllowed: 'Invalid query parameter (The provided type system does not match the allowed types for this organisation)',
  /** The POST _search handlers word it each their own way (NRLF@03ed227). */
  consumerBodyTypeSystemNotAllowed: 'Invalid type (The provided type system does not match the allowed types for this organisation)',
  producerBodyTypeSystemNotAllowed: 'The provided type system does not match the allowed types for this organisation',
  bodyRequired: 'Request body is required',
  duplicate: (id: string) => `A DocumentReference with id '${id}' already exists`,
  /** OpenSpine's own (limits.ts): NRLF's words for it were not in the copied sources. */
  pointerTooLarge: (limit: number) => `Request body is larger than this endpoint accepts: a DocumentReference may be at most ${limit} bytes`,
  searchTooLarge: (limit: number) => `Request body is larger than this endpoint accepts: search parameters may be at most ${limit} bytes`,
} as const;
