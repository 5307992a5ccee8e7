import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { classifyError } from '../../../platform/http/error-mapper.js';
import type { PlatformContext } from '../../../platform/service.js';
import { EPS_ERRORS } from '../errors.js';
import { errorOutcome, sendFhir, type EpsIssue } from '../wire.js';
import { PLATFORM_ERRORS, type ErrorSpec } from '../../../platform/http/errors.js';
import type { ValidationFailure } from '../../../platform/http/validation-failure.js';
import { expectedResourceType } from '../schemas.js';
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

/**
 * A body whose `resourceType` is missing or not the one the operation takes, as the spec's
 * verification errors answer it (both specs' "Errors" tables: 400 `value`, "Incorrect FHIR resource
 * type. Expected Bundle.", no details coding, as the spec's other verification errors).
 */
function wrongResourceType(request: FastifyRequest, failure: ValidationFailure | undefined): EpsIssue | undefined {
  if (failure?.part !== 'body' || failure.path !== 'resourceType') return undefined;
  const expected = expectedResourceType(request.routeOptions.schema?.body);
  return expected ? { spec: EPS_ERRORS.VERIFICATION, diagnostics: `Incorrect FHIR resource type. Expected ${expected}.` } : undefined;
}

/** A route's operation under its API's base (`/fhir-dispensing/FHIR/R4/Task` → `/FHIR/R4/Task`). */
function operationOf(request: FastifyRequest): string {
  const url = request.routeOptions.url ?? '';
  const at = url.indexOf('/FHIR/R4');
  return at < 0 ? url : url.slice(at);
}

/**
 * A return (`POST Task`, status `rejected`) the door refuses, not being of Return.yaml's types: the return table's
 * INVALID_MESSAGE "Invalid Message." (fhir-dispensing.yaml `/FHIR/R4/Task#return`), naming the field as the door does.
 * A withdrawal, which the spec gives no table, keeps the door's MISSING_VALUE / INVALID_VALUE.
 */
function refusedReturn(request: FastifyRequest, classified: { failure?: ValidationFailure; diagnostics?: string; expression?: string[] }): EpsIssue | undefined {
  if (classified.failure?.part !== 'body' || request.method !== 'POST' || operationOf(request) !== '/FHIR/R4/Task') return undefined;
  const body = request.body as { status?: unknown } | null | undefined;
  if (typeof body !== 'object' || body === null || body.status !== 'rejected') return undefined;
  return { spec: EPS_ERRORS.RETURN_INVALID_MESSAGE, diagnostics: classified.diagnostics, expression: classified.expression };
}

/**
 * The operations both specs' verification table refuses an application not permitted to use (403 `forbidden`,
 * "Your app does not have permission to access prescribing functionality.", "App does not have permission to use
 * the requested function."): fhir-prescribing.yaml `/$prepare`, fhir-dispensing.yaml `/$process-message`, `/Claim`,
 * `/Task/$release`, `/Task`; the combined spec lists all five for both. An application is permitted what its
 * operator registered it for (identity's `activities`: `prescription:prescribe`, `prescription:dispense`; neither
 * is a default), which the guard checks before the route (APPLICATION_FORBIDDEN). Tracking, `$validate` and
 * metadata are not in the row, and keep the platform's FORBIDDEN.
 */
const APP_PERMISSION_ROUTES = new Set(['/$prepare', '/$process-message', '/Claim', '/Task/$release', '/Task'].map((op) => `/FHIR/R4${op}`));
const APP_NOT_PERMITTED = 'Your app does not have permission to access prescribing functionality.';

function appNotPermitted(request: FastifyRequest, spec: ErrorSpec): EpsIssue | undefined {
  if (spec !== PLATFORM_ERRORS.APPLICATION_FORBIDDEN || request.method !== 'POST') return undefined;
  // As the sibling row (user-restricted access only, routes/common.ts): FORBIDDEN's coding, the row's words as diagnostics.
  return APP_PERMISSION_ROUTES.has(operationOf(request)) ? { spec: EPS_ERRORS.FORBIDDEN, diagnostics: APP_NOT_PERMITTED } : undefined;
}

export function configureEpsScope(app: FastifyInstance, ctx: PlatformContext) {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const classified = classifyError(err, request);
    if (classified.headers) reply.headers(classified.headers);
    const wrongType = wrongResourceType(request, classified.failure);
    if (wrongType) return sendFhir(reply, 400, errorOutcome(wrongType, ctx.clock.now()));
    const notPermitted = appNotPermitted(request, classified.spec);
    if (notPermitted) return sendFhir(reply, 403, errorOutcome(notPermitted, ctx.clock.now()));
    const returnRefused = refusedReturn(request, classified);
    if (returnRefused) return sendFhir(reply, 400, errorOutcome(returnRefused, ctx.clock.now()));
    return sendFhir(reply, classified.spec.status, errorOutcome({ ...classified, spec: inEpsCoding(classified.spec) }, ctx.clock.now()));
  });
  app.setNotFoundHandler((request, reply) => sendFhir(reply, 404,
    errorOutcome({ spec: EPS_ERRORS.NOT_FOUND, diagnostics: `No such endpoint: ${request.method} ${request.url.split('?')[0]}` }, ctx.clock.now())));
}
