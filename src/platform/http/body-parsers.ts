import type { FastifyInstance } from 'fastify';
import { containsNulInJson, nulInBodyError } from './nul-guard.js';

const JSON_TYPES = ['application/json', 'application/fhir+json', 'application/json-patch+json'];

/**
 * JSON bodies under every JSON media type FHIR and PDS use, and form bodies for OAuth2. Fastify's
 * own JSON parser guards against prototype poisoning; we reuse it for the FHIR types.
 */
export function registerBodyParsers(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  for (const type of JSON_TYPES) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (request, body, done) => {
      if (containsNulInJson(body as string)) return done(nulInBodyError(), undefined);
      return parseJson(request, body as string, done);
    });
  }
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const form = Object.fromEntries(new URLSearchParams(body as string));
    if (Object.values(form).some((value) => value.includes('\u0000'))) return done(nulInBodyError(), undefined);
    done(null, form);
  });
}
