import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { classifyError } from '../../../platform/http/error-mapper.js';
import type { PlatformContext } from '../../../platform/service.js';
import { EPS_ERRORS } from '../errors.js';
import { errorOutcome, sendFhir } from '../wire.js';
import type { ErrorSpec } from '../../../platform/http/errors.js';
import { SPINE_CODES } from '../errors.js';

/**
 * Everything under `/fhir-prescribing` and `/fhir-dispensing` answers in EPS's shapes: errors as
 * EPS's OperationOutcome (platform errors in EPS's codes: ACCESS_DENIED 401, FORBIDDEN 403,
 * NOT_FOUND 404, the door's MISSING_VALUE / INVALID_VALUE naming the field), always as
 * `application/fhir+json; fhirVersion=4.0`.
 */
function inEpsCoding(spec: ErrorSpec): ErrorSpec {
  if (spec.system !== undefined) return spec;
  switch (spec.code) {
    case 'ACCESS_DENIED': return spec.status === 401 ? EPS_ERRORS.ACCESS_DENIED : EPS_ERRORS.FORBIDDEN;
    case 'RESOURCE_NOT_FOUND': return EPS_ERRORS.NOT_FOUND;
    default: return { ...spec, system: SPINE_CODES };
  }
}

export function configureEpsScope(app: FastifyInstance, ctx: PlatformContext) {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const classified = classifyError(err, request);
    if (classified.headers) reply.headers(classified.headers);
    return sendFhir(reply, classified.spec.status, errorOutcome({ ...classified, spec: inEpsCoding(classified.spec) }, ctx.clock.now()));
  });
  app.setNotFoundHandler((request, reply) => sendFhir(reply, 404,
    errorOutcome({ spec: EPS_ERRORS.NOT_FOUND, diagnostics: `No such endpoint: ${request.method} ${request.url.split('?')[0]}` }, ctx.clock.now())));
}
