import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { after, before } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { startTestSpine, type TestSpine, type TestSpineOptions } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';

/** Helpers for the SDS tests: the project's copies of the NHS payloads and schemas (never /work/shared). */

const SDS_DIR = new URL('../../spec/nhs/sds/', import.meta.url);

export const readSdsJson = (relativePath: string): any => JSON.parse(readFileSync(new URL(relativePath, SDS_DIR), 'utf8'));

const SCHEMA_BASE = 'https://openspine.local/spec/nhs/sds/';

/** ajv validators for the spec's DeviceBundle and EndpointBundle schemas (OpenAPI 3.0 YAML). */
export function sdsBundleValidators() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  for (const name of ['Device', 'Endpoint', 'DeviceBundle', 'EndpointBundle']) {
    const schema = parseYaml(readFileSync(new URL(`specification/components/schemas/${name}.yaml`, SDS_DIR), 'utf8'));
    ajv.addSchema({ ...schema, $id: `${SCHEMA_BASE}${name}.yaml` });
  }
  const validator = (name: string) => {
    const validate = ajv.getSchema(`${SCHEMA_BASE}${name}.yaml`)!;
    return (body: unknown) => {
      if (!validate(body)) throw new Error(`response does not match ${name}.yaml: ${ajv.errorsText(validate.errors)}`);
    };
  };
  return { deviceBundle: validator('DeviceBundle'), endpointBundle: validator('EndpointBundle') };
}

export const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
/** The interaction every Device and Endpoint example is registered for. */
export const REPC = 'urn:nhs:names:services:psis:REPC_IN150016UK05';
/** An id or correlation id as the SDS mints them: an upper-case UUID. */
export const UPPER_UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
export const INTERACTION = 'https://fhir.nhs.uk/Id/nhsServiceInteractionId';
export const PARTY_KEY = 'https://fhir.nhs.uk/Id/nhsMhsPartyKey';

/** A query string with repeated parameters, encoded as a client library would. */
export function sdsQuery(params: Array<[string, string]>): string {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** The SDS answers a fresh bundle id, entry ids and URLs on every call: copy ours into the expected bundle. */
export function withGeneratedIds(expected: any, actual: any): any {
  const copy = structuredClone(expected);
  copy.id = actual.id;
  copy.link[0].url = actual.link[0].url;
  copy.entry.forEach((entry: any, i: number) => {
    entry.fullUrl = actual.entry[i].fullUrl;
    entry.resource.id = actual.entry[i].resource.id;
  });
  return copy;
}

export interface SdsReader {
  readonly spine: TestSpine;
  readonly token: string;
  /** GET under the SDS FHIR base with the reader's token. */
  get(path: string, headers?: Record<string, string>): Promise<Response>;
}

/**
 * Called inside a `describe`: a Spine for its tests (started before them, closed after) and an
 * application allowed `directory:read`, whose token `get` sends.
 */
export function sdsReader(options: TestSpineOptions = {}): SdsReader {
  let spine: TestSpine | undefined;
  let token = '';
  before(async () => {
    spine = await startTestSpine(options);
    ({ token } = await createAppAndToken(spine, { activities: ['directory:read'] }));
  });
  after(async () => { await spine?.close(); });
  return {
    get spine() { return spine!; },
    get token() { return token; },
    get: (path, headers = {}) => fetch(`${spine!.url}/spine-directory/FHIR/R4/${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } }),
  };
}
