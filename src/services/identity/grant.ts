import { createLocalJWKSet, jwtVerify } from 'jose';
import { SpineError } from '../../platform/http/errors.js';
import { clipForDiagnostics } from '../../platform/http/validation-failure.js';
import type { Principal } from '../../platform/auth/activities.js';
import type { PlatformContext } from '../../platform/service.js';
import { decodeCompactJwt, holdsLoneSurrogate, validateClientAssertion, REQUIRED_ALG, type Checked } from './client-assertion.js';
import { OAUTH_ERRORS, type OAuthErrorKey } from './errors.js';
import { findKey, signatureVerifies } from './keys.js';
import { applicationPrincipal, patientPrincipal, userPrincipal } from './principal.js';
import { patientLogin, selectRole, type PatientLogin, type SelectedRole } from './subject-token.js';
import { findApplicationByApiKey, recordJti, type Application } from './store/applications.js';
import { findTrustedIssuer, recordIdTokenUse, type TrustedIssuer } from './store/issuers.js';
import { DEMO_ISSUER } from './demo-issuer.js';
import { directoryApi } from '../directory/api.js';

export const CLIENT_CREDENTIALS = 'client_credentials';
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

/** NHS England's token response: note `expires_in` and `issued_at` (epoch ms) are strings. */
export interface TokenResponse {
  access_token: string;
  expires_in: string;
  token_type: 'Bearer';
  issued_at: string;
}

export interface TokenRequest {
  /** The form-encoded body, as parsed. */
  form: Record<string, unknown>;
  /** `NHSD-Session-URID`: the role profile a user-restricted session selects. */
  sessionUrid?: string;
}

/** CIS2 signs ID tokens with RS256; RS512 is accepted for issuers that prefer it. */
export const ID_TOKEN_ALGS = ['RS256', 'RS512'] as const;

export const tokenUrlOf = (ctx: PlatformContext) => `${ctx.config.publicBaseUrl}/oauth2/token`;

function fail(error: OAuthErrorKey, detail?: string): never {
  throw new SpineError(OAUTH_ERRORS[error], detail ?? OAUTH_ERRORS[error].display);
}

function unwrap<T>(checked: Checked<T>): T {
  if (!checked.ok) fail(checked.error, checked.detail);
  return checked.value;
}

