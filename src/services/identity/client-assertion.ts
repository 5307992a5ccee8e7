import type { OAuthErrorKey } from './errors.js';

/**
 * The JWT client assertion of NHS England's application-restricted ("signed JWT") pattern, checked
 * as pure functions over the decoded header and claims: no key lookup, no replay store, no clock.
 * Key lookup, signature and jti replay live in `grant.ts`, so these rules are testable alone.
 * Spec: https://digital.nhs.uk/developer/guides-and-documentation/security-and-authorisation/application-restricted-restful-apis-signed-jwt-authentication
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; error: OAuthErrorKey; detail?: string };

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export interface ValidAssertion {
  /** `iss` = `sub` = the application's API key. */
  apiKey: string;
  kid: string;
  jti: string;
  /** Expiry, seconds since the epoch: how long the jti must be remembered. */
  exp: number;
}

/** NHS England: "exp … must be no more than 5 minutes in the future". */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
export const REQUIRED_ALG = 'RS512';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Splits a compact JWS: not three base64url segments is "Malformed JWT", segments that are not
 * JSON objects are "Failed to decode JWT" (the two NHS wordings).
 */
export function decodeCompactJwt(token: string): Checked<DecodedJwt> {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return { ok: false, error: 'MALFORMED_JWT' };
  const header = decodeSegment(parts[0]!);
  const claims = decodeSegment(parts[1]!);
  if (!header || !claims) return { ok: false, error: 'UNDECODABLE_JWT' };
  return { ok: true, value: { header, claims } };
}

const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * A lone surrogate (with the u flag a pair is one code point) cannot be stored as sent: PostgreSQL's
 * UTF-8 makes every one U+FFFD, so two different jtis holding one would be the same spent jti.
 */
export const holdsLoneSurrogate = (value: string) => /\p{Surrogate}/u.test(value);

export interface AssertionContext {
  /** The token endpoint's own URL: `aud` must equal it exactly. */
  tokenUrl: string;
  nowSeconds: number;
}

/** The header and claim rules, in the order NHS England reports them (header first, then claims). */
export function checkClientAssertion(jwt: DecodedJwt, context: AssertionContext): Checked<ValidAssertion> {
  const { header, claims } = jwt;
  if (header.alg === undefined) return { ok: false, error: 'MISSING_ALG' };
  if (header.alg !== REQUIRED_ALG) return { ok: false, error: 'INVALID_ALG' };
  if (!nonEmptyString(header.kid)) return { ok: false, error: 'MISSING_KID' };
  // "iss and sub must both be your application's API key".
  if (!nonEmptyString(claims.iss) || claims.iss !== claims.sub) return { ok: false, error: 'MISSING_ISS_SUB' };
  if (!nonEmptyString(claims.jti)) return { ok: false, error: 'MISSING_JTI' };
  if (holdsLoneSurrogate(claims.jti)) return { ok: false, error: 'MISSING_JTI', detail: 'Invalid jti claim in JWT - it holds a lone surrogate, which no UTF-8 text can' };
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return { ok: false, error: 'MISSING_EXP' };
  if (claims.exp <= context.nowSeconds) return { ok: false, error: 'EXPIRED' };
  if (claims.exp > context.nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS) return { ok: false, error: 'EXP_TOO_FAR' };
  // RFC 7523 §3: an assertion must not be accepted before its `nbf` (NHS England's rules name no
  // wording: ours follows their exp one). A client that pre-signs assertions for later gets no token early.
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number' || !Number.isFinite(claims.nbf)) return { ok: false, error: 'INVALID_NBF', detail: 'Invalid nbf claim in JWT - must be a number of seconds since the epoch' };
    if (claims.nbf > context.nowSeconds) return { ok: false, error: 'INVALID_NBF' };
  }
  // "aud: the URL of the token endpoint", compared exactly (a string, not an array).
  if (claims.aud !== context.tokenUrl) return { ok: false, error: 'INVALID_AUD' };
  return { ok: true, value: { apiKey: claims.iss, kid: header.kid, jti: claims.jti, exp: claims.exp } };
}

/** Decode and check in one step. */
export function validateClientAssertion(token: string, context: AssertionContext): Checked<ValidAssertion> {
  const decoded = decodeCompactJwt(token);
  return decoded.ok ? checkClientAssertion(decoded.value, context) : decoded;
}
