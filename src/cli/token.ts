import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { configFrom, withStoreOptions } from './options.js';
import { createContext, createLogger, migrateAll, openDatabase } from '../platform/runtime.js';
import type { PlatformContext } from '../platform/service.js';
import { servicesNamed } from '../services/registry.js';
import {
  buildClientAssertion, findApplicationByApiKey, grantToken, mintDemoIdToken, tokenUrlOf,
  CLIENT_ASSERTION_TYPE, CLIENT_CREDENTIALS, ID_TOKEN_TYPE, TOKEN_EXCHANGE,
} from '../services/identity/api.js';
import { readDemoCredentials } from '../services/identity/demo-seed.js';

/** Runs `work` with a platform context on the configured store (DATABASE_URL, or the embedded one). */
export async function withContext<T>(options: Record<string, unknown>, work: (ctx: PlatformContext) => Promise<T>): Promise<T> {
  const config = configFrom(options);
  const log = createLogger({ ...config, logLevel: 'warn' });
  const database = await openDatabase(config, log);
  try {
    await migrateAll(database.db, servicesNamed(config.services));
    return await work(await createContext(config, database.db, log));
  } finally {
    await database.close();
  }
}

interface SigningCredentials {
  apiKey: string;
  kid: string;
  privateKeyPem: string;
}

/** The app's key: --key/--kid when given, else the demo credentials file written by `serve` on first start. */
async function signingCredentials(options: Record<string, string | undefined>, dataDir: string): Promise<SigningCredentials> {
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

async function clientForm(credentials: SigningCredentials, tokenUrl: string) {
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
async function viaServer(url: string, credentials: SigningCredentials, options: Record<string, string | undefined>, dataDir: string) {
  const tokenUrl = tokenUrlAt(url);
  if (!options.user) return postForm(tokenUrl, { grant_type: CLIENT_CREDENTIALS, ...(await clientForm(credentials, tokenUrl)) });
  const adminToken = await adminAccessToken(url, dataDir);
  const app = await callAdmin(url, adminToken, 'GET', `/applications/${encodeURIComponent(credentials.apiKey)}`) as { cis2ClientId: string };
  const minted = await callAdmin(url, adminToken, 'POST', '/demo-id-tokens', { userId: options.user, roleProfileId: options.role, clientId: app.cis2ClientId }) as { id_token: string };
  return postForm(tokenUrl, {
    grant_type: TOKEN_EXCHANGE, subject_token_type: ID_TOKEN_TYPE, subject_token: minted.id_token, ...(await clientForm(credentials, tokenUrl)),
  }, options.role ? { 'nhsd-session-urid': options.role } : {});
}

export function registerTokenCommand(program: Command) {
  withStoreOptions(program.command('token'))
    .description('mint an access token for demos, exactly as a client would: a signed JWT client assertion (and, with --user, token exchange of a demo CIS2 ID token)')
    .option('--app <apiKey>', 'application API key (default: the demo app from <data-dir>/demo-credentials.json)')
    .option('--key <file>', "the app's private key PEM (default: from the demo credentials)")
    .option('--kid <kid>', "the key's kid (default: from the demo credentials, else the key's thumbprint, as `apps create` sets it)")
    .option('--user <userId>', 'user-restricted: a user of the embedded demo issuer, e.g. 555000000001')
    .option('--role <roleProfileId>', "the user's role profile to act in (sent as NHSD-Session-URID), e.g. 555000000101")
    .option('--url <baseUrl>', 'ask a running Spine at this URL (POST <url>/oauth2/token, aud = that URL); '
      + 'without it the token is minted in-process against the database (DATABASE_URL, or the embedded store '
      + 'when no server is using it), with aud = the configured public URL')
    .action(async (options) => {
      const dataDir = configFrom(options).dataDir;
      const credentials = await signingCredentials(options, dataDir);
      if (options.role && !options.user) throw new Error('--role needs --user');
      if (options.url) {
        process.stdout.write(`${JSON.stringify(await viaServer(options.url, credentials, options, dataDir))}\n`);
        return;
      }
      // Minting in-process signs with the demo issuer's key from the store itself: demo mode by nature.
      await withContext({ ...options, demo: true }, async (ctx) => {
        const tokenUrl = tokenUrlOf(ctx);
        const form: Record<string, string> = { grant_type: CLIENT_CREDENTIALS, ...(await clientForm(credentials, tokenUrl)) };
        if (options.user) {
          const clientId = (await findApplicationByApiKey(ctx.db, credentials.apiKey))?.cis2ClientId;
          Object.assign(form, { grant_type: TOKEN_EXCHANGE, subject_token_type: ID_TOKEN_TYPE, subject_token: await mintDemoIdToken(ctx, { userId: options.user, roleProfileId: options.role, clientId }) });
        }
        const { response } = await grantToken(ctx, { form, sessionUrid: options.role });
        process.stdout.write(`${JSON.stringify(response)}\n`);
      });
    });
}
