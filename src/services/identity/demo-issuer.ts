import { randomUUID } from 'node:crypto';
import { clipForDiagnostics as clip } from '../../platform/http/validation-failure.js';
import { SignJWT, importJWK, type JWK } from 'jose';
import { SpineError } from '../../platform/http/errors.js';
import type { PlatformContext } from '../../platform/service.js';
import type { Queryable } from '../../platform/db/pool.js';
import { IDENTITY_ERRORS } from './errors.js';
import { generateSigningKey, type Jwks } from './keys.js';
import { ensureSigningIssuer, findSigningKey, findTrustedIssuer, setIssuerClientIds } from './store/issuers.js';
import { findUser } from './store/users.js';

/**
 * A stand-in for NHS CIS2 on a laptop: an OIDC-like issuer whose RSA key lives in the identity
 * schema and whose JWKS is served at DEMO_JWKS_PATH. It signs ID tokens for the users stored here,
 * shaped like CIS2's (`nhsid_nrbac_roles`, `selected_roleid`), so token exchange can be tried
 * without a CIS2 account. Its `iss` is a URN: stable whatever host or port the Spine runs on.
 */
export const DEMO_ISSUER = 'urn:openspine:demo-cis2';
export const DEMO_JWKS_PATH = '/identity/demo-cis2/jwks';
/**
 * The demo app's CIS2 client id, to which the demo issuer addresses its ID tokens (`aud`) unless
 * asked for another application's. Standing in for CIS2 on a laptop, the demo issuer signs in for
 * any application of this Spine (grant.ts), as if each were registered with it.
 */
export const DEMO_CLIENT_ID = 'openspine-demo';
/** CIS2's ID tokens are short-lived too; ten minutes is enough to exchange one. */
const ID_TOKEN_TTL_SECONDS = 600;

/** Creates the demo issuer's key once (the first process to get there wins) and names its client. */
export async function ensureDemoIssuer(db: Queryable): Promise<void> {
  if (await findSigningKey(db, DEMO_ISSUER)) {
    await setIssuerClientIds(db, DEMO_ISSUER, [DEMO_CLIENT_ID]);
    return;
  }
  const key = await generateSigningKey('RS256', 2048);
  await ensureSigningIssuer(db, DEMO_ISSUER, { jwks: { keys: [key.publicJwk] }, privateJwk: key.privateJwk, clientIds: [DEMO_CLIENT_ID] });
}

/** Outside demo mode the demo issuer publishes no keys, and its tokens are not trusted (grant.ts). */
export async function demoIssuerJwks(ctx: PlatformContext): Promise<Jwks | undefined> {
  if (!ctx.config.demo) return undefined;
  return (await findTrustedIssuer(ctx.db, DEMO_ISSUER))?.jwks;
}

export interface DemoIdTokenRequest {
  userId: string;
  /** Becomes `selected_roleid`; without it the client must send NHSD-Session-URID. */
  roleProfileId?: string;
  /** The CIS2 client id of the application that will exchange it (`aud`); default the demo app's. */
  clientId?: string;
}

/** A CIS2-shaped ID token for a stored user, listing all of the user's role profiles. */
export async function mintDemoIdToken(ctx: PlatformContext, request: DemoIdTokenRequest): Promise<string> {
  const user = await findUser(ctx.db, request.userId);
  if (!user) throw new SpineError(IDENTITY_ERRORS.UNKNOWN_USER, `No user with id '${clip(request.userId)}'`);
  if (request.roleProfileId && !user.roleProfiles.some((r) => r.roleProfileId === request.roleProfileId)) {
    throw new SpineError(IDENTITY_ERRORS.INVALID_VALUE, `Role profile '${clip(request.roleProfileId)}' is not one of user '${clip(request.userId)}''s`);
  }
  // Never created here: a Spine started without demo data must not start trusting a demo issuer.
  const privateJwk = ctx.config.demo ? await findSigningKey(ctx.db, DEMO_ISSUER) : undefined;
  if (!privateJwk) throw new SpineError(IDENTITY_ERRORS.DEMO_ISSUER_DISABLED, 'The demo identity provider is not enabled: it comes with demo mode and its data (serve --demo, without --no-seed-demo)');
  const now = Math.floor(ctx.clock.now().getTime() / 1000);
  const claims: Record<string, unknown> = {
    name: user.name,
    nhsid_nrbac_roles: user.roleProfiles.map((r) => ({ person_roleid: r.roleProfileId, org_code: r.odsCode, role_code: r.roleCode })),
  };
  if (request.roleProfileId) claims.selected_roleid = request.roleProfileId;
  return signDemoIdToken(privateJwk, { subject: user.userId, audience: request.clientId ?? DEMO_CLIENT_ID, now, claims });
}

/** Signs an ID token as the demo issuer (with its key from `findSigningKey`). */
export async function signDemoIdToken(privateJwk: JWK, token: { subject: string; audience: string; now: number; claims: Record<string, unknown> }): Promise<string> {
  return new SignJWT(token.claims)
    .setProtectedHeader({ alg: 'RS256', kid: privateJwk.kid!, typ: 'JWT' })
    .setIssuer(DEMO_ISSUER)
    .setSubject(token.subject)
    .setAudience(token.audience)
    .setJti(randomUUID())
    .setIssuedAt(token.now)
    .setExpirationTime(token.now + ID_TOKEN_TTL_SECONDS)
    .sign(await importJWK(privateJwk, 'RS256'));
}
