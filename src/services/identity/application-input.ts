import { ACTIVITIES, isActivity, type Activity } from '../../platform/auth/activities.js';
import { MIN_RSA_MODULUS_BITS, isJwks, isPublicRsaSigningKey, type Jwks } from './keys.js';
import { REQUIRED_ALG } from './client-assertion.js';
import { SYSTEM_ACTIVITIES } from './roles.js';

/** What a new application needs, after validation. */
export interface ApplicationInput {
  name: string;
  odsCode: string;
  activities: Activity[];
  rateLimit: number;
  /** Absent: the Spine generates a key pair and hands the private key back once. */
  jwks?: Jwks;
  /** The client id CIS2 knows the application by (its ID tokens' 'aud'); absent: its API key. */
  cis2ClientId?: string;
}

/** A clinical system's everyday activities: patients, messaging, directory reads. Admin is never a default. */
// What an application may do as a system (a formal death notification) is granted only when asked for.
export const DEFAULT_APP_ACTIVITIES: readonly Activity[] = ACTIVITIES.filter((a) => (a.startsWith('patient:') && !SYSTEM_ACTIVITIES.includes(a)) || a === 'messaging:use' || a === 'directory:read');
/** Requests per second; NHS England's default quota for a new app is of this order. */
export const DEFAULT_RATE_LIMIT = 50;
const MAX_RATE_LIMIT = 10_000_000;

/** API-NOTES §5: validate ODS codes leniently. */
export const ODS_CODE = /^[A-Z0-9]{3,10}$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

export const isClientId = (value: unknown): value is string => typeof value === 'string' && /^[^\u0000-\u001f\u007f-\u009f]{1,200}$/.test(value);

/** Validates an admin/CLI request to register an application; every problem is named. */
export function parseApplicationInput(body: unknown): Parsed<ApplicationInput> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problem: 'body must be a JSON object' };
  const input = body as Record<string, unknown>;
  if (typeof input.name !== 'string' || input.name.trim().length === 0 || input.name.length > 200) {
    return { ok: false, problem: "'name' must be a non-empty string of at most 200 characters" };
  }
  if (typeof input.odsCode !== 'string' || !ODS_CODE.test(input.odsCode)) {
    return { ok: false, problem: "'odsCode' must be an ODS code: 3 to 10 capital letters or digits" };
  }
  let activities = [...DEFAULT_APP_ACTIVITIES];
  if (input.activities !== undefined) {
    if (!Array.isArray(input.activities) || !input.activities.every((a) => typeof a === 'string' && isActivity(a))) {
      return { ok: false, problem: `'activities' must be a list drawn from: ${ACTIVITIES.join(', ')}` };
    }
    activities = [...new Set(input.activities as Activity[])];
  }
  let rateLimit = DEFAULT_RATE_LIMIT;
  if (input.rateLimit !== undefined) {
    if (typeof input.rateLimit !== 'number' || !Number.isInteger(input.rateLimit) || input.rateLimit < 1 || input.rateLimit > MAX_RATE_LIMIT) {
      return { ok: false, problem: `'rateLimit' must be a whole number of requests per second from 1 to ${MAX_RATE_LIMIT}` };
    }
    rateLimit = input.rateLimit;
  }
  let jwks: Jwks | undefined;
  if (input.jwks !== undefined) {
    const parsed = parsePublicJwks(input.jwks);
    if (!parsed.ok) return parsed;
    jwks = parsed.value;
  }
  if (input.cis2ClientId !== undefined && !isClientId(input.cis2ClientId)) {
    return { ok: false, problem: "'cis2ClientId' must be a client id of 1 to 200 characters without control characters" };
  }
  return { ok: true, value: { name: input.name.trim(), odsCode: input.odsCode, activities, rateLimit, jwks, cis2ClientId: input.cis2ClientId } };
}

/**
 * An app's signing keys: public RSA keys of at least 2048 bits for RS512, with distinct kids (a
 * private key here would be a leak, so it is refused; a key that could never verify is refused
 * now rather than met later as a 401 the app cannot explain).
 */
export function parsePublicJwks(value: unknown): Parsed<Jwks> {
  if (!isJwks(value) || value.keys.length === 0
    || !value.keys.every((k) => typeof k.kid === 'string' && k.kid.length > 0 && k.kid.length <= 200 && isPublicRsaSigningKey(k, [REQUIRED_ALG]))
    || new Set(value.keys.map((k) => k.kid)).size !== value.keys.length) {
    return { ok: false, problem: `'jwks' must be a JWKS of public RSA keys of at least ${MIN_RSA_MODULUS_BITS} bits for ${REQUIRED_ALG}, each with its own 'kid'` };
  }
  // Keep only the public members we use, whatever else was sent.
  return { ok: true, value: { keys: value.keys.map(({ kty, kid, n, e, alg, use }) => ({ kty, kid, n, e, alg, use })) } };
}
