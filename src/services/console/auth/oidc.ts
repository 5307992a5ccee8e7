import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { PlatformContext } from '../../../platform/service.js';
import type { ConsoleOidcConfig } from '../../../platform/config.js';
import type { RoleMapping } from './person.js';
import {
  DEMO_AUTHORIZE_PATH, DEMO_CONSOLE_CALLBACK_PATH, DEMO_CONSOLE_CLIENT_ID, DEMO_ISSUER, demoIssuerJwks, redeemAuthorizationCode,
} from '../../identity/api.js';

/**
 * The console's OpenID Connect client (authorization-code flow with PKCE and a nonce). Against the
 * embedded demo issuer it redeems the code through the identity service's api.ts (the same check as
 * its token endpoint, without a loopback HTTP call); against any other issuer it uses the issuer's
 * discovery document, token endpoint and JWKS over HTTPS.
 */
export interface OidcProvider {
  issuer: string;
  /** Set for an issuer that names roles in a claim of its own; unset, CIS2's role profiles (and NHS login's NHS number). */
  roleMapping?: RoleMapping;
  /** Where to send the browser; `origin` is the console's own (the callback is under it). */
  authorizationUrl(origin: string, login: { state: string; nonce: string; codeChallenge: string }): Promise<string>;
  /** The verified claims of the ID token the code is redeemed for, or undefined. */
  redeem(origin: string, code: string, codeVerifier: string, nonce: string): Promise<JWTPayload | undefined>;
}

const callbackUrl = (origin: string) => `${origin}${DEMO_CONSOLE_CALLBACK_PATH}`;

function withParams(base: string, params: Record<string, string>): string {
  const url = new URL(base, 'http://relative.invalid');
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return base.startsWith('/') ? `${url.pathname}${url.search}` : url.href;
}

function authorizeParams(clientId: string, origin: string, login: { state: string; nonce: string; codeChallenge: string }) {
  return {
    response_type: 'code', client_id: clientId, redirect_uri: callbackUrl(origin), scope: 'openid profile',
    state: login.state, nonce: login.nonce, code_challenge: login.codeChallenge, code_challenge_method: 'S256',
  };
}

async function verifiedClaims(idToken: string, keys: Parameters<typeof jwtVerify>[1], issuer: string, audience: string, nonce: string): Promise<JWTPayload | undefined> {
  try {
    const { payload } = await jwtVerify(idToken, keys as Parameters<typeof jwtVerify>[1] & object, { issuer, audience, algorithms: ['RS256', 'RS512', 'ES256', 'PS256'] });
    return payload.nonce === nonce ? payload : undefined;
  } catch {
    return undefined;
  }
}

export function demoProvider(ctx: PlatformContext): OidcProvider {
  return {
    issuer: DEMO_ISSUER,
    async authorizationUrl(origin, login) {
      return withParams(DEMO_AUTHORIZE_PATH, authorizeParams(DEMO_CONSOLE_CLIENT_ID, origin, login));
    },
    async redeem(origin, code, codeVerifier, nonce) {
      const idToken = await redeemAuthorizationCode(ctx, { code, clientId: DEMO_CONSOLE_CLIENT_ID, redirectUri: callbackUrl(origin), codeVerifier });
      const jwks = await demoIssuerJwks(ctx);
      if (!idToken || !jwks) return undefined;
      return verifiedClaims(idToken, createLocalJWKSet(jwks), DEMO_ISSUER, DEMO_CONSOLE_CLIENT_ID, nonce);
    },
  };
}

interface Discovery { issuer: string; authorization_endpoint: string; token_endpoint: string; jwks_uri: string; token_endpoint_auth_methods_supported?: string[] }

const MAPPABLE_ROLES = ['operator', 'privacy-officer', 'administrator'] as const;

/** The configured role map, checked at start-up: a role the console does not know stops the server. */
function roleMappingOf(settings: ConsoleOidcConfig): RoleMapping | undefined {
  if (!settings.roleClaim) return undefined;
  const roles = Object.entries(settings.roles ?? {}).map(([value, role]) => {
    if (!(MAPPABLE_ROLES as readonly string[]).includes(role)) throw new Error(`OPENSPINE_CONSOLE_OIDC_ROLES: '${role}' is not a console role (${MAPPABLE_ROLES.join(', ')})`);
    return [value, role as (typeof MAPPABLE_ROLES)[number]] as const;
  });
  return { claim: settings.roleClaim, roles };
}

/** OAuth 2.0 §2.3.1: client id and secret are form-encoded, then sent as HTTP Basic credentials. */
const basicCredentials = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export function externalProvider(settings: ConsoleOidcConfig): OidcProvider {
  let discovery: Promise<Discovery> | undefined;
  const discover = () => {
    discovery ??= fetch(`${settings.issuer}/.well-known/openid-configuration`).then(async (response) => {
      if (!response.ok) throw new Error(`OIDC discovery answered ${response.status}`);
      return await response.json() as Discovery;
    });
    discovery.catch(() => { discovery = undefined; });
    return discovery;
  };
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  return {
    issuer: settings.issuer,
    roleMapping: roleMappingOf(settings),
    async authorizationUrl(origin, login) {
      return withParams((await discover()).authorization_endpoint, authorizeParams(settings.clientId, origin, login));
    },
    async redeem(origin, code, codeVerifier, nonce) {
      const found = await discover();
      const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callbackUrl(origin), code_verifier: codeVerifier });
      const headers: Record<string, string> = { accept: 'application/json' };
      // A confidential client authenticates as the issuer prefers: HTTP Basic (OIDC's default), else in the form.
      const methods = found.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
      if (settings.clientSecret && methods.includes('client_secret_basic')) headers.authorization = basicCredentials(settings.clientId, settings.clientSecret);
      else {
        form.set('client_id', settings.clientId);
        if (settings.clientSecret) form.set('client_secret', settings.clientSecret);
      }
      const response = await fetch(found.token_endpoint, { method: 'POST', body: form, headers });
      if (!response.ok) return undefined;
      const { id_token: idToken } = await response.json() as { id_token?: string };
      if (typeof idToken !== 'string') return undefined;
      jwks ??= createRemoteJWKSet(new URL(found.jwks_uri));
      return verifiedClaims(idToken, jwks, found.issuer, settings.clientId, nonce);
    },
  };
}

/** The configured issuer, else the demo issuer in demo mode, else none (the console then cannot sign anyone in). */
export function consoleProvider(ctx: PlatformContext): OidcProvider | undefined {
  if (ctx.config.consoleOidc) return externalProvider(ctx.config.consoleOidc);
  return ctx.config.demo ? demoProvider(ctx) : undefined;
}