const param = (form: Record<string, unknown>, name: string) => {
  const value = form[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

/**
 * NHS England's answer to a grant_type it does not take, however long: "Unsupported grant_type 'X'",
 * quoting at most the first 100 characters of it (the door refuses one over 200 before the grant
 * runs, and answers it with this too).
 */
export const unsupportedGrantType = (grantType: string) =>
  new SpineError(OAUTH_ERRORS.UNSUPPORTED_GRANT_TYPE, `Unsupported grant_type '${clipForDiagnostics(grantType)}'`);

/**
 * The form's shape, before any key or database work (so a malformed request costs nothing): NHS
 * England's refusal of the first parameter that is missing or wrong, in the platform's order.
 */
export function checkForm(form: Record<string, unknown>): { grantType: string; assertion: string } {
  const grantType = param(form, 'grant_type');
  if (!grantType) fail('MISSING_GRANT_TYPE');
  if (grantType !== CLIENT_CREDENTIALS && grantType !== TOKEN_EXCHANGE) throw unsupportedGrantType(grantType);
  if (param(form, 'client_assertion_type') !== CLIENT_ASSERTION_TYPE) fail('INVALID_ASSERTION_TYPE');
  const assertion = param(form, 'client_assertion');
  if (!assertion) fail('MISSING_ASSERTION');
  if (grantType === TOKEN_EXCHANGE) {
    if (param(form, 'subject_token_type') !== ID_TOKEN_TYPE) fail('INVALID_SUBJECT_TOKEN_TYPE');
    if (!param(form, 'subject_token')) fail('MISSING_SUBJECT_TOKEN');
  }
  return { grantType, assertion };
}

/**
 * Authenticates the calling application by its signed JWT: claims first (pure), then the app by
 * `iss`, its public key by `kid`, the signature, and last the jti (recorded only once the
 * signature holds, so nobody can burn another app's jtis).
 */
export async function authenticateClient(ctx: PlatformContext, assertion: string): Promise<Application> {
  const nowSeconds = Math.floor(ctx.clock.now().getTime() / 1000);
  const claims = unwrap(validateClientAssertion(assertion, { tokenUrl: tokenUrlOf(ctx), nowSeconds }));
  const app = await findApplicationByApiKey(ctx.db, claims.apiKey);
  // A disabled application (or one of a disabled organisation) is answered as an unknown key, as
  // NHS England's platform answers a revoked one.
  if (!app || app.disabled || (await directoryApi(ctx.db).getOrganisation(app.odsCode))?.active === false) fail('UNKNOWN_ISS');
  const key = findKey(app.jwks, claims.kid);
  if (!key) fail('UNKNOWN_KID');
  if (!(await signatureVerifies(assertion, key, REQUIRED_ALG))) fail('BAD_SIGNATURE');
  if (!(await recordJti(ctx.db, app.apiKey, claims.jti, new Date(claims.exp * 1000)))) fail('REUSED_JTI');
  return app;
}

/**
 * Verifies an ID token from a trusted issuer for the application exchanging it: its signature by
 * that issuer's JWKS, its `aud` (see `addressedTo`), then the session's role (CIS2) or the patient's
 * NHS number (NHS login: `nhs_number`); last, its `jti` is spent, so each ID token is exchanged
 * once. The demo issuer is trusted in demo mode only.
 */
export async function verifySubjectToken(ctx: PlatformContext, idToken: string, sessionUrid: string | undefined, app: Application): Promise<SelectedRole | PatientLogin> {
  const decoded = decodeCompactJwt(idToken);
  if (!decoded.ok) fail('INVALID_SUBJECT_TOKEN', 'subject_token is not a well-formed JWT');
  const issuerName = decoded.value.claims.iss;
  const trusted = typeof issuerName === 'string' && (issuerName !== DEMO_ISSUER || ctx.config.demo);
  const issuer = trusted ? await findTrustedIssuer(ctx.db, issuerName) : undefined;
  if (!issuer) fail('UNTRUSTED_ISSUER');
  let claims: Record<string, unknown>;
  try {
    const verified = await jwtVerify(idToken, createLocalJWKSet(issuer.jwks), {
      issuer: issuer.issuer,
      algorithms: [...ID_TOKEN_ALGS],
      currentDate: ctx.clock.now(),
      requiredClaims: ['sub', 'exp'],
    });
    claims = verified.payload as Record<string, unknown>;
  } catch (err) {
    fail('INVALID_SUBJECT_TOKEN', `Invalid subject_token: ${(err as Error).message}`);
  }
  const audiences = audiencesOf(claims.aud);
  if (audiences.length === 0) fail('MISSING_SUBJECT_TOKEN_AUD');
  if (!addressedTo(audiences, issuer, app)) fail('SUBJECT_TOKEN_NOT_FOR_CLIENT');
  if (typeof claims.jti !== 'string' || claims.jti.length === 0) fail('MISSING_SUBJECT_TOKEN_JTI');
  if (holdsLoneSurrogate(claims.jti)) fail('MISSING_SUBJECT_TOKEN_JTI', "Invalid 'jti' claim in subject_token - it holds a lone surrogate, which no UTF-8 text can");
  const selected = assertsPatient(issuer, claims) ? unwrap(patientLogin(claims)) : unwrap(selectRole(claims, sessionUrid));
  if (!(await recordIdTokenUse(ctx.db, issuer.issuer, claims.jti, new Date((claims.exp as number) * 1000)))) fail('REUSED_SUBJECT_TOKEN');
  return selected;
}

/**
 * Whether the token speaks for a patient (NHS login) or for staff (CIS2) is the issuer's kind, as
 * NHS England's platform tells its CIS2 and NHS login issuers apart by `iss`: a token's claims
 * never choose, so an NHS login issuer cannot assert staff role profiles, nor CIS2 a patient's NHS
 * number. The demo issuer plays both (demo-authorize.ts): its tokens say which by `nhs_number`.
 */
function assertsPatient(issuer: TrustedIssuer, claims: Record<string, unknown>): boolean {
  return issuer.issuer === DEMO_ISSUER ? claims.nhs_number !== undefined : issuer.kind === 'nhs-login';
}

/** OIDC Core §2: `aud` is one client id or a list of them. */
function audiencesOf(aud: unknown): string[] {
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  return audiences.filter((a): a is string => typeof a === 'string' && a.length > 0);
}

/**
 * OIDC Core §3.1.3.7: an ID token is for the relying party its `aud` names, so only that
 * application may exchange it (one signed in to by a user for another app would otherwise act as
 * that user in any app). The issuer must also be registered for that client: an identity provider
 * trusted for some applications does not speak for the others. The demo issuer stands in for CIS2
 * with every application of this Spine as its client (demo mode only).
 */
function addressedTo(audiences: readonly string[], issuer: TrustedIssuer, app: Application): boolean {
  const servesApp = issuer.issuer === DEMO_ISSUER || issuer.clientIds.includes(app.cis2ClientId);
  return servesApp && audiences.includes(app.cis2ClientId);
}

/** POST /oauth2/token: client credentials, or token exchange of a CIS2-style ID token. */
export async function grantToken(ctx: PlatformContext, request: TokenRequest): Promise<{ response: TokenResponse; principal: Principal }> {
  const { grantType, assertion } = checkForm(request.form);
  const app = await authenticateClient(ctx, assertion);
  let principal = applicationPrincipal(app);
  if (grantType === TOKEN_EXCHANGE) {
    const subject = await verifySubjectToken(ctx, param(request.form, 'subject_token')!, request.sessionUrid, app);
    principal = 'nhsNumber' in subject ? patientPrincipal(app, subject) : userPrincipal(app, subject);
  }
  const { token, expiresIn } = await ctx.tokens.issue(principal);
  return {
    principal,
    response: { access_token: token, expires_in: String(expiresIn), token_type: 'Bearer', issued_at: String(ctx.clock.now().getTime()) },
  };
}
