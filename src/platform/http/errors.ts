import type { IssueSeverity } from '../fhir/operation-outcome.js';
import { DATABASE_RETRY_AFTER_SECONDS } from '../db/faults.js';

/** One catalogue entry: everything needed to answer an error on the wire. */
export interface ErrorSpec {
  status: number;
  /** The NHS error code, e.g. INVALID_RESOURCE_ID. */
  code: string;
  display: string;
  /** The FHIR issue type (value, not-found, conflict, forbidden, …). */
  issueCode: string;
  severity?: IssueSeverity;
  /** Coding system when not Spine-ErrorOrWarningCode (NRL uses its own). */
  system?: string;
}

export function defineErrors<const T extends Record<string, ErrorSpec>>(catalogue: T): T {
  return catalogue;
}

/** The one error type services throw; the service's error mapper turns it into its wire shape. */
export class SpineError extends Error {
  constructor(
    readonly spec: ErrorSpec,
    readonly diagnostics?: string,
    readonly options: { headers?: Record<string, string>; expression?: string[] } = {},
  ) {
    super(diagnostics ?? spec.display);
    this.name = 'SpineError';
    // Whichever handler renders it.
    if (spec.status === 503) this.options = { ...options, headers: withRetryAfter(options.headers) };
  }
}

/**
 * A 503's headers: every 503 tells the client when to come back (RFC 9110 §10.2.3), by default
 * when the database is next tried; a `Retry-After` already given is kept.
 */
export function withRetryAfter(headers: Record<string, string> = {}): Record<string, string> {
  return Object.keys(headers).some((name) => name.toLowerCase() === 'retry-after') ? headers : { ...headers, 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) };
}

/** Errors every FHIR API shares. Services add their own catalogues beside their code. */
export const PLATFORM_ERRORS = defineErrors({
  NOT_FOUND: { status: 404, code: 'RESOURCE_NOT_FOUND', display: 'Resource not found', issueCode: 'not-found', severity: 'information' },
  MALFORMED_BODY: { status: 400, code: 'MESSAGE_NOT_WELL_FORMED', display: 'Message not well formed', issueCode: 'invalid' },
  INVALID_VALUE: { status: 400, code: 'INVALID_VALUE', display: 'Provided value is invalid', issueCode: 'value' },
  MISSING_VALUE: { status: 400, code: 'MISSING_VALUE', display: 'Required value is missing', issueCode: 'required' },
  // Spine-ErrorOrWarningCode has no code of its own for 405; NOT_IMPLEMENTED is the one the SDS and NDOP answer it with.
  METHOD_NOT_ALLOWED: { status: 405, code: 'NOT_IMPLEMENTED', display: 'Not implemented', issueCode: 'not-supported' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', display: 'Unsupported media type', issueCode: 'not-supported' },
  BODY_TOO_LARGE: { status: 413, code: 'MESSAGE_TOO_LARGE', display: 'Message too large', issueCode: 'too-long' },
  HEADERS_TOO_LARGE: { status: 431, code: 'MESSAGE_TOO_LARGE', display: 'Request header fields too large', issueCode: 'too-long' },
  // Spine-ErrorOrWarningCode has no code for an unmet Expect (RFC 9110 §10.1.1); it is a header value the server cannot honour.
  EXPECTATION_FAILED: { status: 417, code: 'INVALID_VALUE', display: 'Expectation failed', issueCode: 'not-supported' },
  REQUEST_TIMEOUT: { status: 408, code: 'TIMEOUT', display: 'Request timeout', issueCode: 'timeout' },
  ACCESS_DENIED: { status: 401, code: 'ACCESS_DENIED', display: 'Access Denied - Unauthorised', issueCode: 'forbidden' },
  FORBIDDEN: { status: 403, code: 'ACCESS_DENIED', display: 'Access has been denied to process this request', issueCode: 'forbidden' },
  /**
   * FORBIDDEN because the application itself is not registered for the route's activity (not its user's role):
   * the same wire answer everywhere, told apart by identity for an API that words it otherwise (EPS:
   * "Your app does not have permission to access prescribing functionality.", routes/scope.ts).
   */
  APPLICATION_FORBIDDEN: { status: 403, code: 'ACCESS_DENIED', display: 'Access has been denied to process this request', issueCode: 'forbidden' },
  TOO_MANY_REQUESTS: { status: 429, code: 'TOO_MANY_REQUESTS', display: 'You have exceeded your application\'s rate limit', issueCode: 'throttled' },
  SERVICE_UNAVAILABLE: { status: 503, code: 'SERVICE_UNAVAILABLE', display: 'Service unavailable', issueCode: 'transient' },
  INTERNAL_ERROR: { status: 500, code: 'INTERNAL_SERVER_ERROR', display: 'Unexpected internal server error', issueCode: 'exception' },
});
