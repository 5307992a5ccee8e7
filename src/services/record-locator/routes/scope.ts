import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { classifyError } from '../../../platform/http/error-mapper.js';
import { SpineError, type ErrorSpec } from '../../../platform/http/errors.js';
import { NRL_DIAGNOSTICS, NRL_ERROR_SYSTEM, NRL_ERRORS, NrlIssuesError, type NrlIssue } from '../errors.js';
import { documentBodyIssues, searchBodyIssues } from '../body-errors.js';
import { nrlValidatorCompiler } from '../validator.js';
import { sendNrlError } from '../wire.js';
import { isWellFormed } from '../domain/connection-metadata.js';

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

function nrlErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof NrlIssuesError) return sendNrlError(reply, { spec: err.spec, issues: err.issues });
  if (err instanceof SpineError) {
    return sendNrlError(reply, { spec: inNrlCoding(err.spec), diagnostics: err.diagnostics, expression: err.options.expression, headers: err.options.headers });
  }
  const fastifyError = err as Partial<FastifyError> & { validation?: ErrorObject[]; validationContext?: string };
  if (fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return sendNrlError(reply, { spec: NRL_ERRORS.BAD_REQUEST, diagnostics: NRL_DIAGNOSTICS.bodyRequired });
  }
  if (Array.isArray(fastifyError.validation)) {
    const issues: NrlIssue[] = fastifyError.validationContext === 'body' && request.routeOptions.config.nrlBody === 'document'
      ? documentBodyIssues(fastifyError.validation)
      : searchBodyIssues(fastifyError.validation);
    return sendNrlError(reply, { spec: issues[0]!.spec, issues });
  }
  if (isDatabaseFault(err)) {
    request.log.warn({ err }, 'database unavailable');
    return sendNrlError(reply, { spec: NRL_ERRORS.SERVICE_UNAVAILABLE, diagnostics: 'The pointer store is unavailable; retry shortly' });
  }
  const classified = classifyError(err, request);
  return sendNrlError(reply, { ...classified, spec: inNrlCoding(classified.spec) });
}

/** The path of the first string (or key) that holds a lone UTF-16 surrogate, if any. */
export function illFormedPath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return isWellFormed(value) ? undefined : path || 'body';
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = illFormedPath(item, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (!isWellFormed(key)) return at;
      const found = illFormedPath(item, at);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Everything under `/record-locator` answers in NRL's shapes: the spec's schemas checked by the
 * service's own ajv, every error (the platform's included) as NRL's OperationOutcome, and bodies
 * with lone surrogates refused before they reach PostgreSQL.
 */
export function configureNrlScope(app: FastifyInstance) {
  app.setValidatorCompiler(nrlValidatorCompiler);
  app.setErrorHandler(nrlErrorHandler);
  app.addHook('preValidation', async (request) => {
    if (!request.routeOptions.config.nrlBody) return;
    if (request.body === undefined || request.body === null) {
      throw new SpineError(NRL_ERRORS.BAD_REQUEST, NRL_DIAGNOSTICS.bodyRequired);
    }
    const badField = illFormedPath(request.body);
    if (badField !== undefined) {
      throw new NrlIssuesError([{
        spec: NRL_ERRORS.MESSAGE_NOT_WELL_FORMED,
        diagnostics: `Request body could not be parsed (${badField}: string contains a lone surrogate)`,
        expression: badField,
      }]);
    }
  });
  app.setNotFoundHandler((request, reply) =>
    sendNrlError(reply, { spec: NRL_ERRORS.NOT_FOUND, diagnostics: `No such endpoint: ${request.method} ${request.url.split('?')[0]}` }));
}

