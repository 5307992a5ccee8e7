import type { FastifyRequest } from 'fastify';
import { isUuid } from '../../platform/http/request-ids.js';
import { PLATFORM_ERRORS, SpineError } from '../../platform/http/errors.js';
import { PDS_ERRORS, diagnostics } from './errors.js';

/**
 * PDS spec: X-Request-ID is mandatory on every Patient route and must be a UUID; PDS also uses it
 * to recognise a retried update. Returns the id as sent.
 */
export function requireRequestId(request: FastifyRequest): string {
  const value = request.headers['x-request-id'];
  if (value === undefined) throw new SpineError(PDS_ERRORS.MISSING_VALUE, diagnostics.missingRequestId);
  const text = Array.isArray(value) ? value.join(',') : value;
  if (!isUuid(text)) throw new SpineError(PDS_ERRORS.INVALID_VALUE, diagnostics.invalidHeader(text, 'X-Request-ID'));
  return text;
}

/**
 * PDS spec: updates and new records are for healthcare workers (user-restricted access) only; an
 * application-restricted caller is refused whatever activities its app was granted.
 */
export function requireHealthcareWorker(request: FastifyRequest, what: string): void {
  if (request.principal?.accessMode === 'application') {
    throw new SpineError(PLATFORM_ERRORS.FORBIDDEN, `Access denied: application-restricted access cannot ${what}; a healthcare worker (user-restricted access) is required`);
  }
}
