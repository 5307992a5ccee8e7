import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { operationOutcome } from '../fhir/operation-outcome.js';
import { PLATFORM_ERRORS, SpineError, withRetryAfter, type ErrorSpec } from './errors.js';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../db/faults.js';
import { RequestValidationError, clippedFailure, displayValue, type ValidationFailure } from './validation-failure.js';

/** What went wrong, independent of the wire shape (FHIR OperationOutcome, MESH error body, OAuth2 error). */
export interface ClassifiedError {
  spec: ErrorSpec;
  diagnostics?: string;
  headers?: Record<string, string>;
  expression?: string[];
  /** Set when the door refused the request: what was wrong, for services that render it themselves. */
  failure?: ValidationFailure;
}

/**
 * A refusal at the door in the NHS FHIR APIs' words (PDS diagnostics formats, which clients
 * compare as strings): `Missing value - 'name/0/family'`, `Invalid value - '1' in field 'gender'`,
 * `Invalid value - 'abc' in header 'X-Request-ID'`.
 */
export function fhirValidationError(failure: ValidationFailure): ClassifiedError {
  const inHeader = failure.part === 'headers';
  switch (failure.kind) {
    case 'missing':
      return {
        spec: PLATFORM_ERRORS.MISSING_VALUE, failure,
        diagnostics: inHeader
          ? `Invalid request with error - ${failure.path} header must be supplied to access this resource`
          : `Missing value - '${failure.path}'`,
      };
    case 'unexpected':
      return { spec: PLATFORM_ERRORS.INVALID_VALUE, failure, diagnostics: `Invalid request with error - Additional properties are not allowed ('${failure.path}' was unexpected)` };
    default:
      return { spec: PLATFORM_ERRORS.INVALID_VALUE, failure, diagnostics: `Invalid value - '${displayValue(failure.value)}' in ${inHeader ? 'header' : 'field'} '${failure.path}'` };
  }
}

/**
 * Turns anything thrown in a request into a catalogued error. Fastify's own errors (bad JSON,
 * wrong content type, oversized body, schema validation) become the NHS codes a client expects;
 * anything unknown becomes a 500 without internals, and is logged.
 */
export function classifyError(err: unknown, request: FastifyRequest): ClassifiedError {
  const classified = classifyAny(err, request);
  if (classified.spec.status === 503) classified.headers = withRetryAfter(classified.headers);
  return classified;
}

/**
 * The request's own stream failed because its client closed the connection before sending the
 * whole body (Node's 'aborted', code ECONNRESET): the client's doing, not the database's, though
 * the code is one a lost database connection shows too.
 */
function uploadAborted(err: unknown, request: FastifyRequest): boolean {
  return request.raw.readableAborted && (err as { code?: unknown }).code === 'ECONNRESET';
}

