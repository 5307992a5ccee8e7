import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from '../../platform/http/errors.js';
import { etagFor, parseIfMatch } from '../../platform/fhir/etag.js';
import { diagnostics, invalidMethod, type RefusedAction } from './errors.js';

/**
 * PDS spec: updates and new records are for healthcare workers (user-restricted access) only; an
 * application-restricted caller is refused whatever activities its app was granted, with 403
 * INVALID_METHOD as PDS refuses it. A route `onRequest` hook, so the refusal comes before the body
 * is read or checked.
 */
export function healthcareWorkersOnly(action: RefusedAction): onRequestHookHandler {
  return (request: FastifyRequest, _reply, done) => {
    if (request.principal?.accessMode === 'application') {
      return done(new SpineError(invalidMethod(action, 'application'), diagnostics.invalidMethod));
    }
    done();
  };
}

/** Names no version of any record: an update against it is a version mismatch. */
export const NO_VERSION = -1;

/**
 * The version an If-Match names, once the door has checked its form (`W/"<digits>"`, else 412
 * PRECONDITION_FAILED). PDS matches it against the record's ETag as written (its sandbox compares
 * `W/"${versionId}"`, giving 409 otherwise), so `W/"02"` is not version 2, nor is a number past
 * any version held a 412: both name no version of the record (409 RESOURCE_VERSION_MISMATCH).
 */
export function ifMatchVersion(request: FastifyRequest): number {
  const header = (request.headers['if-match'] as string).trim();
  const version = parseIfMatch(header);
  return version !== undefined && header === etagFor(version) ? version : NO_VERSION;
}

/** X-Request-ID as sent; the route's headers schema has checked it is there and is a UUID. */
export const requestIdOf = (request: FastifyRequest): string => request.headers['x-request-id'] as string;

/**
 * PDS spec (RoleId): `NHSD-Session-URID` is optional and ignored in application-restricted and
 * patient access; a healthcare worker who sends it must send a role of the logged-in user, which
 * here is the role profile the access token was issued for. Not checked in sandbox mode, where
 * any credential acts as the sandbox user, as on NHS England's sandbox.
 */
export function sessionRoleCheck(sandbox: boolean): onRequestHookHandler {
  return (request: FastifyRequest, _reply, done) => {
    const urid = request.headers['nhsd-session-urid'];
    const principal = request.principal;
    if (sandbox || urid === undefined || principal?.accessMode !== 'user' || urid === principal.roleProfileId) return done();
    done(new SpineError(PLATFORM_ERRORS.FORBIDDEN, `Access denied: NHSD-Session-URID '${String(urid).slice(0, 32)}' is not a role of the logged-in user`));
  };
}
