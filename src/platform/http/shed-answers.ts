import type { IncomingHttpHeaders } from 'node:http';
import { operationOutcome } from '../fhir/operation-outcome.js';
import { PLATFORM_ERRORS } from './errors.js';
import { securityHeaders } from './security-headers.js';

/** The 503s load shedding (shed.ts) writes on the raw server, before Fastify: pre-rendered, one an API. */

/** Seconds a shed client is asked to wait. */
export const SHED_RETRY_AFTER_SECONDS = 1;

/**
 * The 503 that load shedding sends for requests under `prefix`, pre-rendered in that API's own
 * error shape: shedding answers it from the raw request, before Fastify parses, routes or runs
 * any hook, so it cannot ask the service's error handler. Each service lists its own.
 */
export interface OverloadAnswer {
  /** Path prefix of the API; the longest that matches a request wins. */
  prefix: string;
  contentType: string;
  body: string;
  /** Extra headers of this API's error answers (OAuth2: `Cache-Control: no-store`). */
  headers?: Record<string, string>;
  /** Where one API has several error shapes (MESH v1/v2 by `Accept`): whether this one fits a request. */
  fits?: (headers: IncomingHttpHeaders) => boolean;
}

const DIAGNOSTICS = `The service is overloaded; retry after ${SHED_RETRY_AFTER_SECONDS} s`;

/** The platform's answer for any path no service claims: a FHIR OperationOutcome, as every FHIR API here. */
const FHIR_ANSWER: OverloadAnswer = {
  prefix: '/',
  contentType: 'application/fhir+json',
  body: JSON.stringify(operationOutcome({ ...PLATFORM_ERRORS.SERVICE_UNAVAILABLE, diagnostics: DIAGNOSTICS })),
};

const SECURITY_HEADERS = securityHeaders();

export interface Rendered { prefix: string; fits?: OverloadAnswer['fits']; head: string[]; body: Buffer }

function render(answer: OverloadAnswer): Rendered {
  const body = Buffer.from(answer.body);
  // The security headers every answer carries (X-Content-Type-Options among them), as no hook runs here.
  const head = [
    'Content-Type', answer.contentType, 'Content-Length', String(body.length),
    'Retry-After', String(SHED_RETRY_AFTER_SECONDS), 'Cache-Control', 'no-store', ...Object.entries(SECURITY_HEADERS).flat(),
  ];
  for (const [name, value] of Object.entries(answer.headers ?? {})) {
    if (name.toLowerCase() !== 'cache-control') head.push(name, value);
  }
  return { prefix: answer.prefix, fits: answer.fits, head, body };
}

/** Every API's answer and the platform's, rendered, the longest prefix first (the first that matches a request wins). */
export function renderedAnswers(answers: readonly OverloadAnswer[]): Rendered[] {
  return [...answers, FHIR_ANSWER].map(render).sort((a, b) => b.prefix.length - a.prefix.length);
}
