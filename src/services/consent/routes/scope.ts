import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { classifyErrorClipped } from '../../../platform/http/error-mapper.js';
import { SpineError } from '../../../platform/http/errors.js';
import { clipForDiagnostics } from '../../../platform/http/validation-failure.js';
import { NDOP_ERRORS, inNdopCoding, spineOperationOutcome } from '../errors.js';

/** NDOP answers `application/json+fhir` (its CapabilityStatement's formats, STU3 era). */
export const NDOP_JSON = 'application/json+fhir; charset=utf-8';

export const sendNdop = (reply: FastifyReply, status: number, resource: unknown) => reply.code(status).type(NDOP_JSON).send(resource);

function ndopErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  // The platform's classification for every error, the service's own too: it gives each 503 its
  // Retry-After; a refusal at the door quotes a short piece of what was sent, never a megabyte.
  const classified = classifyErrorClipped(err, request);
  if (classified.headers) reply.headers(classified.headers);
  const spec = inNdopCoding(classified.spec);
  return sendNdop(reply, spec.status, spineOperationOutcome(spec, classified.diagnostics));
}

/**
 * Everything under `/consent/STU3` answers in NDOP's shape (`Spine-OperationOutcome-1`), the
 * platform's guard and door included. Bodies are JSON (`application/json+fhir`, STU3's media type,
 * or `application/fhir+json`); XML, which NDOP also offers, is not served: asked for, it is a 415.
 */
export function configureNdopScope(app: FastifyInstance) {
  app.setErrorHandler(ndopErrorHandler);
  // The platform also reads text (as one string) and forms (as fields), which a Consent never is:
  // here they are media types not served, 415 as XML is, not a 400 quoting the whole body back.
  app.removeContentTypeParser(['text/plain', 'application/x-www-form-urlencoded']);
  app.addHook('onRequest', async (request) => {
    const format = (request.query as Record<string, unknown> | undefined)?._format;
    if (typeof format === 'string' && /xml/i.test(format)) {
      throw new SpineError(NDOP_ERRORS.UNSUPPORTED_MEDIA_TYPE, `_format '${clipForDiagnostics(format)}' is not served: this Spine answers JSON (application/json+fhir)`);
    }
  });
  app.setNotFoundHandler((request, reply) => sendNdop(reply, 404,
    spineOperationOutcome(NDOP_ERRORS.NO_RECORD_FOUND, `No such endpoint: ${request.method} ${clipForDiagnostics(request.url.split('?')[0]!)}`)));
}
