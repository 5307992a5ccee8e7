import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { generateSigningKey, type GeneratedKeyPair } from '../../src/services/identity/keys.js';
import type { TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import type { Activity } from '../../src/platform/auth/activities.js';

export const json = (body: unknown) => JSON.stringify(body);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs any header and claims with RSA-SHA512, so tests can send JWTs no well-behaved library would make. */
export function signRaw(header: Record<string, unknown>, claims: Record<string, unknown>, privateKeyPem: string): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = sign('sha512', Buffer.from(input), createPrivateKey(privateKeyPem)).toString('base64url');
  return `${input}.${signature}`;
}

export interface RegisteredApp {
  apiKey: string;
  appId: string;
  key: GeneratedKeyPair;
  tokenUrl: string;
}

/** Registers an app with its own key pair through the admin API, as an operator would. */
export async function registerApp(spine: TestSpine, options: { activities?: Activity[]; rateLimit?: number; odsCode?: string; cis2ClientId?: string } = {}): Promise<RegisteredApp> {
  const { token } = await createAppAndToken(spine, { activities: ['identity:admin'] });
  const key = await generateSigningKey('RS512', 2048);
  const response = await fetch(`${spine.url}/admin/identity/applications`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: json({ name: 'Test GP system', odsCode: options.odsCode ?? 'A83008', activities: options.activities ?? ['patient:read'], rateLimit: options.rateLimit ?? 1000, jwks: { keys: [key.publicJwk] }, cis2ClientId: options.cis2ClientId }),
  });
  if (response.status !== 201) throw new Error(`register app: ${response.status} ${await response.text()}`);
  const body = await response.json() as { application: { apiKey: string; appId: string } };
  return { apiKey: body.application.apiKey, appId: body.application.appId, key, tokenUrl: `${spine.config.publicBaseUrl}/oauth2/token` };
}

/** Claims and header of a valid client assertion for the app, to be varied by each test. */
export function assertionParts(app: RegisteredApp, nowSeconds = Math.floor(Date.now() / 1000)) {
  return {
    header: { alg: 'RS512', typ: 'JWT', kid: app.key.kid } as Record<string, unknown>,
    claims: { iss: app.apiKey, sub: app.apiKey, aud: app.tokenUrl, jti: randomUUID(), exp: nowSeconds + 240 } as Record<string, unknown>,
  };
}

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export async function postToken(spine: TestSpine, form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${spine.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  return { status: response.status, headers: response.headers, body: await response.json() as Record<string, string> };
}

export function clientCredentials(assertion: string): Record<string, string> {
  return { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
}

/** The Principal inside a platform access token (its payload's `p`). */
export function principalOf(accessToken: string): Record<string, unknown> {
  return (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { p: Record<string, unknown> }).p;
}
