/**
 * The benches' own identities on a deployment, where there is no demo data and no demo identity
 * provider (production settings): nothing here needs `--demo`.
 *
 * - An administration application, made directly in the store before the server starts, as
 *   `openspine apps create` makes a deployment's first application.
 * - Through the identity admin API of the running server: a trusted issuer of the bench's own (a
 *   CIS2 stand-in whose RSA key is made afresh for each run, so an ID token of an earlier run is
 *   worthless) and the clinical application the load runs as; through the NRL admin API, the
 *   pointer types that application may produce and consume at its organisation.
 * - A token source for the load client: an application-restricted token (NRL producers are
 *   systems) and a clinician's user-restricted one (PDS searches need a healthcare worker), each
 *   from POST /oauth2/token as a client gets it, the clinician's by token exchange of an ID token the
 *   bench signs itself. Tokens live 599 s, so the source fetches new ones before they expire.
 * - A community pharmacy's dispensing system (an application of its own at BENCH_PHARMACY_ODS) and
 *   its pharmacist, user-restricted as EPS wants every dispensing call but the download of nominated
 *   prescriptions: the pharmacist's token by token exchange through the pharmacy's application. The
 *   pharmacist releases, dispenses and claims what the clinician prescribes.
 */
import { randomUUID, createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Queryable } from '../../src/platform/db/pool.js';
import {
  buildClientAssertion, createApplication, CLIENT_ASSERTION_TYPE, CLIENT_CREDENTIALS, ID_TOKEN_TYPE, TOKEN_EXCHANGE,
} from '../../src/services/identity/api.js';
import { generateSigningKey } from '../../src/services/identity/keys.js';
import { RECORD_TYPES } from '../../src/services/record-locator/domain/record-types.js';

/**
 * The bench's issuer (its ID tokens' `iss`); fixed, so a rerun replaces its keys. It addresses its ID
 * tokens (`aud`) to the run's clinical application, by its API key (its CIS2 client id).
 */
export const BENCH_ISSUER = 'urn:openspine:bench-cis2';
/** The organisation the bench application and its clinician act for (an ODS code used by no other data). */
export const BENCH_ODS = 'Y90210';
/** The community pharmacy the bench's prescriptions are nominated to, released to and claimed by (its own system, its own ODS code). */
export const BENCH_PHARMACY_ODS = 'FY902';
/** A GP (R8000: Clinical Practitioner) with one role profile at the bench organisation. */
const CLINICIAN = { userId: '555900000001', roleProfileId: '555900000101', roleCode: 'R8000' } as const;
/** A pharmacist (R8003: Health Professional) with one role profile at the bench pharmacy. */
const PHARMACIST = { userId: '555900000002', roleProfileId: '555900000102', roleCode: 'R8003' } as const;
/** Fetch new tokens this long before they expire (they live 599 s). */
const REFRESH_AFTER_MS = 300_000;

export interface SigningKey { apiKey: string; kid: string; privateKeyPem: string }

/** Everything the load client needs to get its own tokens; plain JSON, so it crosses to the client process. */
export interface BenchIdentity {
  tokenUrl: string;
  app: SigningKey & { appId: string };
  pharmacy: SigningKey & { appId: string; odsCode: string };
  issuer: { issuer: string; kid: string; privateKeyPem: string };
  clinician: typeof CLINICIAN & { odsCode: string };
  pharmacist: typeof PHARMACIST & { odsCode: string };
}

/** A healthcare worker the bench issuer vouches for: who, in which role, at which organisation. */
type Worker = { userId: string; roleProfileId: string; roleCode: string; odsCode: string };

/** Made directly in the store (the server need not run): the bench's administration application. */
export async function createBenchAdmin(db: Queryable): Promise<SigningKey> {
  const key = await generateSigningKey('RS512', 2048);
  const { application } = await createApplication(db, {
    name: `OpenSpine bench administration ${new Date().toISOString()}`,
    odsCode: 'X26',
    activities: ['identity:admin', 'record-locator:admin', 'audit:read', 'audit:read-all'],
    rateLimit: 10_000,
    jwks: { keys: [key.publicJwk] },
  }, 2048);
  return { apiKey: application.apiKey, kid: key.kid, privateKeyPem: key.privateKeyPem };
}

async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form) });
  const body = await response.json() as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`POST ${url} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** An application-restricted access token (client credentials with a signed JWT assertion). */
export async function applicationToken(tokenUrl: string, app: SigningKey): Promise<string> {
  return postForm(tokenUrl, {
    grant_type: CLIENT_CREDENTIALS, client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await buildClientAssertion({ ...app, tokenUrl }),
  });
}

/** A CIS2-shaped ID token for a bench worker, addressed to `app` and signed with the bench issuer's key of this run. */
async function idToken(identity: BenchIdentity, worker: Worker, app: SigningKey): Promise<string> {
  const { issuer } = identity;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    name: 'Bench Load',
    nhsid_nrbac_roles: [{ person_roleid: worker.roleProfileId, org_code: worker.odsCode, role_code: worker.roleCode }],
    selected_roleid: worker.roleProfileId,
  })
    .setProtectedHeader({ alg: 'RS256', kid: issuer.kid, typ: 'JWT' })
    .setIssuer(issuer.issuer).setSubject(worker.userId).setAudience(app.apiKey)
    .setJti(randomUUID()).setIssuedAt(now).setExpirationTime(now + 600)
    .sign(createPrivateKey(issuer.privateKeyPem));
}

/** A worker's user-restricted access token: token exchange of a fresh ID token, by the worker's system. */
async function workerToken(identity: BenchIdentity, worker: Worker, app: SigningKey): Promise<string> {
  const { tokenUrl } = identity;
  return postForm(tokenUrl, {
    grant_type: TOKEN_EXCHANGE, subject_token_type: ID_TOKEN_TYPE, subject_token: await idToken(identity, worker, app),
    client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await buildClientAssertion({ ...app, tokenUrl }),
  });
}

/** The clinician's user-restricted access token, through the clinical application. */
export const clinicianToken = (identity: BenchIdentity) => workerToken(identity, identity.clinician, identity.app);
/** The pharmacist's user-restricted access token, through the pharmacy's application. */
export const pharmacistToken = (identity: BenchIdentity) => workerToken(identity, identity.pharmacist, identity.pharmacy);

async function callJson(url: string, token: string, method: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': randomUUID() }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${JSON.stringify(answer).slice(0, 400)}`);
  return answer;
}

