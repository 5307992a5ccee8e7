import type { FastifyRequest } from 'fastify';
import { jsonBodyDigest } from '../../platform/http/body-parsers.js';
import { clipForDiagnostics } from '../../platform/http/validation-failure.js';
import type { PlatformContext } from '../../platform/service.js';
import { EPS_ERRORS, epsError } from './errors.js';

/** Who is calling EPS: the guard's principal, and whether sandbox mode lets the message name the organisation. */
export interface EpsCaller {
  appId: string;
  odsCode: string;
  userId?: string;
  /** Sandbox mode: the organisations the examples name are taken as given. */
  sandbox: boolean;
  requestId?: string;
  /**
   * The SHA-256 of the request's body as sent (base64), kept with a state change's answer: a retry
   * sends the same body, and an X-Request-ID sent again with another body is the client's mistake.
   * Made when first read (by `answerOnce`): `$prepare`, `$validate` and tracking never need it.
   */
  readonly requestDigest?: string;
}

export function callerOf(ctx: PlatformContext, request: FastifyRequest): EpsCaller {
  const principal = request.principal!;
  const requestId = request.headers['x-request-id'];
  let digest: { value: string | undefined } | undefined;
  return {
    get requestDigest() { return (digest ??= { value: jsonBodyDigest(request) }).value; },
    appId: principal.appId,
    odsCode: principal.odsCode,
    userId: principal.userId,
    sandbox: ctx.config.sandbox,
    requestId: typeof requestId === 'string' ? requestId : undefined,
  };
}

/** Outside sandbox mode a caller acts only for its own organisation (its app's, or its user's selected role's). */
export function assertActsFor(caller: EpsCaller, odsCode: string, what: string) {
  // Exactly: the code is recorded as written (the holder of a release, a notification's dispenser)
  // and compared exactly thereafter, so a differently-cased one would not be this caller's later.
  if (caller.sandbox || caller.odsCode === odsCode) return;
  // Quoted, not echoed whole: the message's code may be of any length (100 kB came back as sent; found by probing).
  throw epsError(EPS_ERRORS.FORBIDDEN, `${what} ${clipForDiagnostics(odsCode)} is not the caller's organisation (${caller.odsCode})`);
}
