// What `openspine token` and `apps … --url` do (loaded when one of them runs: jose and the identity
// service's api are not every command's cost).
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { buildClientAssertion, CLIENT_ASSERTION_TYPE, CLIENT_CREDENTIALS, ID_TOKEN_TYPE, TOKEN_EXCHANGE } from '../services/identity/api.js';
import { readDemoCredentials } from '../services/identity/demo-seed.js';

export interface SigningCredentials {
  apiKey: string;
  kid: string;
  privateKeyPem: string;
}

/** The app's key: --key/--kid when given, else the demo credentials file written by `serve` on first start. */
export async function signingCredentials(options: Record<string, string | undefined>, dataDir: string): Promise<SigningCredentials> {
  const demo = readDemoCredentials(dataDir);
  const known = [demo, demo.admin].find((c) => c?.apiKey && c.apiKey === (options.app ?? demo.apiKey));
  const apiKey = options.app ?? demo.apiKey;
  if (!apiKey) throw new Error(`no --app given and no demo credentials in ${dataDir}`);
  const privateKeyPem = options.key ? readFileSync(options.key, 'utf8') : known?.privateKeyPem;
  if (!privateKeyPem) throw new Error(`app ${apiKey} is not in the demo credentials: give --key <private key PEM>`);
  // Keys made by `apps create` have their RFC 7638 thumbprint as kid, so it can be worked out from the key.
  const kid = options.kid ?? (options.key ? undefined : known?.kid)
    ?? await calculateJwkThumbprint(await exportJWK(createPublicKey(privateKeyPem)));
  return { apiKey, kid, privateKeyPem };
}

async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form) });
  const body = await response.json();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

export async function clientForm(credentials: SigningCredentials, tokenUrl: string) {
  return {
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await buildClientAssertion({ ...credentials, tokenUrl }),
  };
}

const tokenUrlAt = (baseUrl: string) => `${baseUrl.replace(/\/$/, '')}/oauth2/token`;

/** An access token for the demo admin app (its key from the demo credentials), from a running Spine. */
export async function adminAccessToken(baseUrl: string, dataDir: string): Promise<string> {
  const admin = readDemoCredentials(dataDir).admin;
  if (!admin) throw new Error(`talking to ${baseUrl} needs the demo admin app's credentials in ${dataDir}/demo-credentials.json`);
  const tokenUrl = tokenUrlAt(baseUrl);
  const body = await postForm(tokenUrl, { grant_type: CLIENT_CREDENTIALS, ...(await clientForm(admin, tokenUrl)) }) as { access_token: string };
  return body.access_token;
}

/** Calls the identity admin API of a running Spine; its OperationOutcome diagnostics become the error. */
export async function callAdmin(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${baseUrl.replace(/\/$/, '')}/admin/identity${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json() as { issue?: Array<{ diagnostics?: string }> };
  if (!response.ok) throw new Error(answer.issue?.[0]?.diagnostics ?? `${method} ${path} answered ${response.status}`);
  return answer;
}

/**
 * Over HTTP: the admin app fetches a demo ID token for --user, addressed to the app's CIS2 client id
 * (only the app it names may exchange it), then the app exchanges it.
 */
export async function viaServer(url: string, credentials: SigningCredentials, options: Record<string, string | undefined>, dataDir: string) {
  const tokenUrl = tokenUrlAt(url);
  if (!options.user) return postForm(tokenUrl, { grant_type: CLIENT_CREDENTIALS, ...(await clientForm(credentials, tokenUrl)) });
  const adminToken = await adminAccessToken(url, dataDir);
  const app = await callAdmin(url, adminToken, 'GET', `/applications/${encodeURIComponent(credentials.apiKey)}`) as { cis2ClientId: string };
  const minted = await callAdmin(url, adminToken, 'POST', '/demo-id-tokens', { userId: options.user, roleProfileId: options.role, clientId: app.cis2ClientId }) as { id_token: string };
  return postForm(tokenUrl, {
    grant_type: TOKEN_EXCHANGE, subject_token_type: ID_TOKEN_TYPE, subject_token: minted.id_token, ...(await clientForm(credentials, tokenUrl)),
  }, options.role ? { 'nhsd-session-urid': options.role } : {});
}
