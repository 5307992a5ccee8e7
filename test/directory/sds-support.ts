import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

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
