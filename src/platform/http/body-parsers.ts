import type { FastifyInstance, FastifyRequest } from 'fastify';
import { containsNulInJson, nulInBodyError } from './nul-guard.js';
import { RequestValidationError, fieldPath, findIllFormedString, findNestedDeeperThan } from './validation-failure.js';

// application/json+fhir: STU3's JSON media type (the NDOP Consent API).
const JSON_TYPES = ['application/json', 'application/fhir+json', 'application/json+fhir', 'application/json-patch+json'];

// A lone surrogate can only arrive as a \uD800–\uDFFF escape (the body is decoded as UTF-8).
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * A JSON string holding a lone surrogate cannot be stored (PostgreSQL takes only well-formed
 * UTF-8) nor echoed: it is refused at the door as an invalid value, naming the field.
 */
function loneSurrogateError(body: unknown): RequestValidationError | undefined {
  const found = findIllFormedString(body);
  if (!found) return undefined;
  // The answer names the field and echoes the value with the surrogate as U+FFFD, so it can be sent.
  const printable = (text: string) => text.replace(/\p{Surrogate}/gu, '\uFFFD');
  return new RequestValidationError({ part: 'body', kind: 'invalid', path: printable(fieldPath(found.segments)), value: printable(found.value), keyword: 'unicode' });
}

/**
 * How deep a JSON body may nest objects and arrays. The APIs' documents nest a dozen or so levels
 * (an EPS order, a FHIR extension within an extension); what a schema leaves open (an extension's
 * extensions) could otherwise nest thousands deep, and then whatever recurses over it runs out of
 * stack: `JSON.stringify` about 4,000 levels down (an EPS order accepted so would break its
 * release), ajv's check of a recursive schema (PDS: a patched extension 6,000 deep), a handler's walk.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether JSON text nests objects and arrays more than `max` deep: one pass over the text, strings
 * skipped with `indexOf` (most of a document is strings). 10 µs for a 14 kB EPS order here, a
 * fifth of its `JSON.parse`; text too short to nest that deep is not read.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  if (text.length <= 2 * max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // To the quote that closes the string: one after an even number of backslashes.
      for (let from = i + 1; ; from = i + 1) {
        i = text.indexOf('"', from);
        if (i < 0) return false;
        let slashes = 0;
        while (text.charCodeAt(i - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** A body nested deeper than MAX_JSON_DEPTH, refused at the door as an invalid value, at the path where it goes too deep. */
function tooDeepError(text: string, body: unknown): RequestValidationError | undefined {
  if (!nestsDeeperThan(text, MAX_JSON_DEPTH)) return undefined;
  const segments = findNestedDeeperThan(body, MAX_JSON_DEPTH);
  if (!segments) return undefined;
  return new RequestValidationError({ part: 'body', kind: 'invalid', path: fieldPath(segments), value: `(nested more than ${MAX_JSON_DEPTH} deep)`, keyword: 'maxDepth' });
}

/**
 * JSON that parses but holds a `__proto__` or `constructor.prototype` key, refused as a whole.
 * `value` is the body as plain `JSON.parse` reads it (such a key an own property, harmless until
 * the object is merged into another), for a door that checks the key as its schema would (NRL's).
 */
class PoisonedBodyRefusal extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_CTP_INVALID_JSON_BODY';
  constructor(readonly value: unknown) {
    super("the body holds a '__proto__' or 'constructor.prototype' key, which is refused");
  }
}

/**
 * Fastify's parser says "not valid JSON but content-type is set to 'application/json'" both for
 * text that is not JSON, whatever the media type, and for JSON it refuses on purpose (a
 * `__proto__` or `constructor.prototype` key, which could poison an object's prototype): the client
 * is told which, under the media type it sent. Still a 400 the error mappers read as unparsable.
 */
function unparsable(err: Error & { code?: string }, text: string, type: string): Error {
  if (err.code !== 'FST_ERR_CTP_INVALID_JSON_BODY') return err;
  let value: unknown;
  // Fastify's parser reads past a byte order mark; JSON.parse does not.
  try { value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); } catch {
    return Object.assign(new Error(`the body is not valid JSON (Content-Type ${type})`), { statusCode: 400, code: err.code });
  }
  return new PoisonedBodyRefusal(value);
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * A JSON body's text as received (without a byte order mark), beside the parsed `body`: a
     * service that keeps a message as it came stores this, where stringifying the parsed body again
     * cost EPS a tenth of a millisecond for each of its large messages.
     */
    jsonText?: string;
    /**
     * Why the body could not be taken (not JSON, a NUL, a lone surrogate, a poisoning key): kept
     * for the door, which refuses it when it comes to the body, after the headers and whatever
     * else the route's API checks first (PDS: a PATCH without If-Match is 412 whatever its body).
     */
    bodyRefusal?: Error;
    /** The body without its prototype-poisoning keys, for handlers, where the door checks it with them (`parseEveryBodyAsJson`). */
    bodyForHandlers?: unknown;
  }
}

