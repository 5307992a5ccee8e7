import type { FastifyInstance } from 'fastify';

const JSON_TYPES = ['application/json', 'application/fhir+json', 'application/json-patch+json'];

/**
 * JSON bodies under every JSON media type FHIR and PDS use, and form bodies for OAuth2. Fastify's
 * own JSON parser guards against prototype poisoning; we reuse it for the FHIR types.
 */
export function registerBodyParsers(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  for (const type of JSON_TYPES) app.addContentTypeParser(type, { parseAs: 'string' }, parseJson);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
}