function classifyAny(err: unknown, request: FastifyRequest): ClassifiedError {
  if (err instanceof SpineError) {
    return { spec: err.spec, diagnostics: err.diagnostics, headers: err.options.headers, expression: err.options.expression };
  }
  if (uploadAborted(err, request)) {
    // Nobody is listening: whatever is sent is dropped with the connection.
    return { spec: PLATFORM_ERRORS.SERVICE_UNAVAILABLE, diagnostics: 'The client closed its connection' };
  }
  if (isDatabaseUnavailable(err)) {
    // The driver's message names hosts and ports: logged for the operator, never sent. A fault met
    // first-hand (not the breaker's quick refusal while the database is known to be down, of which
    // the pool logs one line per outage) is logged with its code. Nothing was committed: a
    // transaction that failed here was rolled back.
    if (!(err instanceof DatabaseUnavailableError)) {
      request.log.warn({ code: (err as { code?: unknown }).code, reason: (err as Error).message }, 'database fault: answered 503');
    }
    return { spec: PLATFORM_ERRORS.SERVICE_UNAVAILABLE, diagnostics: 'The service is temporarily unavailable (database unreachable or too slow); retry later' };
  }
  if (err instanceof RequestValidationError) return fhirValidationError(err.failure);
  const fastifyError = err as Partial<FastifyError> & { validation?: unknown[]; validationContext?: string };
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { spec: PLATFORM_ERRORS.UNSUPPORTED_MEDIA_TYPE, diagnostics: `Unsupported Content-Type '${request.headers['content-type'] ?? ''}'` };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { spec: PLATFORM_ERRORS.BODY_TOO_LARGE, diagnostics: 'Request body is larger than this endpoint accepts' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { spec: PLATFORM_ERRORS.MALFORMED_BODY, diagnostics: 'Request body is empty but JSON was declared' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { spec: PLATFORM_ERRORS.MALFORMED_BODY, diagnostics: 'Content-Length does not match the body' };
    // @fastify/static will not serve a path holding a backslash or a NUL: there is no file by that name.
    case 'FST_STATIC_FORBIDDEN_PATH':
      return { spec: PLATFORM_ERRORS.NOT_FOUND, diagnostics: 'There is no file at this address' };
    default:
      break;
  }
  if (fastifyError.validation) {
    const where = fastifyError.validationContext ?? 'request';
    return { spec: PLATFORM_ERRORS.INVALID_VALUE, diagnostics: `Invalid ${where}: ${fastifyError.message}` };
  }
  if (fastifyError.statusCode === 400 || err instanceof SyntaxError) {
    return { spec: PLATFORM_ERRORS.MALFORMED_BODY, diagnostics: `Request body could not be parsed: ${fastifyError.message}` };
  }
  if (fastifyError.statusCode === 403) return { spec: PLATFORM_ERRORS.FORBIDDEN, diagnostics: fastifyError.message };
  if (fastifyError.statusCode === 404) return { spec: PLATFORM_ERRORS.NOT_FOUND, diagnostics: fastifyError.message };
  if (fastifyError.statusCode === 413) return { spec: PLATFORM_ERRORS.BODY_TOO_LARGE, diagnostics: fastifyError.message };
  if (fastifyError.statusCode === 415) return { spec: PLATFORM_ERRORS.UNSUPPORTED_MEDIA_TYPE, diagnostics: fastifyError.message };
  if (fastifyError.statusCode === 429) return { spec: PLATFORM_ERRORS.TOO_MANY_REQUESTS, diagnostics: fastifyError.message };
  if (fastifyError.statusCode === 503) return { spec: PLATFORM_ERRORS.SERVICE_UNAVAILABLE, diagnostics: fastifyError.message };
  request.log.error({ err }, 'unhandled error');
  return { spec: PLATFORM_ERRORS.INTERNAL_ERROR, diagnostics: `An unexpected error occurred; quote request id ${request.id} to the operator` };
}

export function sendOperationOutcome(reply: FastifyReply, error: ClassifiedError): FastifyReply {
  if (error.headers) reply.headers(error.headers);
  return reply
    .code(error.spec.status)
    .type('application/fhir+json')
    .send(operationOutcome({ ...error.spec, diagnostics: error.diagnostics, expression: error.expression }));
}

/** The FHIR error handler, set on the root instance; services with another error shape set their own. */
export function fhirErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  return sendOperationOutcome(reply, classifyError(err, request));
}

/**
 * `classifyError`, a refusal at the door quoting only a short piece of the value sent (its first 100
 * characters and its length), never the whole of a huge one: for APIs whose diagnostics no NHS client
 * compares (the admin APIs, NDOP's).
 */
export function classifyErrorClipped(err: unknown, request: FastifyRequest): ClassifiedError {
  const classified = classifyError(err, request);
  return classified.failure ? { ...fhirValidationError(clippedFailure(classified.failure)), headers: classified.headers } : classified;
}

/** The FHIR error handler with `classifyErrorClipped`'s quoting. */
export function clippedFhirErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  return sendOperationOutcome(reply, classifyErrorClipped(err, request));
}
