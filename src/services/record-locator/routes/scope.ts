import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { classifyError } from '../../../platform/http/error-mapper.js';
import { SpineError, type ErrorSpec } from '../../../platform/http/errors.js';
import { NRL_DIAGNOSTICS, NRL_ERROR_SYSTEM, NRL_ERRORS, NrlIssuesError, type NrlIssue } from '../errors.js';
import { documentBodyIssues, fhirPath, searchBodyIssues, topLevelField } from '../body-errors.js';
import { declaredFields, DOCUMENT_ID_PATTERN } from '../schemas.js';
import { RequestValidationError, everySchemaError } from '../../../platform/http/validation.js';
import { sendNrlError } from '../wire.js';
import { parseEveryBodyAsJson } from '../../../platform/http/body-parsers.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How this route's body errors read: NRLF parses a DocumentReference and `_search` parameters differently. */
    nrlBody?: 'document' | 'search';
  }
}

/** The platform's catalogue entries, in NRL's coding (same status, NRL's nearest code). */
function inNrlCoding(spec: ErrorSpec): ErrorSpec {
  if (spec.system === NRL_ERROR_SYSTEM) return spec;
  switch (spec.code) {
    case 'MESSAGE_NOT_WELL_FORMED': return NRL_ERRORS.MESSAGE_NOT_WELL_FORMED;
    case 'ACCESS_DENIED': return spec.status === 401 ? NRL_ERRORS.UNAUTHENTICATED : NRL_ERRORS.ACCESS_DENIED;
    case 'UNSUPPORTED_MEDIA_TYPE': return NRL_ERRORS.UNSUPPORTED_MEDIA_TYPE;
    case 'MESSAGE_TOO_LARGE': return NRL_ERRORS.MESSAGE_TOO_LARGE;
    case 'TOO_MANY_REQUESTS': return NRL_ERRORS.TOO_MANY_REQUESTS;
    case 'SERVICE_UNAVAILABLE': return NRL_ERRORS.SERVICE_UNAVAILABLE;
    case 'RESOURCE_NOT_FOUND': return NRL_ERRORS.NOT_FOUND;
    case 'INVALID_VALUE': case 'MISSING_VALUE': return NRL_ERRORS.INVALID_PARAMETER;
    default: return spec.status >= 500 ? NRL_ERRORS.INTERNAL_SERVER_ERROR : { ...spec, system: NRL_ERROR_SYSTEM };
  }
}

/** PostgreSQL unreachable, shutting down or out of connections: the caller should retry, so 503. */
function isDatabaseFault(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (/^(08|53|57P)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(code));
}

/** A pointer's path, `…/DocumentReference/{id}`, with nothing after the id but a query. */
const POINTER_PATH = /\/(?:consumer|producer)\/FHIR\/R4\/DocumentReference\/[^/?]+(?:\?|$)/;

/**
 * The router refuses some paths before any route matches (a parameter past its length limit, a
 * path that does not decode as UTF-8), so no route's schema sees them. Under
 * `…/DocumentReference/{id}` that is an id the spec's DocumentId does not match, refused as the
 * door refuses any other: the same code, words and expression, whichever check caught it.
 */
function isRefusedPointerId(err: unknown, request: FastifyRequest): boolean {
  return err instanceof SpineError && err.spec.code === 'INVALID_VALUE' && request.routeOptions.url === undefined && POINTER_PATH.test(request.url);
}

function nrlErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof NrlIssuesError) return sendNrlError(reply, { spec: err.spec, issues: err.issues });
  if (isRefusedPointerId(err, request)) {
    return sendNrlError(reply, { spec: NRL_ERRORS.INVALID_PARAMETER, diagnostics: `Invalid path parameter (id: string does not match regex "${DOCUMENT_ID_PATTERN}")`, expression: ['id'] });
  }
  if (err instanceof SpineError) {
    return sendNrlError(reply, { spec: inNrlCoding(err.spec), diagnostics: err.diagnostics, expression: err.options.expression, headers: err.options.headers });
  }
  const fastifyError = err as Partial<FastifyError>;
  if (fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return sendNrlError(reply, { spec: NRL_ERRORS.BAD_REQUEST, diagnostics: NRL_DIAGNOSTICS.bodyRequired });
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && request.routeOptions.config.nrlBody) {
    const limit = request.routeOptions.bodyLimit;
    const diagnostics = request.routeOptions.config.nrlBody === 'document' ? NRL_DIAGNOSTICS.pointerTooLarge(limit) : NRL_DIAGNOSTICS.searchTooLarge(limit);
    return sendNrlError(reply, { spec: NRL_ERRORS.MESSAGE_TOO_LARGE, diagnostics });
  }
  if (err instanceof RequestValidationError) {
    const issues = doorIssues(err, request);
    return sendNrlError(reply, { spec: issues[0]!.spec, issues });
  }
  const classified = classifyError(err, request);
  if (classified.spec.status === 500 && isDatabaseFault(err)) {
    // Until the platform classifies database faults itself: the caller should retry, so 503.
    return sendNrlError(reply, { spec: NRL_ERRORS.SERVICE_UNAVAILABLE, diagnostics: 'The pointer store is unavailable; retry shortly', headers: { 'Retry-After': '1' } });
  }
  return sendNrlError(reply, { ...classified, spec: inNrlCoding(classified.spec) });
}

