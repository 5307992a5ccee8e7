import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startTestSpine, type TestSpine } from '../../support/spine.js';
import { createAppAndToken, userToken } from '../../support/identity.js';
import { demographicsService } from '../../../src/services/demographics/index.js';

export const BASE = '/personal-demographics/FHIR/R4';

export interface PdsHarness {
  spine: TestSpine;
  /** A healthcare worker (user-restricted, Clinical Practitioner R8000) token. */
  userBearer: string;
  /** An application-restricted token with every patient activity. */
  appBearer: string;
  db: pg.Pool;
  close(): Promise<void>;
}

/** The real server with the demographics service (and the NHS sandbox patients loaded as demo data). */
export async function startPds(): Promise<PdsHarness> {
  const spine = await startTestSpine({ modules: [demographicsService] });
  const user = await userToken(spine, { roleCode: 'R8000' });
  const app = await createAppAndToken(spine, { activities: ['patient:read', 'patient:search'] });
  const db = new pg.Pool({ connectionString: spine.databaseUrl, max: 2 });
  return {
    spine, userBearer: user.token, appBearer: app.token, db,
    async close() {
      await db.end();
      await spine.close();
    },
  };
}

export interface CallOptions {
  method?: string;
  bearer?: string | null;
  requestId?: string | null;
  headers?: Record<string, string>;
  body?: unknown;
}

/** One call to PDS with the headers a real client sends (a fresh X-Request-ID unless given). */
export async function call(h: PdsHarness, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  const requestId = options.requestId === undefined ? randomUUID() : options.requestId;
  if (requestId !== null) headers['x-request-id'] = requestId;
  const bearer = options.bearer === undefined ? h.userBearer : options.bearer;
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${h.spine.url}${path.startsWith('/') ? path : `${BASE}/${path}`}`, { method: options.method ?? 'GET', headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined, requestId };
}

/** The OperationOutcome a PDS error sends (code, display, issue code, severity, diagnostics). */
export function outcomeOf(json: any) {
  const issue = json.issue[0];
  return { code: issue.details.coding[0].code, display: issue.details.coding[0].display, issueCode: issue.code, severity: issue.severity, diagnostics: issue.diagnostics };
}

/** PDS spec (PatientCreateRequest.yaml): every create names its registering authority. */
export const REGISTERING_AUTHORITY = {
  url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-RegisteringAuthority',
  extension: [
    { url: 'registeringAuthorityType', valueCodeableConcept: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/UKCore-RegisteringAuthorityType', code: 'x' }] } },
    { url: 'organisationIdentifier', valueString: 'RGS' },
  ],
};

/** A file of NHS England's PDS spec as copied into the repo (`spec/nhs/pds/`), parsed fresh. */
export const pdsSpec = (path: string) => JSON.parse(readFileSync(new URL(`../../../spec/nhs/pds/${path}`, import.meta.url), 'utf8'));

/** The spec's error stub (`stubs/errorResponses/CODE.json`) with the given diagnostics. */
export function stubErrorWith(code: string, diagnostics: string) {
  const body = pdsSpec(`stubs/errorResponses/${code}.json`);
  body.issue[0].diagnostics = diagnostics;
  return body;
}

/** The spec's INVALID_METHOD stub (403), whose display names what was refused to which access. */
export function invalidMethodStub(display: string) {
  const body = pdsSpec('stubs/errorResponses/INVALID_METHOD.json');
  body.issue[0].details.coding[0].display = display;
  return body;
}

/** The spec's named PATCH example (`/Patient/{id}` requestBody examples). */
export const patchExample = (name: string) =>
  pdsSpec('personal-demographics.bundled.json').paths['/Patient/{id}'].patch.requestBody.content['application/json-patch+json'].examples[name].value;

/** A patient as read now: its ETag and record. */
export async function currentVersion(h: PdsHarness, id: string) {
  const res = await call(h, `Patient/${id}`);
  return { etag: res.headers.get('etag')!, patient: res.json };
}

/** A JSON Patch sent with the patient's current ETag, as a client that has just read it. */
export async function patchCurrent(h: PdsHarness, id: string, body: unknown) {
  const { etag } = await currentVersion(h, id);
  return call(h, `Patient/${id}`, { method: 'PATCH', body, headers: { 'content-type': 'application/json-patch+json', 'if-match': etag } });
}

/** A new patient as a create request sends one (PatientCreateRequest.yaml), with the family name given. */
export function newPerson(family: string, given = 'Jane', birthDate = '1982-07-10') {
  return {
    extension: [REGISTERING_AUTHORITY],
    resourceType: 'Patient',
    name: [{ use: 'usual', given: [given], family, prefix: ['Mrs'], period: { start: '1986-07-01' } }],
    gender: 'female',
    birthDate,
    address: [{ use: 'home', line: ['1 Trevelyan Square', 'Leeds'], postalCode: 'LS1 6AE', period: { start: '2020-01-01' } }],
  };
}
