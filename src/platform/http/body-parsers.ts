import type { FastifyInstance } from 'fastify';
import { containsNulInJson, nulInBodyError } from './nul-guard.js';
import { RequestValidationError, fieldPath, findIllFormedString } from './validation-failure.js';

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
 * JSON bodies under every JSON media type FHIR and PDS use, and form bodies for OAuth2. Fastify's
 * own JSON parser guards against prototype poisoning; we reuse it for the FHIR types.
 */
export function registerBodyParsers(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  for (const type of JSON_TYPES) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (request, body, done) => {
      const text = body as string;
      if (containsNulInJson(text)) return done(nulInBodyError(), undefined);
      if (!SURROGATE_ESCAPE.test(text)) return parseJson(request, text, done);
      return parseJson(request, text, (err, parsed) => {
        if (err) return done(err, undefined);
        const refused = loneSurrogateError(parsed);
        return refused ? done(refused, undefined) : done(null, parsed);
      });
    });
  }
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const form = Object.fromEntries(new URLSearchParams(body as string));
    if (Object.values(form).some((value) => value.includes('\u0000'))) return done(nulInBodyError(), undefined);
    done(null, form);
  });
}
