import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { containsNulInJson, nulInBodyError } from './nul-guard.js';
import { PLATFORM_ERRORS, SpineError } from './errors.js';
import { RequestValidationError, fieldPath, findIllFormedString, findNestedDeeperThan, findNonFiniteNumber } from './validation-failure.js';

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

/** What `scanJsonText` finds outside a body's strings, as bits. */
export const TEXT_NESTS_TOO_DEEP = 1;
export const TEXT_HAS_LARGE_NUMBER = 2;

/**
 * A number literal that may be too large for a double (over 1.7976931348623157e308 in magnitude):
 * `JSON.parse` reads it as ±Infinity, which the APIs would store and `JSON.stringify` later write
 * as `null` (an EPS order with quantity 1e309 was accepted and released with `"value":null`). A
 * literal of fewer than 200 characters with an exponent of at most two digits is under
 * 10^(199+99) = 10^298 and can never be one; so only a literal of 200 characters or more, or an
 * exponent of three digits or more (`1e100` as well as `1e309`: the walk decides), is flagged.
 */
const LARGE_LITERAL = 200;
const LARGE_EXPONENT_DIGITS = 3;

/**
 * One pass over JSON text, outside its strings (skipped with `indexOf`: most of a document is
 * strings, and their hex ids are full of `e` and digits): whether it nests objects and arrays more
 * than `maxDepth` deep (TEXT_NESTS_TOO_DEEP), and whether a number literal may overflow a double
 * (TEXT_HAS_LARGE_NUMBER; see LARGE_LITERAL). Never misses either, and the second is rarely set by
 * a number that does not overflow (the walk then finds none; no JSON file under spec/ sets it).
 * 7–8 µs for a 17 kB EPS order sent compact, a quarter of its `JSON.parse`; reading the numbers
 * added about 0.1 µs, within the noise. Text of any length is read, short text too: it cannot nest
 * too deep, but `1e999` is 5 characters.
 */
export function scanJsonText(text: string, maxDepth: number): number {
  let found = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // To the quote that closes the string: one after an even number of backslashes.
      for (let from = i + 1; ; from = i + 1) {
        i = text.indexOf('"', from);
        if (i < 0) return found;
        let slashes = 0;
        while (text.charCodeAt(i - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return found | TEXT_NESTS_TOO_DEEP;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    } else if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
      // A number, read to its end: digits, `.`, `e`/`E` and signs.
      const start = i;
      let exponentDigits = -1;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d >= 0x30 && d <= 0x39) {
          if (exponentDigits >= 0) exponentDigits++;
        } else if (d === 0x65 || d === 0x45) {
          exponentDigits = 0;
        } else if (d !== 0x2e && d !== 0x2b && d !== 0x2d) {
          break;
        }
      }
      if (exponentDigits >= LARGE_EXPONENT_DIGITS || i - start >= LARGE_LITERAL) found |= TEXT_HAS_LARGE_NUMBER;
      i--;
    }
  }
  return found;
}

/** A body nested deeper than MAX_JSON_DEPTH, refused at the door as an invalid value, at the path where it goes too deep. */
function tooDeepError(body: unknown): RequestValidationError | undefined {
  const segments = findNestedDeeperThan(body, MAX_JSON_DEPTH);
  if (!segments) return undefined;
  return new RequestValidationError({ part: 'body', kind: 'invalid', path: fieldPath(segments), value: `(nested more than ${MAX_JSON_DEPTH} deep)`, keyword: 'maxDepth' });
}

/**
 * A body holding a number no double can hold (parsed as ±Infinity), refused at the door as an
 * invalid value, at the first such number's path. JSON has no Infinity: the client sent a number
 * the APIs cannot store as it was sent, and would write back as `null`.
 */
function tooLargeNumberError(body: unknown): RequestValidationError | undefined {
  const segments = findNonFiniteNumber(body);
  if (!segments) return undefined;
  return new RequestValidationError({ part: 'body', kind: 'invalid', path: fieldPath(segments), value: TOO_LARGE_NUMBER, keyword: 'finite' });
}

/** How a refused number reads where the value is quoted: its parsed value, ±Infinity, would read as `null`. */
export const TOO_LARGE_NUMBER = '(a number too large to hold)';

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
     * Why the body could not be taken (not JSON, a NUL, a lone surrogate, too deep, a number too
     * large, a poisoning key): kept
     * for the door, which refuses it when it comes to the body, after the headers and whatever
     * else the route's API checks first (PDS: a PATCH without If-Match is 412 whatever its body).
     */
    bodyRefusal?: Error;
    /** The body without its prototype-poisoning keys, for handlers, where the door checks it with them (`parseEveryBodyAsJson`). */
    bodyForHandlers?: unknown;
    /** The Content-Type a body came with where every body is read as JSON (`parseEveryBodyAsJson`), which takes it off the headers. */
    sentContentType?: string;
  }
}

/** The JSON text of a request's body: as received, else (a body some other parser read) the parsed body's. */
export const jsonTextOf = (request: FastifyRequest): string => request.jsonText ?? JSON.stringify(request.body);

/**
 * The SHA-256 (base64) of a request's JSON body as sent, none without a body: kept with a write's
 * first answer, so that the same X-Request-ID sent again with another body is told apart from a
 * retry (EPS, PDS).
 */
export const jsonBodyDigest = (request: FastifyRequest): string | undefined =>
  (request.body === undefined ? undefined : createHash('sha256').update(jsonTextOf(request)).digest('base64'));

/**
 * Bodies are read as sent: a compressed one would be refused as a body that does not parse, or
 * worse read as text (the bulk opt-out check's list), where the client's mistake is the coding
 * (RFC 9110 §15.5.16: 415 for a content coding not supported). Only a route that decodes codings
 * itself (MESH: gzip chunks, `readsContentCoding`) takes one.
 */
export function unsupportedContentCoding(request: FastifyRequest): SpineError | undefined {
  const coding = request.headers['content-encoding'];
  if (coding === undefined || coding.trim().toLowerCase() === 'identity') return undefined;
  return new SpineError(PLATFORM_ERRORS.UNSUPPORTED_MEDIA_TYPE, `Unsupported Content-Encoding '${coding}': a body is read as sent`);
}

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
    const coded = unsupportedContentCoding(request);
    if (coded) return refuse(coded);
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
    const scanned = scanJsonText(text, MAX_JSON_DEPTH);
    const refused = (text.includes('\\u') && SURROGATE_ESCAPE.test(text) ? loneSurrogateError(parsed) : undefined)
      ?? (scanned & TEXT_NESTS_TOO_DEEP ? tooDeepError(parsed) : undefined)
      ?? (scanned & TEXT_HAS_LARGE_NUMBER ? tooLargeNumberError(parsed) : undefined);
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
  // Fastify answers 415 itself, before any parser, to a Content-Type that is no media type (empty,
  // `json`, `/`): here every body is read alike, so the header is set aside and the body read as
  // one sent without it, its refusal naming the type as sent.
  scope.addHook('onRequest', (request, _reply, done) => {
    const sent = request.headers['content-type'];
    if (sent !== undefined) {
      request.sentContentType = sent;
      delete request.headers['content-type'];
    }
    done();
  });
  scope.addContentTypeParser('*', { parseAs: 'string' }, jsonBodyParser(scope, (request) => request.sentContentType ?? 'none', true));
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
  // Whatever parser a route uses (a stream, text, a form, XML), a coded body is refused in the
  // door's turn for the body, as the JSON parser refuses one.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    if (!request.routeOptions.config?.readsContentCoding) request.bodyRefusal ??= unsupportedContentCoding(request);
    done(null, payload);
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
