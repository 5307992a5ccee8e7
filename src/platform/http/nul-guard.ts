import type { FastifyInstance } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from './errors.js';

// PostgreSQL text cannot hold U+0000, so a NUL that reached a query would fail there as a 500.
// No field of any NHS API takes one: refuse it at the door, with a 400 that says where it was.
const ENCODED_NUL = /%00/;

/**
 * Whether a JSON text holds a NUL, raw or escaped. Two plain searches: on this machine a regular
 * expression with the two alternatives took 13 µs on a 17 kB EPS body, the searches 0.3 µs.
 */
export const containsNulInJson = (body: string) => body.includes('\u0000') || body.includes('\\u0000');

export function registerNulGuard(app: FastifyInstance) {
  app.addHook('onRequest', (request, _reply, done) => {
    if (ENCODED_NUL.test(request.url)) {
      return done(new SpineError(PLATFORM_ERRORS.INVALID_VALUE, 'The URL contains a NUL character (%00), which no path segment or parameter accepts'));
    }
    done();
  });
}

export function nulInBodyError() {
  return new SpineError(PLATFORM_ERRORS.MALFORMED_BODY, 'Request body contains a NUL character (\\u0000), which no field accepts');
}
