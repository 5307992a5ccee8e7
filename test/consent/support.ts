import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestSpine } from '../support/spine.js';
import { insertConsent } from '../../src/services/consent/store.js';
import { checkConsentProfile } from '../../src/services/consent/domain/consent-profile.js';

/** Shared helpers of the consent tests: the spec's examples and HTTP calls. */

export const specExample = (path: string) => JSON.parse(readFileSync(
  fileURLToPath(new URL(`../../spec/nhs/opt-out/${path}`, import.meta.url)), 'utf8')) as Record<string, any>;

export const PATIENT_BASE = 'https://demographics.spineservices.nhs.uk/STU3/Patient/';
export const NDOP_ERROR_SYSTEM = 'https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1';

/** The spec's `Consent-Example-1.json` (an online opt-out), for another patient and status. */
export function consentFor(nhsNumber: string, changes: Record<string, unknown> = {}) {
  const example = specExample('Examples/Consent-Example-1.json');
  return { ...example, patient: { reference: `${PATIENT_BASE}${nhsNumber}` }, consentingParty: [{ reference: `${PATIENT_BASE}${nhsNumber}` }], ...changes };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(spine: TestSpine, method: string, path: string, token: string, body?: unknown, contentType = 'application/json+fhir'): Promise<Answer> {
  const response = await fetch(`${spine.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** The one issue of an NDOP OperationOutcome (Spine-OperationOutcome-1), without its random id. */
export function ndopIssue(body: any) {
  if (body?.resourceType !== 'OperationOutcome') throw new Error(`not an OperationOutcome: ${JSON.stringify(body)}`);
  if (body.meta?.profile?.[0] !== 'https://fhir.nhs.uk/STU3/StructureDefinition/Spine-OperationOutcome-1') throw new Error(`not Spine-OperationOutcome-1: ${JSON.stringify(body)}`);
  return body.issue[0];
}

export const expectedIssue = (code: string, display: string, issueCode: string, diagnostics: string) =>
  ({ severity: 'error', code: issueCode, details: { coding: [{ system: NDOP_ERROR_SYSTEM, code, display }] }, diagnostics });

/** Opts patients out straight in the store (the API checks each against PDS; these need not all be in PDS). */
export async function optOutInStore(spine: TestSpine, nhsNumbers: string[], status: 'active' | 'inactive' = 'active', dateTime = '2020-01-01T00:00:00+00:00') {
  for (const nhsNumber of nhsNumbers) {
    const checked = checkConsentProfile(consentFor(nhsNumber, { status, dateTime }) as never);
    assert.ok(checked.ok);
    await insertConsent(spine.ctx.db, {
      id: randomUUID(), versionNo: 1, versionId: randomUUID(), optOut: checked.value, resource: {}, lastUpdated: new Date(), setBy: { appId: 'test' },
    });
  }
}

/** Polls a $export status URL until the manifest (200); every answer before is 202 with X-Progress. */
export async function waitForExport(statusUrl: string, token: string): Promise<any> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const response = await fetch(statusUrl, { headers: { authorization: `Bearer ${token}` } });
    if (response.status === 200) return response.json();
    // A busy server sheds with 503 and Retry-After: a client comes back, as the polling spec expects.
    if (response.status === 503 && response.headers.get('retry-after')) {
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    assert.equal(response.status, 202, await response.text());
    assert.ok(response.headers.get('x-progress'));
    assert.equal(response.headers.get('retry-after'), '2');
    if (Date.now() > deadline) throw new Error('export did not complete in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}
