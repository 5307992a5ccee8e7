import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parametersSchema, schemaAt } from '../../platform/http/openapi-refs.js';
import { conformanceTo } from '../../platform/http/validation.js';

/**
 * The PDS FHIR API's own schemas (`spec/nhs/pds/personal-demographics.bundled.json`, NHS England's
 * specification bundled), as route schemas: what the door checks and what the OpenAPI document
 * publishes. Loaded once at start-up.
 */
const SPEC_FILE = fileURLToPath(new URL('../../../spec/nhs/pds/personal-demographics.bundled.json', import.meta.url));
const spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as object;

const parameter = (name: string) => schemaAt(spec, `#/components/parameters/${name}`) as { name: string; required?: boolean; schema?: object; description?: string };

/** `Patient.yaml`: every record PDS stores and returns conforms to it. */
export const patientSchema = schemaAt(spec, '#/components/schemas/Patient');
/** Nothing is stored that PDS would not return: a new or patched record conforms to `Patient.yaml`. */
export const patientConformance = conformanceTo(patientSchema);

const createRequest = schemaAt(spec, '#/paths/~1Patient/post/requestBody/content/application~1json/schema');
const createFields = createRequest.properties as Record<string, Record<string, unknown>>;

/**
 * `PatientCreateRequest.yaml`: the body of POST /Patient. PDS spec ("Gender", patient-patch.yaml):
 * `other` can no longer be set, so a new record cannot have it; a resourceType, if sent, is Patient.
 */
export const createPatientBody = {
  ...createRequest,
  properties: {
    ...createFields,
    resourceType: { ...createFields.resourceType, enum: ['Patient'] },
    gender: { ...createFields.gender, enum: ['male', 'female', 'unknown'] },
  },
};

const patchRequest = schemaAt(spec, '#/paths/~1Patient~1{id}/patch/requestBody/content/application~1json-patch+json/schema');
const patches = (patchRequest.properties as Record<string, Record<string, unknown>>).patches!;
const patchItem = patches.items as Record<string, unknown> & { properties: Record<string, unknown> };

/**
 * `{"patches": JsonPatch.yaml}`: the body of PATCH /Patient/{id}. JsonPatch.yaml lets a value be a
 * string, an integer or an object; a list is also allowed here, since replacing a list field
 * (`/name/0/given`, `/address/0/line`) takes one. What the patches make must conform to
 * `Patient.yaml`, which is checked on the result.
 */
export const patchPatientBody = {
  ...patchRequest,
  properties: {
    patches: { ...patches, items: { ...patchItem, properties: { ...patchItem.properties, value: { type: ['string', 'integer', 'object', 'array'] } } } },
  },
};

/** The NHS number in the path: ten digits with a valid check digit (else 400 INVALID_RESOURCE_ID). */
export const patientIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'nhs-number', description: parameter('Id').description } },
} as const;

const requestId = parameter('RequestID');
const ifMatch = parameter('IfMatch');
// PDS spec: a PATCH must be sent as application/json-patch+json (sandbox: "Wrong content type" → 400).
const patchContentType = { name: 'Content-Type', required: true, schema: { type: 'string', pattern: '^application/json-patch\\+json(;.*)?$' } };

/** Headers every Patient route needs: X-Request-ID, a UUID. */
export const patientHeaders = parametersSchema([requestId]);

/** PDS PATCH checks If-Match (412) first, then X-Request-ID, then the Content-Type. */
export const patchPatientHeaders = parametersSchema([ifMatch, requestId, patchContentType]);

/**
 * GET /Patient's parameters as the spec describes them, for the OpenAPI document. Each may be sent
 * once or repeated; their values and PDS's order of checks (no parameters, unknown parameters, bad
 * values, too weak a search) are the search parser's (`search/parse-search-params.ts`), which
 * answers each with its own code, so the door only checks that they are text.
 */
export function patientSearchQuerystring(names: readonly string[]): Record<string, unknown> {
  const described = new Map(Object.values((spec as { components: { parameters: Record<string, { in: string; name: string; description?: string }> } }).components.parameters)
    .filter((p) => p.in === 'query').map((p) => [p.name, p.description]));
  const text = { type: 'string' };
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, {
      anyOf: [text, { type: 'array', items: text }],
      ...(described.get(name) ? { description: described.get(name) } : {}),
    }])),
  };
}
