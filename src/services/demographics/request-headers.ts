import type { FastifyRequest } from 'fastify';
import { isUuid } from '../../platform/http/request-ids.js';
import { SpineError } from '../../platform/http/errors.js';
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
