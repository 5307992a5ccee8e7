import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fhirErrorHandler } from '../../../platform/http/error-mapper.js';
import { SpineError } from '../../../platform/http/errors.js';
import { SDS_DIAGNOSTICS, SDS_ERRORS } from '../errors.js';

/**
 * The SDS wire conventions: every answer carries an X-Correlation-ID (the caller's, else a new one),
 * and SDS errors are OperationOutcomes whose id is that correlation id, coded in the Spine STU3
 * value set without a version, as the SDS sends them. Platform errors (401/403, 500) keep the
 * platform's shape.
 */

const CORRELATION_ID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const CORRELATION_ID_PATTERN = new RegExp(CORRELATION_ID);
const SDS_SPECS = new Set<unknown>(Object.values(SDS_ERRORS));

declare module 'fastify' {
  interface FastifyRequest {
    sdsCorrelationId?: string;
  }
}

/** onRequest hook: adopt or mint the correlation id; a malformed one is refused as the SDS does. */
export async function adoptCorrelationId(request: FastifyRequest, reply: FastifyReply) {
  const sent = request.headers['x-correlation-id'];
  const value = typeof sent === 'string' && sent !== '' ? sent : undefined;
  request.sdsCorrelationId = value !== undefined && CORRELATION_ID_PATTERN.test(value) ? value : randomUUID().toUpperCase();
  reply.header('X-Correlation-ID', value ?? request.sdsCorrelationId);
  if (value !== undefined && !CORRELATION_ID_PATTERN.test(value)) {
    throw new SpineError(SDS_ERRORS.BAD_REQUEST, SDS_DIAGNOSTICS.invalidCorrelationId(CORRELATION_ID));
  }
}

const ACCEPTABLE = new Set(['*/*', 'application/*', 'application/fhir+json', 'application/json']);

/** preHandler: the SDS answers JSON only (406 otherwise). */
export async function requireJsonAccept(request: FastifyRequest) {
  const accept = request.headers.accept;
  if (!accept) return;
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  if (!types.some((type) => ACCEPTABLE.has(type))) {
    throw new SpineError(SDS_ERRORS.NOT_ACCEPTABLE, SDS_DIAGNOSTICS.notAcceptable);
  }
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

export function sdsErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof SpineError && SDS_SPECS.has(err.spec)) {
    if (err.options.headers) reply.headers(err.options.headers);
    return reply.code(err.spec.status).type('application/fhir+json')
      .send(sdsOperationOutcome(err, request.sdsCorrelationId));
  }
  return fhirErrorHandler(err, request, reply);
}

/** The SDS's answer to any path it does not serve under /spine-directory. */
export function sdsNotFound(request: FastifyRequest, reply: FastifyReply) {
  return sdsErrorHandler(new SpineError(SDS_ERRORS.NOT_FOUND, SDS_DIAGNOSTICS.notFound), request, reply);
}

export const methodNotAllowed = () =>
  new SpineError(SDS_ERRORS.METHOD_NOT_ALLOWED, SDS_DIAGNOSTICS.methodNotAllowed, { headers: { Allow: 'GET' } });
