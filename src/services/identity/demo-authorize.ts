import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PlatformContext } from '../../platform/service.js';
import { isLoopbackHost } from '../../platform/config.js';
import { DEMO_ISSUER, signDemoIdToken } from './demo-issuer.js';
import { findSigningKey } from './store/issuers.js';
import { findUser, listUsers, type User } from './store/users.js';
import { insertAuthorizationCode, takeAuthorizationCode } from './store/authorization-codes.js';
import { ROLE_NAMES, jobRoleCode } from './roles.js';

/**
 * The demo issuer's OpenID Connect authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636,
 * OIDC Core §3.1), so a web front end (the console) signs people in as it would with CIS2 or NHS
 * login: the browser goes to the authorize page, picks a demo identity, comes back with a code, and
 * the client redeems the code for an ID token. Demo mode only: it signs anyone in who asks.
 */

/** The one client registered with the demo issuer's code flow. */
export const DEMO_CONSOLE_CLIENT_ID = 'openspine-console';
/** Where the console receives the code: any loopback origin (demo mode listens on loopback only). */
export const DEMO_CONSOLE_CALLBACK_PATH = '/console/auth/callback';
export const DEMO_AUTHORIZE_PATH = '/identity/demo-cis2/authorize';
export const DEMO_TOKEN_PATH = '/identity/demo-cis2/token';
export const DEMO_DISCOVERY_PATH = '/identity/demo-cis2/.well-known/openid-configuration';
/** A code is redeemed at once by the client's server; a minute is plenty. */
const CODE_TTL_MS = 60_000;

/**
 * Patients sign in with NHS login, whose ID tokens carry the `nhs_number` claim. The demo issuer
 * plays NHS login too, for a patient of the NHS sandbox data.
 */
export const DEMO_PATIENT_LOGINS = [
  { sub: 'demo-nhs-login-9000000009', name: 'Jane Smith', nhsNumber: '9000000009' },
] as const;

export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state: string;
  nonce: string;
  codeChallenge: string;
}

/** Why an authorize request is refused (shown on the page: an unchecked redirect URI is never followed). */
export function checkAuthorizeRequest(query: Record<string, string | undefined>): { ok: true; value: AuthorizeRequest } | { ok: false; problem: string } {
  if (query.response_type !== 'code') return { ok: false, problem: "response_type must be 'code'" };
  if (query.client_id !== DEMO_CONSOLE_CLIENT_ID) return { ok: false, problem: `client_id must be '${DEMO_CONSOLE_CLIENT_ID}'` };
  if (!query.redirect_uri || !isAllowedRedirect(query.redirect_uri)) return { ok: false, problem: `redirect_uri must be a loopback URL ending in ${DEMO_CONSOLE_CALLBACK_PATH}` };
  if (query.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(query.code_challenge ?? '')) {
    return { ok: false, problem: 'a PKCE code_challenge with code_challenge_method S256 is required' };
  }
  if (!query.state) return { ok: false, problem: 'state is required' };
  if (!query.nonce) return { ok: false, problem: 'nonce is required' };
  return { ok: true, value: { clientId: query.client_id, redirectUri: query.redirect_uri, state: query.state, nonce: query.nonce, codeChallenge: query.code_challenge! } };
}

function isAllowedRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(host) && url.pathname === DEMO_CONSOLE_CALLBACK_PATH && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

/** Someone the demo issuer can sign in: a user in one of their role profiles, or a patient. */
export interface DemoIdentity {
  value: string;
  label: string;
}

export async function demoIdentities(ctx: PlatformContext): Promise<DemoIdentity[]> {
  const users = await listUsers(ctx.db);
  const staff = users.flatMap((user: User) => user.roleProfiles.map((profile) => ({
    value: `user:${user.userId}:${profile.roleProfileId}`,
    label: `${user.name}: ${ROLE_NAMES[jobRoleCode(profile.roleCode)] ?? profile.roleCode} at ${profile.odsCode}`,
  })));
  const patients = DEMO_PATIENT_LOGINS.map((p) => ({ value: `patient:${p.nhsNumber}`, label: `${p.name}: patient, NHS number ${p.nhsNumber} (NHS login)` }));
  return [...staff, ...patients];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();
const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** The claims and subject of the chosen identity, or undefined when it is not one of ours. */
async function claimsOf(ctx: PlatformContext, identity: string): Promise<{ subject: string; claims: Record<string, unknown> } | undefined> {
  const [kind, id, roleProfileId] = identity.split(':');
  if (kind === 'patient') {
    const patient = DEMO_PATIENT_LOGINS.find((p) => p.nhsNumber === id);
    // NHS login's claims: the verified NHS number at proofing level P9.
    return patient && { subject: patient.sub, claims: { name: patient.name, nhs_number: patient.nhsNumber, identity_proofing_level: 'P9' } };
  }
  if (kind !== 'user' || !id) return undefined;
  const user = await findUser(ctx.db, id);
  if (!user || !user.roleProfiles.some((r) => r.roleProfileId === roleProfileId)) return undefined;
  return {
    subject: user.userId,
    claims: {
      name: user.name,
      nhsid_nrbac_roles: user.roleProfiles.map((r) => ({ person_roleid: r.roleProfileId, org_code: r.odsCode, role_code: r.roleCode })),
      selected_roleid: roleProfileId,
    },
  };
}

/** Signs the chosen identity in: stores a single-use code for its ID token and returns where to send the browser. */
export async function authorize(ctx: PlatformContext, request: AuthorizeRequest, identity: string): Promise<string | undefined> {
  const chosen = await claimsOf(ctx, identity);
  const privateJwk = ctx.config.demo ? await findSigningKey(ctx.db, DEMO_ISSUER) : undefined;
  if (!chosen || !privateJwk) return undefined;
  const now = ctx.clock.now();
  const idToken = await signDemoIdToken(privateJwk, {
    subject: chosen.subject, audience: request.clientId, now: Math.floor(now.getTime() / 1000), claims: { ...chosen.claims, nonce: request.nonce },
  });
  const code = base64url(randomBytes(32));
  await insertAuthorizationCode(ctx.db, base64url(sha256(code)), {
    clientId: request.clientId, redirectUri: request.redirectUri, codeChallenge: request.codeChallenge, idToken, expiresAt: new Date(now.getTime() + CODE_TTL_MS),
  });
  const back = new URL(request.redirectUri);
  back.searchParams.set('code', code);
  back.searchParams.set('state', request.state);
  return back.href;
}

export interface CodeRedemption {
  code: string;
  clientId: string;
  redirectUri: string;
  codeVerifier: string;
}

/** The ID token for a code, once: undefined when the code is unknown, used, expired, or not bound to this client, redirect URI and verifier. */
export async function redeemAuthorizationCode(ctx: PlatformContext, redemption: CodeRedemption): Promise<string | undefined> {
  const stored = await takeAuthorizationCode(ctx.db, base64url(sha256(redemption.code)));
  if (!stored || stored.expiresAt.getTime() < ctx.clock.now().getTime()) return undefined;
  const challenge = Buffer.from(base64url(sha256(redemption.codeVerifier)));
  const expected = Buffer.from(stored.codeChallenge);
  const verifierMatches = challenge.length === expected.length && timingSafeEqual(challenge, expected);
  if (!verifierMatches || stored.clientId !== redemption.clientId || stored.redirectUri !== redemption.redirectUri) return undefined;
  return stored.idToken;
}
