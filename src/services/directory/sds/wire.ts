import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fhirErrorHandler } from '../../../platform/http/error-mapper.js';
import { SpineError } from '../../../platform/http/errors.js';
import { RequestValidationError } from '../../../platform/http/validation.js';
import { SDS_DIAGNOSTICS, SDS_ERRORS } from '../errors.js';
import { sdsRefusal } from './schemas.js';

/**
 * The SDS wire conventions: every answer carries an X-Correlation-ID (the caller's, else a new one),
 * and SDS errors are OperationOutcomes whose id is that correlation id, coded in the Spine STU3
 * value set without a version, as the SDS sends them. Platform errors (401/403, 500) keep the
 * platform's shape. JSON answers carry their media type exactly, without a charset parameter.
 */

const CORRELATION_ID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const CORRELATION_ID_PATTERN = new RegExp(CORRELATION_ID);
const SDS_SPECS = new Set<unknown>(Object.values(SDS_ERRORS));

export const FHIR_JSON = 'application/fhir+json';
export const PLAIN_JSON = 'application/json';
export type SdsMediaType = typeof FHIR_JSON | typeof PLAIN_JSON;

declare module 'fastify' {
  interface FastifyRequest {
    sdsCorrelationId?: string;
    /** The media type the caller's Accept header chose for a search answer. */
    sdsMediaType?: SdsMediaType;
  }
}

/**
 * onRequest hook: adopt or mint the correlation id. A malformed one is refused as the SDS does, and
 * the refusal carries a fresh id: the caller's value is never echoed.
 */
export async function adoptCorrelationId(request: FastifyRequest, reply: FastifyReply) {
  reply.header('X-Correlation-ID', correlationIdOf(request));
  const sent = request.headers['x-correlation-id'];
  if (typeof sent === 'string' && sent !== '' && sent !== request.sdsCorrelationId) {
    throw new SpineError(SDS_ERRORS.BAD_REQUEST, SDS_DIAGNOSTICS.invalidCorrelationId(CORRELATION_ID));
  }
}

/** The caller's correlation id when it is a UUID, else a fresh one; the same for the whole request. */
function correlationIdOf(request: FastifyRequest): string {
  if (request.sdsCorrelationId === undefined) {
    const sent = request.headers['x-correlation-id'];
    request.sdsCorrelationId = typeof sent === 'string' && CORRELATION_ID_PATTERN.test(sent) ? sent : randomUUID().toUpperCase();
  }
  return request.sdsCorrelationId;
}

/**
 * The media type of a search answer for an Accept header, or undefined when it accepts no JSON.
 * As the SDS: FHIR JSON unless the caller asks only for `application/json`; a range with `q=0`
 * is one the caller refuses.
 */
export function sdsMediaTypeFor(accept: string | undefined): SdsMediaType | undefined {
  if (accept === undefined || accept.trim() === '') return FHIR_JSON;
  const accepted = new Set<string>();
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const refused = parameters.some((p) => /^q\s*=\s*0(\.0*)?$/.test(p));
    if (!refused) accepted.add(type);
  }
  if ([FHIR_JSON, 'application/*', '*/*'].some((type) => accepted.has(type))) return FHIR_JSON;
  return accepted.has(PLAIN_JSON) ? PLAIN_JSON : undefined;
}

/** preHandler: the SDS answers JSON only (406 otherwise). */
export async function negotiateMediaType(request: FastifyRequest) {
  const type = sdsMediaTypeFor(request.headers.accept);
  if (type === undefined) throw new SpineError(SDS_ERRORS.NOT_ACCEPTABLE, SDS_DIAGNOSTICS.notAcceptable);
  request.sdsMediaType = type;
}

const UTF8 = /;\s*charset=utf-8$/i;

/**
 * onSend hook, after the platform's: the X-Correlation-ID answered is the one adopted (the platform
 * echoes what was sent, even when invalid), and JSON media types are exact, as the SDS and its
 * sandbox send them (`application/fhir+json`; Fastify would add a charset).
 */
export async function sdsResponseHeaders(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  // Also when the request was refused before the SDS hook ran (401 from the auth guard).
  reply.header('X-Correlation-ID', correlationIdOf(request));
  const type = reply.getHeader('content-type');
  if (typeof type === 'string' && type.includes('json') && UTF8.test(type)) reply.header('content-type', type.replace(UTF8, ''));
  return payload;
}

export function sdsOperationOutcome(error: SpineError, correlationId: string | undefined) {
  return {
    resourceType: 'OperationOutcome',
    ...(correlationId ? { id: correlationId } : {}),
    issue: [{
      severity: error.spec.severity ?? 'error',
      code: error.spec.issueCode,
      details: { coding: [{ system: error.spec.system, code: error.spec.code, display: error.spec.display }] },
      ...(error.diagnostics !== undefined ? { diagnostics: error.diagnostics } : {}),
    }],
  };
}

export function sdsErrorHandler(thrown: unknown, request: FastifyRequest, reply: FastifyReply) {
  const err = thrown instanceof RequestValidationError ? sdsRefusal(thrown.failure) : thrown;
  if (err instanceof SpineError && SDS_SPECS.has(err.spec)) {
    if (err.options.headers) reply.headers(err.options.headers);
    // Also for a refusal before the SDS's own onRequest hook (a URL the platform's door refuses): the id the header carries.
    return reply.code(err.spec.status).type(FHIR_JSON).send(sdsOperationOutcome(err, correlationIdOf(request)));
  }
  return fhirErrorHandler(err, request, reply);
}

/** The SDS's answer to any path it does not serve under /spine-directory (paths are case-sensitive). */
export function sdsNotFound(request: FastifyRequest, reply: FastifyReply) {
  return sdsErrorHandler(new SpineError(SDS_ERRORS.NOT_FOUND, SDS_DIAGNOSTICS.notFound), request, reply);
}

export const methodNotAllowed = () =>
  new SpineError(SDS_ERRORS.METHOD_NOT_ALLOWED, SDS_DIAGNOSTICS.methodNotAllowed, { headers: { Allow: 'GET' } });