/** What the platform's parser refuses in a body that is JSON, in the words of a body NRL could not parse. */
const PARSE_REFUSALS: Partial<Record<string, string>> = {
  unicode: 'string contains a lone surrogate',
  // JSON.parse makes ±Infinity of a number beyond a double's range (1e309), which no store can keep.
  finite: 'number is too large',
};

/**
 * A refusal at the platform's door, in NRL's words: a body the spec's schema refuses is listed in
 * full (NRLF reports every failure), a lone surrogate or a number too large is a body that cannot be parsed, and a
 * `_search` body reads as parameters do.
 */
function doorIssues(err: RequestValidationError, request: FastifyRequest): NrlIssue[] {
  const { failure } = err;
  const path = fhirPathOf(failure.path);
  const unparsable = PARSE_REFUSALS[failure.keyword];
  if (unparsable) {
    // A DocumentReference's failure is named by its top-level field, as NRLF names every parse failure.
    const field = request.routeOptions.config.nrlBody === 'document' ? topLevelField(path) : path || 'body';
    return [{ spec: NRL_ERRORS.MESSAGE_NOT_WELL_FORMED, diagnostics: `Request body could not be parsed (${field}: ${unparsable})`, expression: field }];
  }
  if (failure.part === 'headers') {
    // Every header NRL declares is text; only X-Request-ID is required and patterned (a UUID).
    const diagnostics = failure.path.toLowerCase() === 'x-request-id' ? NRL_DIAGNOSTICS.missingRequestId : `The ${failure.path} header is missing or invalid`;
    return [{ spec: NRL_ERRORS.MISSING_REQUEST_ID, diagnostics }];
  }
  const schemas = request.routeOptions.schema as Partial<Record<'body' | 'querystring' | 'params', object>> | undefined;
  const schema = schemas?.[failure.part];
  const data = failure.part === 'body' ? request.body : failure.part === 'querystring' ? request.query : request.params;
  const errors: ErrorObject[] = schema ? everySchemaError(schema, data) : [];
  if (errors.length > 0) {
    const order = { declared: declaredFields(schema!), sent: data !== null && typeof data === 'object' && !Array.isArray(data) ? Object.keys(data) : [] };
    if (failure.part === 'params') return searchBodyIssues(errors, 'path', order);
    if (request.routeOptions.config.nrlBody === 'document') return documentBodyIssues(errors, order);
    return searchBodyIssues(errors, failure.part === 'body' ? 'body' : 'query', order);
  }
  const why = failure.kind === 'missing' ? 'field required' : failure.kind === 'unexpected' ? 'extra fields not permitted' : `invalid value (${failure.keyword})`;
  const where = failure.part === 'body' ? 'request body' : failure.part === 'params' ? 'path' : 'query';
  return [{ spec: NRL_ERRORS.INVALID_PARAMETER, diagnostics: `Invalid ${where} parameter (${path}: ${why})`, expression: path }];
}

/** `content/0/attachment/url` (the door's path) → `content[0].attachment.url`. */
const fhirPathOf = (doorPath: string) => fhirPath(doorPath === '' ? '' : `/${doorPath}`);

/**
 * Everything under `/record-locator` answers in NRL's shapes: every error, the platform's door
 * and guard included, as NRL's OperationOutcome; a body-less write is NRLF's "Request body is
 * required" before any schema check. NRL's API gateway passes a body to NRLF whatever its
 * Content-Type (the spec declares only `application/fhir+json`, and no gateway check), and NRLF
 * reads it as JSON: so does this, so a client sending JSON as `text/plain`, or with curl's form
 * type, is served, and a body that is not JSON is one that "could not be parsed", never a 415.
 */
export function configureNrlScope(app: FastifyInstance) {
  app.setErrorHandler(nrlErrorHandler);
  parseEveryBodyAsJson(app);
  // A DELETE's Content-Type and body are ignored by the platform (body-parsers.ts): NRL's has none.
  // NRL's API gateway hands NRLF a query as one value a name, the last of a repeated one (AWS's
  // queryStringParameters): `?type=a&type=b` searches type b, and so does this.
  // One callback hook (no promise a request) for both: the query's repeated names and a missing body.
  app.addHook('preValidation', (request, _reply, done) => {
    const query = request.query as Record<string, unknown> | undefined;
    if (query) {
      for (const [name, value] of Object.entries(query)) {
        if (Array.isArray(value)) query[name] = value[value.length - 1];
      }
    }
    // A body the parser could not take is refused by the door, as not well formed.
    if (request.routeOptions.config.nrlBody && ((request.body === undefined && !request.bodyRefusal) || request.body === null)) {
      return done(new SpineError(NRL_ERRORS.BAD_REQUEST, NRL_DIAGNOSTICS.bodyRequired));
    }
    done();
  });
  app.setNotFoundHandler((request, reply) =>
    sendNrlError(reply, { spec: NRL_ERRORS.NOT_FOUND, diagnostics: `No such endpoint: ${request.method} ${request.url.split('?')[0]}` }));
}

