import type { FastifyInstance } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from './errors.js';
import { RequestValidationError } from './validation-failure.js';
import { firstUndecodableParameter } from './query-encoding.js';

// PostgreSQL text cannot hold U+0000, so a NUL that reached a query would fail there as a 500.
// No field of any NHS API takes one: refuse it at the door, with a 400 that says where it was.
const ENCODED_NUL = /%00/;

/**
 * What the URL may hold, checked before anything else (as the router checks its path): no encoded
 * NUL in the path, and a query whose percent-encoding is UTF-8 without a NUL. Node's parser refuses raw bytes
 * outside printable ASCII in a request line (400), so a URL is ASCII and only an escape can carry
 * anything else: a URL without `%` (nearly every request) costs one search.
 *
 * An undecodable query parameter, or one holding a NUL, is the door's refusal of that parameter
 * (part `querystring`, keyword `encoding`, the value as sent), so each API answers it in its own
 * shape and words, as any other bad parameter: PDS `Invalid value - '%FF' in field 'family'`, the
 * SDS `Missing or invalid 'organization' query parameter`. A name that does not decode
 * is one no API has, and a name the route's query schema does not list one it does not take
 * (`unexpected`, as its schema would say). Fastify's parser would keep such text as it came and the
 * route search for it.
 */
type ObjectSchema = { properties?: Record<string, unknown>; additionalProperties?: unknown; allOf?: ObjectSchema[] };

/**
 * Whether a route's query schema may take `name`: not when it, or one of its `allOf` (the SDS's
 * searches), lists its parameters and allows no others.
 */
function takesParameter(schema: ObjectSchema | undefined, name: string): boolean {
  if (!schema) return true;
  const closed = schema.additionalProperties === false && !Object.hasOwn(schema.properties ?? {}, name);
  return !closed && (schema.allOf ?? []).every((part) => takesParameter(part, name));
}

/**
 * The named path parameter (one segment) that holds the NUL, with its segment as sent, so the API
 * refuses that parameter in its own shape. Not a wildcard (`*`): a route's wildcard keeps the
 * platform's refusal of the whole path (a path no route has is the API's not-found answer).
 */
function nulPathParameter(path: string, params: unknown): { name: string; sent: string } | undefined {
  const values = (params ?? {}) as Record<string, unknown>;
  const name = Object.keys(values).find((key) => key !== '*' && typeof values[key] === 'string' && (values[key] as string).includes('\0'));
  if (name === undefined) return undefined;
  const sent = path.split('/').find((segment) => segment.includes('%00') && decodedOrUndefined(segment) === values[name]);
  return { name, sent: sent ?? (values[name] as string).replaceAll('\0', '%00') };
}

function decodedOrUndefined(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function registerUrlGuard(app: FastifyInstance) {
  app.addHook('onRequest', (request, _reply, done) => {
    const url = request.url;
    if (!url.includes('%')) return done();
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (ENCODED_NUL.test(path)) {
      const refused = nulPathParameter(path, request.params);
      if (refused) return done(new RequestValidationError({ part: 'params', kind: 'invalid', path: refused.name, value: refused.sent, keyword: 'encoding' }));
      // A path no route has is the API's own not-found answer, as the same path without the NUL is:
      // every not-found handler reads the path as sent (request.url, where the NUL is still `%00`),
      // never decoded (the wildcard's params), and none is audited, so no NUL reaches the database.
      if (request.is404) return done();
      return done(new SpineError(PLATFORM_ERRORS.INVALID_VALUE, 'The URL path contains a NUL character (%00), which no path segment accepts'));
    }
    const undecodable = query === -1 ? undefined : firstUndecodableParameter(url.slice(query + 1));
    if (undecodable) {
      const { name, value, inName } = undecodable;
      const unexpected = inName || !takesParameter(request.routeOptions.schema?.querystring as ObjectSchema | undefined, name);
      return done(new RequestValidationError({ part: 'querystring', kind: unexpected ? 'unexpected' : 'invalid', path: name, value, keyword: 'encoding' }));
    }
    done();
  });
}