/** The JSON text of a request's body: as received, else (a body some other parser read) the parsed body's. */
export const jsonTextOf = (request: FastifyRequest): string => request.jsonText ?? JSON.stringify(request.body);

type BodyParser = (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => void;

/**
 * The platform's JSON parser: Fastify's (which refuses prototype-poisoning keys), then a NUL or a
 * lone surrogate refused. A body it cannot take is kept as the request's `bodyRefusal` for the
 * door; `mediaType` names what the client sent, for the refusal's words. With `keysToTheDoor`, a
 * body holding a `__proto__` or `constructor.prototype` key is not refused: the door checks it as
 * plainly parsed (such a key an own property, which reading cannot harm), and the handlers get it
 * without those keys (`bodyForHandlers`).
 */
function jsonBodyParser(app: FastifyInstance, mediaType: (request: FastifyRequest) => string, keysToTheDoor = false): BodyParser {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const parseRemovingKeys = app.getDefaultJsonParser('remove', 'remove');
  return (request, body, done) => {
    const text = body as string;
    const refuse = (refusal: Error) => {
      request.bodyRefusal = refusal;
      done(null, undefined);
    };
    if (containsNulInJson(text)) return refuse(nulInBodyError());
    // Fastify's parser answers at once, from inside its own try: what is done with its answer is
    // done after it, so that a throw here is not taken for (and answered as) a body that is not JSON.
    let outcome: { err: Error | null; parsed: unknown } | undefined;
    parseJson(request, text, (err, parsed) => { outcome ??= { err, parsed }; });
    const { err } = outcome!;
    let { parsed } = outcome!;
    if (err) {
      const refusal = unparsable(err, text, mediaType(request));
      if (!(refusal instanceof PoisonedBodyRefusal) || !keysToTheDoor) return refuse(refusal);
      // The same text parsed again, its prototype keys removed (Fastify's parsers answer at once).
      parseRemovingKeys(request, text, (removeErr, withoutKeys) => {
        request.bodyForHandlers = removeErr ? undefined : withoutKeys;
      });
      if (request.bodyForHandlers === undefined) return refuse(refusal);
      parsed = refusal.value;
    }
    // Most bodies hold no \u escape at all: a plain search for one costs a thirtieth of the pattern's.
    const refused = (text.includes('\\u') && SURROGATE_ESCAPE.test(text) ? loneSurrogateError(parsed) : undefined) ?? tooDeepError(text, parsed);
    if (refused) return refuse(refused);
    request.jsonText = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    return done(null, parsed);
  };
}

/**
 * Every body of the scope read as JSON, whatever its Content-Type or none, as an API reads it whose
 * gateway hands the service any body as it came and parses it as plain JSON (NRL's): a JSON body
 * under `text/plain` or curl's default form type is taken, anything else is JSON that cannot be
 * parsed, and a `__proto__` or `constructor` key is a key like another for the door's schema (NRL:
 * an extra field where the model has none), never one a handler sees.
 */
export function parseEveryBodyAsJson(scope: FastifyInstance) {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'string' }, jsonBodyParser(scope, (request) => request.headers['content-type'] ?? 'none', true));
  scope.addHook('preHandler', (request, _reply, done) => {
    if (request.bodyForHandlers !== undefined) request.body = request.bodyForHandlers;
    done();
  });
}

/**
 * JSON bodies under every JSON media type FHIR and PDS use, and form bodies for OAuth2. Fastify's
 * own JSON parser guards against prototype poisoning; we reuse it for the FHIR types.
 */
export function registerBodyParsers(app: FastifyInstance) {
  // A DELETE route that declares no body reads none: a client that sends its default Content-Type,
  // or a body, with it must not meet a body parser's refusal (400, 415). Without these headers
  // Fastify sees no body to parse, and Node discards what was sent once the response is out.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.method === 'DELETE' && !request.routeOptions.schema?.body) {
      for (const header of ['content-type', 'content-length', 'transfer-encoding']) delete request.headers[header];
    }
    done();
  });
  app.removeContentTypeParser('application/json');
  for (const type of JSON_TYPES) app.addContentTypeParser(type, { parseAs: 'string' }, jsonBodyParser(app, () => type));
  // A route without a door (no schema) refuses a body it could not take before its handlers run.
  app.addHook('preHandler', (request, _reply, done) => done(request.bodyRefusal));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const form = Object.fromEntries(new URLSearchParams(body as string));
    if (Object.values(form).some((value) => value.includes('\u0000'))) return done(nulInBodyError(), undefined);
    done(null, form);
  });
}
