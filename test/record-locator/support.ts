import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import Ajv from 'ajv';
import type { TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import type { Activity } from '../../src/platform/auth/activities.js';

/** Shared helpers of the record-locator tests: spec schemas, pointer bodies, HTTP calls. */

const specOf = (side: 'producer' | 'consumer') => parse(readFileSync(
  fileURLToPath(new URL(`../../spec/nhs/nrl/api/${side}/swagger.yaml`, import.meta.url)), 'utf8',
)) as { components: { schemas: Record<string, object> } };

/**
 * The spec's schemas, closed: its objects list every field FHIR gives them but leave
 * `additionalProperties` open; an answer with a field the resource does not have is no FHIR.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, key === 'properties'
    ? Object.fromEntries(Object.entries(value as object).map(([name, property]) => [name, closed(property)]))
    : closed(value)]));
  return 'properties' in copy && !('additionalProperties' in copy) ? { ...copy, additionalProperties: false } : copy;
}

// The spec's patterns are plain (non-unicode) regexes; int32 is OpenAPI's.
const ajv = new (Ajv as unknown as typeof Ajv.default)({ strict: false, allErrors: true, unicodeRegExp: false });
ajv.addFormat('int32', true);
for (const side of ['producer', 'consumer'] as const) ajv.addSchema({ components: closed(specOf(side).components) }, `nrl-${side}`);

/** Asserts `body` is valid against a component schema of the NRL spec (the project's own copy), closed. */
export function assertSpecSchema(side: 'producer' | 'consumer', schema: 'OperationOutcome' | 'DocumentReference' | 'Bundle', body: unknown) {
  const validate = ajv.getSchema(`nrl-${side}#/components/schemas/${schema}`)!;
  assert.ok(validate(body), `${side} ${schema} does not match the spec: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
}

export const ERROR_SYSTEM = 'https://fhir.nhs.uk/ValueSet/Spine-ErrorOrWarningCode-1';
export const RESPONSE_SYSTEM = 'https://fhir.nhs.uk/ValueSet/NRL-ResponseCode';
export const MENTAL_HEALTH_CRISIS_PLAN = 'http://snomed.info/sct|736253002';
export const NEWS2 = 'http://snomed.info/sct|1363501000000100';
export const LLOYD_GEORGE = 'http://snomed.info/sct|16521000000101';

/** The issue NRL answers, without the outcome's random id. */
export function issueOf(body: { resourceType: string; issue: unknown[] }) {
  assert.equal(body.resourceType, 'OperationOutcome');
  assert.equal(body.issue.length, 1, JSON.stringify(body));
  return body.issue[0] as Record<string, unknown>;
}

export function errorIssue(code: string, display: string, issueCode: string, diagnostics: string, expression?: string) {
  return {
    severity: 'error',
    code: issueCode,
    details: { coding: [{ system: ERROR_SYSTEM, code, display }] },
    diagnostics,
    ...(expression === undefined ? {} : { expression: [expression] }),
  };
}

const CATEGORY: Record<string, [string, string]> = {
  [MENTAL_HEALTH_CRISIS_PLAN]: ['734163000', 'Care plan'],
  [NEWS2]: ['1102421000000108', 'Observations'],
  [LLOYD_GEORGE]: ['823651000000106', 'Clinical note'],
};

/** A valid pointer body, as a producer would send it, for the given custodian, patient and type. */
export function pointerBody(custodian: string, nhsNumber: string, type = MENTAL_HEALTH_CRISIS_PLAN, extra: Record<string, unknown> = {}) {
  const [system, code] = type.split('|');
  const [categoryCode, categoryDisplay] = CATEGORY[type]!;
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    docStatus: 'final',
    type: { coding: [{ system, code, display: 'A record type' }] },
    category: [{ coding: [{ system: 'http://snomed.info/sct', code: categoryCode, display: categoryDisplay }] }],
    subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber } },
    author: [{ identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: custodian } }],
    custodian: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: custodian } },
    content: [{
      attachment: { contentType: 'application/pdf', url: `https://example.org/${randomUUID()}.pdf`, creation: '2022-12-21T10:45:41+11:00' },
      format: { system: 'https://fhir.nhs.uk/England/CodeSystem/England-NRLFormatCode', code: 'urn:nhs-ic:unstructured', display: 'Unstructured document' },
    }],
    ...extra,
  };
}

export interface CallOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  /** The body's media type (default `application/fhir+json`); null sends the body with none. */
  contentType?: string | null;
  /** Why the answer is not held to the spec's schemas (a pointer stored through the sandbox API as given). */
  offSpec?: string;
}