/**
 * Registers, through the running server's admin APIs, the bench's trusted issuer (a new key each
 * run), its clinical application (may do everything the load does, at a rate no bench reaches) and
 * the pharmacy's, and grants the clinical application every NRL pointer type at the bench organisation.
 */
export async function registerBenchIdentity(baseUrl: string, admin: SigningKey): Promise<BenchIdentity> {
  const tokenUrl = `${baseUrl}/oauth2/token`;
  const adminToken = await applicationToken(tokenUrl, admin);
  const appKey = await generateSigningKey('RS512', 2048);
  const created = await callJson(`${baseUrl}/admin/identity/applications`, adminToken, 'POST', {
    name: `OpenSpine bench clinical system ${new Date().toISOString()}`,
    odsCode: BENCH_ODS,
    activities: ['patient:read', 'patient:search', 'patient:write', 'patient:create', 'messaging:use', 'directory:read',
      'record-locator:produce', 'record-locator:consume', 'prescription:prescribe', 'prescription:track'],
    rateLimit: 1_000_000,
    jwks: { keys: [appKey.publicJwk] },
  }) as { application: { apiKey: string; appId: string } };
  const { apiKey, appId } = created.application;
  await callJson(`${baseUrl}/admin/record-locator/permissions/${appId}/${BENCH_ODS}`, adminToken, 'PUT', [...RECORD_TYPES.keys()]);
  const pharmacyKey = await generateSigningKey('RS512', 2048);
  const pharmacy = await callJson(`${baseUrl}/admin/identity/applications`, adminToken, 'POST', {
    name: `OpenSpine bench pharmacy system ${new Date().toISOString()}`,
    odsCode: BENCH_PHARMACY_ODS,
    activities: ['prescription:dispense', 'prescription:track'],
    rateLimit: 1_000_000,
    jwks: { keys: [pharmacyKey.publicJwk] },
  }) as { application: { apiKey: string; appId: string } };
  // The issuer vouches for the clinician to the clinical application and for the pharmacist to the pharmacy's.
  const issuerKey = await generateSigningKey('RS256', 2048);
  await callJson(`${baseUrl}/admin/identity/trusted-issuers`, adminToken, 'PUT', {
    issuer: BENCH_ISSUER, jwks: { keys: [issuerKey.publicJwk] }, clientIds: [apiKey, pharmacy.application.apiKey],
  });
  return {
    tokenUrl,
    app: { apiKey, appId, kid: appKey.kid, privateKeyPem: appKey.privateKeyPem },
    pharmacy: { apiKey: pharmacy.application.apiKey, appId: pharmacy.application.appId, odsCode: BENCH_PHARMACY_ODS, kid: pharmacyKey.kid, privateKeyPem: pharmacyKey.privateKeyPem },
    issuer: { issuer: BENCH_ISSUER, kid: issuerKey.kid, privateKeyPem: issuerKey.privateKeyPem },
    clinician: { ...CLINICIAN, odsCode: BENCH_ODS },
    pharmacist: { ...PHARMACIST, odsCode: BENCH_PHARMACY_ODS },
  };
}

/** The load client's tokens, fetched again in the background before they expire. */
export class BenchTokens {
  app = '';
  clinician = '';
  pharmacy = '';
  private fetchedAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly identity: BenchIdentity) {}

  async refresh(): Promise<void> {
    const [app, clinician, pharmacy] = await Promise.all([
      applicationToken(this.identity.tokenUrl, this.identity.app), clinicianToken(this.identity), pharmacistToken(this.identity),
    ]);
    this.app = app;
    this.clinician = clinician;
    this.pharmacy = pharmacy;
    this.fetchedAt = Date.now();
  }

  /** Called before each request: starts a refresh when the tokens are getting old (the old ones serve meanwhile). */
  keepFresh(): void {
    if (this.refreshing || Date.now() - this.fetchedAt < REFRESH_AFTER_MS) return;
    this.refreshing = this.refresh().catch((err: Error) => {
      // Try again in ten seconds; the current tokens still have minutes to run.
      this.fetchedAt = Date.now() - REFRESH_AFTER_MS + 10_000;
      process.stderr.write(`bench tokens: refresh failed: ${err.message}\n`);
    }).finally(() => {
      this.refreshing = undefined;
    });
  }
}
