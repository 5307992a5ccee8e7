import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readDemoCredentials } from '../../src/services/identity/demo-seed.js';
import { buildClientAssertion, CLIENT_ASSERTION_TYPE, CLIENT_CREDENTIALS } from '../../src/services/identity/api.js';
import { startServerProcess, type ServerProcess } from './server.js';

const CLI = 'dist/cli/main.js';

/** The benches run the built server, exactly what `openspine serve` runs; stale or missing builds are the caller's to fix. */
export function requireBuild() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

/**
 * A fresh data directory under the bench dir for one run, removed by the returned function. Platform
 * benches start from an empty store each time, so a changed migration never meets an old database.
 */
export function freshDataDir(benchDir: string, name: string): { dir: string; remove(): void } {
  mkdirSync(benchDir, { recursive: true });
  const dir = mkdtempSync(join(benchDir, `${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The real Spine (`openspine serve`) on a loopback port, over the embedded PostgreSQL in `dataDir`. */
export async function startSpineProcess(dataDir: string, extraArgs: string[] = [], env?: Record<string, string>): Promise<ServerProcess> {
  requireBuild();
  mkdirSync(dataDir, { recursive: true });
  // Demo mode: the benches use the demo apps and users the demo seed makes.
  return startServerProcess({ args: [...spineNodeArgs(), CLI, 'serve', '--demo', '--data-dir', dataDir, ...extraArgs], env });
}

/**
 * BENCH_SPINE_NODE_ARGS='…': Node's command-line options (V8 flags among them, which NODE_OPTIONS
 * does not take) for the Spine's server alone, not the ceilings' servers, the load clients or the
 * bench: to try a runtime setting on what it is for.
 */
export function spineNodeArgs(): string[] {
  return process.env.BENCH_SPINE_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
}

export interface AppCredentials {
  apiKey: string;
  kid: string;
  privateKeyPem: string;
  tokenUrl: string;
}

/** The demo application's signing key, written by the server's demo seed on its first start in `dataDir`. */
export function demoApp(dataDir: string, url: string): AppCredentials {
  const demo = readDemoCredentials(dataDir);
  if (!demo.apiKey || !demo.kid || !demo.privateKeyPem) throw new Error(`no demo credentials in ${dataDir} (the server seeds them on its first start)`);
  return { apiKey: demo.apiKey, kid: demo.kid, privateKeyPem: demo.privateKeyPem, tokenUrl: `${url}/oauth2/token` };
}

export async function clientCredentialsForm(app: AppCredentials): Promise<string> {
  return new URLSearchParams({
    grant_type: CLIENT_CREDENTIALS,
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await buildClientAssertion(app),
  }).toString();
}

/** An application-restricted access token for the demo app, from POST /oauth2/token as a client gets it. */
export async function appAccessToken(app: AppCredentials): Promise<string> {
  const response = await fetch(app.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: await clientCredentialsForm(app),
  });
  const body = await response.json() as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`token request refused: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/**
 * A user-restricted token (a clinician, as PDS searches need a healthcare worker) through the CLI:
 * `openspine token --url` performs the demo CIS2 login and token exchange over HTTP.
 */
export async function clinicianAccessToken(dataDir: string, url: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'token', '--url', url, '--data-dir', dataDir, '--user', '555000000001', '--role', '555000000101']);
  const body = JSON.parse(stdout) as { access_token?: string };
  if (!body.access_token) throw new Error(`openspine token gave no access_token: ${stdout}`);
  return body.access_token;
}
