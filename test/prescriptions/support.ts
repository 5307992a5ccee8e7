import { createSign, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import type { TestSpine } from '../support/spine.js';
import { userToken } from '../support/identity.js';
import { DISPENSING, EpsCycle, PRESCRIBING } from './cycle.js';
import { nextNhsNumber } from '../../src/platform/nhs-number.js';
import { generateShortFormId } from '../../src/services/prescriptions/domain/prescription-id.js';
import { RESPONSE_SCHEMAS } from '../../src/services/prescriptions/schemas.js';

/** Shared helpers of the prescriptions (EPS) tests: the spec's examples, signing, HTTP calls. */
export type Json = Record<string, any>;

const EXAMPLES = fileURLToPath(new URL('../../spec/nhs/eps/examples/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const example = (path: string): Json => JSON.parse(readFileSync(EXAMPLES + path, 'utf8'));
export const fixture = (name: string) => readFileSync(FIXTURES + name, 'utf8');

export const ACUTE = 'primary-care/acute/nominated-pharmacy/medical-prescriber/';

/**
 * A healthcare worker's headers at `odsCode`, as EPS wants every call but a nominated release
 * made (user-restricted): an access token for a prescriber (R8000: prescribes, dispenses, tracks) or
 * a pharmacist (R8003: dispenses, tracks), and NHSD-Session-URID naming the role it was issued for.
 */
export async function workerHeaders(spine: TestSpine, odsCode: string, roleCode: 'R8000' | 'R8003'): Promise<Record<string, string>> {
  const roleProfileId = '555000000101';
  const { token } = await userToken(spine, { roleCode, odsCode, roleProfileId });
  return { authorization: `Bearer ${token}`, 'nhsd-session-urid': roleProfileId };
}
/** The example practitioner the demo signing certificate is registered for (dataset eps, demo mode). */
export const EXAMPLE_PRESCRIBER = '555086689106';

const ajv = new (Ajv as unknown as typeof Ajv.default)({ strict: false, allErrors: true, unicodeRegExp: false });
for (const f of ['dateTime', 'url', 'datetime']) ajv.addFormat(f, true);
export function assertSchema(name: keyof typeof RESPONSE_SCHEMAS, body: unknown) {
  const validate = ajv.compile(RESPONSE_SCHEMAS[name]);
  assert.ok(validate(body), `${name} does not match the spec: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`);
}

let stem = 950_000_000 + Math.floor(Math.random() * 1_000_000);
/** A fresh valid NHS number (not a sandbox patient's). */
export function freshNhsNumber(): string {
  const next = nextNhsNumber(stem);
  stem = next.stem;
  return next.nhsNumber;
}

/**
 * The acute example prescription (nominated to FA565) with a fresh short-form id, long-form id and
 * NHS number, so each test has its own; without the example's Provenance.
 */
export function freshOrder(options: { ods?: string; pharmacy?: string; nhsNumber?: string; shortFormId?: string } = {}): Json {
  const order = structuredClone(example(`${ACUTE}1-Prepare-Request-200_OK.json`));
  const shortFormId = options.shortFormId ?? generateShortFormId(options.ods ?? 'A83008');
  const longFormId = randomUUID();
  const nhsNumber = options.nhsNumber ?? freshNhsNumber();
  order.identifier.value = randomUUID();
  for (const { resource } of order.entry) {
    if (resource.resourceType === 'MedicationRequest') {
      resource.groupIdentifier.value = shortFormId;
      resource.groupIdentifier.extension[0].valueIdentifier.value = longFormId;
      if (options.pharmacy) resource.dispenseRequest.performer.identifier.value = options.pharmacy;
    }
    if (resource.resourceType === 'Patient') resource.identifier[0].value = nhsNumber;
    if (resource.resourceType === 'Organization' && options.ods) resource.identifier[0].value = options.ods;
    if (resource.resourceType === 'MessageHeader' && options.pharmacy) resource.destination[0].receiver.identifier.value = options.pharmacy;
  }
  return order;
}

export const shortFormIdOf = (bundle: Json): string => bundle.entry.find((e: Json) => e.resource.resourceType === 'MedicationRequest').resource.groupIdentifier.value;
export const nhsNumberOf = (bundle: Json): string => bundle.entry.find((e: Json) => e.resource.resourceType === 'Patient').resource.identifier[0].value;
export const itemIdsOf = (bundle: Json): string[] => bundle.entry.filter((e: Json) => e.resource.resourceType === 'MedicationRequest').map((e: Json) => e.resource.identifier[0].value);

/** An XML-DSig Signature over `signedInfo` by `keyPem`, carrying `certPem`, as a prescriber's system makes it. */
export function xmlSignature(signedInfo: string, keyPem: string, certPem: string, value?: string): string {
  const signatureValue = value ?? createSign('RSA-SHA256').update(signedInfo).sign(keyPem, 'base64');
  const certificate = certPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const inner = signedInfo.replace(' xmlns="http://www.w3.org/2000/09/xmldsig#"', '');
  return Buffer.from(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">${inner}<SignatureValue>${signatureValue}</SignatureValue>`
    + `<KeyInfo><X509Data><X509Certificate>${certificate}</X509Certificate></X509Data></KeyInfo></Signature>`).toString('base64');
}

/** Adds the example's Provenance to `order`, with `data` as its signature and `when` its time. */
export function withProvenance(order: Json, data: string | undefined, when: string): Json {
  const provenance = structuredClone(example(`${ACUTE}1-Process-Request-Send-200_OK.json`).entry.find((e: Json) => e.resource.resourceType === 'Provenance'));
  provenance.resource.recorded = when;
  provenance.resource.signature[0].when = when;
  if (data === undefined) delete provenance.resource.signature[0].data;
  else provenance.resource.signature[0].data = data;
  return { ...order, entry: [...order.entry, provenance] };
}

/** `text`: the body as it came, to compare answers byte for byte. */
export interface Response { status: number; body: Json; headers: Headers; text: string }

export async function call(spine: Pick<TestSpine, 'url'>, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Response> {
  const response = await fetch(`${spine.url}${path}`, {
    method,
    headers: { 'x-request-id': randomUUID(), ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers, text };
}

/** `$prepare` then a signed `$process-message`, as a prescribing system does: the prescription's short-form id. */
export async function prescribe(spine: TestSpine, headers: Record<string, string>, order: Json, key = fixture('prescriber-key.pem'), cert = fixture('prescriber-cert.pem')): Promise<Response> {
  const prepared = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', headers, order);
  assert.equal(prepared.status, 200, JSON.stringify(prepared.body));
  const param = (name: string) => prepared.body.parameter.find((p: Json) => p.name === name).valueString as string;
  const signedInfo = Buffer.from(param('digest'), 'base64').toString('utf8');
  return call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', headers, withProvenance(order, xmlSignature(signedInfo, key, cert), param('timestamp')));
}

/** The parts of an EPS OperationOutcome a test compares: everything but meta.lastUpdated. */
export const withoutMeta = (body: Json) => { const { meta: _meta, ...rest } = body; return rest; };

/**
 * An order of the EPS cycle (the bench's and the crash suite's bodies) prepared by a GP at A83008,
 * for a test that sends it changed; `nothingToRelease` then checks the pharmacy (FA565) finds no
 * prescription of that id, i.e. that nothing of the refused order was stored.
 */
export async function preparedCycleOrder(spine: TestSpine) {
  const gp = await workerHeaders(spine, 'A83008', 'R8000');
  const pharmacy = await workerHeaders(spine, 'FA565', 'R8003');
  const cycle = new EpsCycle({ prescriber: 'A83008', pharmacy: 'FA565' });
  const { order, shortFormId } = cycle.newOrder(freshNhsNumber());
  const prepared = await call(spine, 'POST', `${PRESCRIBING}/$prepare`, gp, order);
  assert.equal(prepared.status, 200, prepared.text);
  return {
    gp, cycle, order, prepared,
    async nothingToRelease() {
      const released = await call(spine, 'POST', `${DISPENSING}/Task/$release`, pharmacy, cycle.releaseBody(shortFormId));
      assert.equal(released.status, 400, released.text);
      assert.equal(released.body.issue[0].details.coding[0].code, 'RESOURCE_NOT_FOUND');
    },
  };
}