/** Calls an NRL API path (`/producer/FHIR/R4/...` or `/consumer/FHIR/R4/...`) with the given identity headers. */
export async function call(spine: TestSpine, method: string, path: string, identity: Record<string, string>, options: CallOptions = {}) {
  const headers: Record<string, string> = { 'x-request-id': randomUUID(), ...identity, ...options.headers };
  let body: string | Blob | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  // fetch gives a text body text/plain of its own accord, a Blob of no type none.
  if (body !== undefined && options.contentType === null) body = new Blob([body]);
  else if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/fhir+json';
  const response = await fetch(`${spine.url}/record-locator${path}`, { method, headers, body });
  const text = await response.text();
  let json: any;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = text; }
  if (options.offSpec === undefined) {
    assertSpecResponse(path, response, json);
    // Both specs' responses carry X-Request-Id and X-Correlation-Id back, errors included.
    for (const name of ['x-request-id', 'x-correlation-id']) {
      if (headers[name] !== undefined) assert.equal(response.headers.get(name), headers[name], `${name} echoed on ${response.status} to ${path}`);
    }
  }
  return { status: response.status, headers: response.headers, body: json };
}

/** The NRL spec's resources, each answered as `application/fhir+json`. */
const SPEC_RESOURCES = new Set(['OperationOutcome', 'DocumentReference', 'Bundle']);

/**
 * Every answer a test receives through `call`, whatever the test then asserts, is one the spec
 * describes: `_status`'s 200 is `{"message":"OK"}` as JSON; everything else (errors, the platform's
 * own refusals, not-found paths, successes) is an OperationOutcome, Bundle or DocumentReference that
 * the spec's schema of that name accepts, as `application/fhir+json`.
 */
function assertSpecResponse(path: string, response: Response, body: unknown) {
  const side = path.startsWith('/consumer/') ? 'consumer' : 'producer';
  const what = `${response.status} to ${path}: ${JSON.stringify(body)}`;
  const contentType = response.headers.get('content-type') ?? '';
  if (path.split('?')[0]!.endsWith('/_status') && response.status === 200) {
    assert.match(contentType, /^application\/json(;|$)/, what);
    assert.deepEqual(body, { message: 'OK' }, what);
    return;
  }
  if (path.split('?')[0]!.endsWith('/metadata') && response.status === 200) return;
  const resourceType = (body as { resourceType?: unknown } | undefined)?.resourceType;
  assert.ok(typeof resourceType === 'string' && SPEC_RESOURCES.has(resourceType), `not a resource of the spec: ${what}`);
  assert.match(contentType, /^application\/fhir\+json(;|$)/, what);
  assertSpecSchema(side, resourceType as 'OperationOutcome' | 'DocumentReference' | 'Bundle', body);
  if (resourceType === 'OperationOutcome') {
    const system = response.status < 300 ? RESPONSE_SYSTEM : ERROR_SYSTEM;
    for (const issue of (body as { issue: Array<{ details?: { coding?: Array<{ system?: string }> } }> }).issue) {
      assert.equal(issue.details?.coding?.[0]?.system, system, what);
    }
  }
}

/** Valid NHS numbers (modulus 11) in the 999 test range, distinct per test. */
let next = Math.floor(Math.random() * 100_000);
export function nextNhsNumber(): string {
  for (;;) {
    const stem = String(999_000_000 + ((next += 7919) % 1_000_000));
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(stem[i]) * (10 - i);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return stem + String(check === 11 ? 0 : check);
  }
}

/** Allows an application pointer types at an organisation, through the admin API as an administrator does. */
export async function grantPointerTypes(spine: TestSpine, appId: string, organisation: string, types: readonly string[]): Promise<void> {
  const { token } = await createAppAndToken(spine, { activities: ['record-locator:admin'] });
  // A 503 (a database slower than a test's tight timeouts on a loaded machine) is retried, as its Retry-After says.
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${spine.url}/admin/record-locator/permissions/${appId}/${organisation}`, {
      method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(types),
    });
    const text = await response.text();
    if (response.status === 503 && attempt < 10) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      continue;
    }
    assert.equal(response.status, 200, text);
    return;
  }
}

/**
 * An application of organisation `ods` with `activities`, allowed `types` there: its id, and the
 * headers it calls NRL with (its token and `NHSD-End-User-Organisation-ODS`).
 */
export async function nrlApplication(
  spine: TestSpine, ods: string, activities: Activity[], types: readonly string[] = [MENTAL_HEALTH_CRISIS_PLAN],
): Promise<{ appId: string; token: string; identity: Record<string, string> }> {
  const app = await createAppAndToken(spine, { activities, odsCode: ods });
  await grantPointerTypes(spine, app.principal.appId, ods, types);
  return { appId: app.principal.appId, token: app.token, identity: { authorization: `Bearer ${app.token}`, 'nhsd-end-user-organisation-ods': ods } };
}
