import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../platform/auth/activities.js';
import { SANDBOX_PRINCIPAL } from '../../platform/auth/sandbox.js';
import type { PlatformContext } from '../../platform/service.js';
import { callerIdentity, identifyCaller } from '../../platform/http/read-your-writes.js';
import { NRL_DIAGNOSTICS, NRL_ERRORS, nrlError } from './errors.js';
import { organisationKey, parseGatewayHeaders, parseOdsHeader } from './domain/connection-metadata.js';
import type { PermissionCache } from './permission-cache.js';
import { notePointerAccess } from './audit.js';
import { REQUEST_ID } from './schemas.js';

/** Who is calling NRL, and the pointer types this service's permission store allows them. */
export interface NrlCaller {
  appId: string;
  appName: string;
  odsCode: string;
  odsCodeExtension?: string;
  /** `ODS` or `ODS.extension`: the key of permissions, custodians and pointer-id prefixes. */
  organisation: string;
  pointerTypes: string[];
  /** The OpenSpine principal when the caller came with an access token. */
  principal?: Principal;
  /** Who reads, for read-your-writes (`Db.lagTolerantRead`). */
  reader: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    nrlCaller?: NrlCaller;
  }
}

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/** `NHSD-End-User-Organisation`: the extension it names, none without it, `false` when it is no ODS code. */
function organisationExtension(request: FastifyRequest): string | undefined | false {
  const named = request.headers['nhsd-end-user-organisation'];
  if (named === undefined) return undefined;
  return parseOdsHeader(named) ?? false;
}

/** Gateway mode: Apigee's injected headers (or, in sandbox mode without them, the sandbox application). */
function gatewayIdentity(ctx: PlatformContext, request: FastifyRequest) {
  const metadata = header(request, 'nhsd-connection-metadata');
  if (metadata === undefined && ctx.config.sandbox) {
    const odsCode = parseOdsHeader(request.headers['nhsd-end-user-organisation-ods']);
    if (!odsCode) return undefined;
    const extension = organisationExtension(request);
    if (extension === false) return undefined;
    return { appId: SANDBOX_PRINCIPAL.appId, appName: SANDBOX_PRINCIPAL.appName, odsCode, ...(extension ? { odsCodeExtension: extension } : {}) };
  }
  return parseGatewayHeaders(metadata, header(request, 'nhsd-client-rp-details'));
}

/** Token mode: the application from the access token, acting for the organisation the NRL header names. */
function tokenIdentity(request: FastifyRequest) {
  const principal = request.principal!;
  const named = request.headers['nhsd-end-user-organisation-ods'];
  const odsCode = named === undefined ? principal.odsCode.toUpperCase() : parseOdsHeader(named);
  if (!odsCode) return undefined;
  const extension = organisationExtension(request);
  if (extension === false) return undefined;
  return { appId: principal.appId, appName: principal.appName, odsCode, ...(extension ? { odsCodeExtension: extension } : {}), principal };
}

/**
 * Runs before the body is read, as NRLF's request handler does: request id, caller metadata (401),
 * then permissions (403). Pointer types always come from this service's store, keyed by
 * (application, ODS[.extension]); a gateway's `nrl.pointer-types` is never trusted.
 */
export function callerResolver(ctx: PlatformContext, permissions: PermissionCache) {
  return async function resolveCaller(request: FastifyRequest) {
    if (!REQUEST_ID.test(header(request, 'x-request-id') ?? '')) throw nrlError(NRL_ERRORS.MISSING_REQUEST_ID, NRL_DIAGNOSTICS.missingRequestId);
    const identity = ctx.config.trustGateway ? gatewayIdentity(ctx, request) : tokenIdentity(request);
    if (!identity) throw nrlError(NRL_ERRORS.MISSING_OR_INVALID_HEADER, NRL_DIAGNOSTICS.badMetadata);
    const organisation = organisationKey(identity.odsCode, identity.odsCodeExtension);
    const pointerTypes = await permissions.pointerTypes(identity.appId, organisation);
    // Behind a gateway the platform has no principal: read-your-writes knows the caller by this.
    const reader = ctx.config.trustGateway ? `nrl:${identity.appId}/${organisation}` : callerIdentity(request.principal!);
    if (ctx.config.trustGateway) identifyCaller(request, reader);
    const caller: NrlCaller = { ...identity, organisation, pointerTypes, reader };
    if (pointerTypes.length === 0) {
      // Audited by the platform with the refusal (every route here declares config.audit).
      notePointerAccess(request, caller, { action: 'pointer.access-denied', outcome: 'denied', nhsNumbers: [], detail: { method: request.method } });
      throw nrlError(NRL_ERRORS.ACCESS_DENIED, NRL_DIAGNOSTICS.noPermission(identity.odsCode));
    }
    request.nrlCaller = caller;
  };
}
