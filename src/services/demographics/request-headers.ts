import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from '../../platform/http/errors.js';

/**
 * PDS spec: updates and new records are for healthcare workers (user-restricted access) only; an
 * application-restricted caller is refused whatever activities its app was granted. A route
 * `onRequest` hook, so the refusal comes before the body is read or checked.
 */
export function healthcareWorkersOnly(what: string): onRequestHookHandler {
  return (request: FastifyRequest, _reply, done) => {
    if (request.principal?.accessMode === 'application') {
      return done(new SpineError(PLATFORM_ERRORS.FORBIDDEN, `Access denied: application-restricted access cannot ${what}; a healthcare worker (user-restricted access) is required`));
    }
    done();
  };
}

/** X-Request-ID as sent; the route's headers schema has checked it is there and is a UUID. */
export const requestIdOf = (request: FastifyRequest): string => request.headers['x-request-id'] as string;
