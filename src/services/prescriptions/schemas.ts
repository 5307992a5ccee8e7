import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Request body schemas from NHS England's EPS specs (spec/nhs/eps/schemas.bundled.json, made by
 * scripts/bundle-eps-schemas.mjs), checked at the door. The spec's schemas refuse the spec's own
 * examples (every example Bundle.id differs from the one-value `enum` the schema gives as an
 * illustration; `telecom`, `code` and `type` are declared as one object where FHIR and the examples
 * send arrays; resources the examples extend are closed (`additionalProperties: false`); a few elements have the wrong JSON type (FHIR_TYPES below); `oneOf` branches overlap; `required` lists differ from the examples), so the door
 * keeps what they say about *types* at every depth (objects, arrays, strings, numbers, booleans) and
 * leaves values and presence to the service's parsers, which answer with the spec's codes
 * (MISSING_VALUE, INVALID_VALUE, FAILURE_TO_PROCESS_MESSAGE, …). A wrong type anywhere is a 400
 * naming the field, before any handler runs.
 */
type Json = Record<string, unknown>;
const BUNDLED = fileURLToPath(new URL('../../../spec/nhs/eps/schemas.bundled.json', import.meta.url));
const spec = JSON.parse(readFileSync(BUNDLED, 'utf8')) as Record<string, Json>;

const VALUE_CONSTRAINTS = new Set(['enum', 'pattern', 'const', 'format', 'minItems', 'maxItems', 'uniqueItems', 'minLength', 'maxLength', 'default', 'required']);
/** FHIR elements with cardinality 0..* that the spec types as a single object. */
const REPEATING = new Set(['telecom', 'code', 'type']);

/** The resource type a `oneOf` branch is for: its own `resourceType`, or its `resource`'s (Bundle entries). */
function resourceTypeOf(branch: unknown): { type: string; nested: boolean } | undefined {
  const properties = (branch as Json | undefined)?.properties as Record<string, Json> | undefined;
  const own = properties?.resourceType as Json | undefined;
  const nested = ((properties?.resource as Json | undefined)?.properties as Record<string, Json> | undefined)?.resourceType;
  const typeIn = (p: Json | undefined) => (Array.isArray(p?.enum) ? p.enum[0] : p?.default) as string | undefined;
  if (typeIn(own)) return { type: typeIn(own)!, nested: false };
  if (typeIn(nested)) return { type: typeIn(nested)!, nested: true };
  return undefined;
}

/** The url an extension branch is for (its `url`'s enum, const or default). */
function urlOf(branch: unknown): string | undefined {
  const url = ((branch as Json | undefined)?.properties as Record<string, Json> | undefined)?.url;
  const value = Array.isArray(url?.enum) ? url.enum[0] : url?.const ?? url?.default;
  return typeof value === 'string' ? value : undefined;
}

/**
 * A `oneOf` of extensions becomes "the branches of its url": as `anyOf`, a branch that does not
 * declare `valueReference` took any value there (a claim line's item reference as a number).
 */
function byUrl(branches: unknown[], urls: string[]): Json {
  return {
    allOf: [...new Set(urls)].map((url) => {
      const mine = branches.filter((_, i) => urls[i] === url).map((branch) => typesOnly(branch));
      return { if: { properties: { url: { const: url } }, required: ['url'] }, then: mine.length === 1 ? mine[0] : { anyOf: mine } };
    }),
  };
}

/**
 * A `oneOf` of resources (Bundle entries, contained resources) becomes "the branch of its
 * resourceType": with presence left out every branch would accept any resource, and a wrong type
 * in a MedicationRequest would pass as a Patient; a `resourceType` that is not a string matches no
 * branch, so it is refused as one. A `oneOf` of extensions, "the branches of its url" (`byUrl`).
 * Other `oneOf`s become `anyOf`.
 */
function byResourceType(branches: unknown[]): Json {
  const urls = branches.map(urlOf);
  if (urls.every((u) => u !== undefined)) return byUrl(branches, urls as string[]);
  const types = branches.map(resourceTypeOf);
  if (types.some((t) => t === undefined)) return { anyOf: typesOnly(branches) };
  const aString = { properties: { resourceType: { type: 'string' } } };
  return {
    allOf: [
      types.some((t) => t!.nested) ? { properties: { resource: aString } } : aString,
      ...branches.map((branch, i) => {
        const { type, nested } = types[i]!;
        const match = { properties: { resourceType: { const: type } }, required: ['resourceType'] };
        return { if: nested ? { properties: { resource: match }, required: ['resource'] } : match, then: typesOnly(branch) };
      }),
    ],
  };
}

const FHIR_TYPES: Record<string, { spec: string; fhir: string | string[] }> = {
  sequence: { spec: 'string', fhir: ['string', 'integer'] },
  code: { spec: 'integer', fhir: 'string' },
  focal: { spec: 'string', fhir: 'boolean' },
  item: { spec: 'string', fhir: 'object' },
};

function typesOnly(node: unknown, name = '', inProperties = false): unknown {
  if (Array.isArray(node)) return node.map((n) => typesOnly(n));
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (inProperties) { out[key] = typesOnly(value, key); continue; }
    if (VALUE_CONSTRAINTS.has(key) || (key === 'additionalProperties' && value === false)) continue;
    if (key === 'oneOf') { Object.assign(out, byResourceType(value as unknown[])); continue; }
    out[key] = typesOnly(value, '', key === 'properties');
  }
  if (REPEATING.has(name) && out.type === 'object') return { anyOf: [out, { type: 'array', items: out }] };
  // Elements the spec types against FHIR and its own examples: Claim.insurance.sequence (positiveInt,
  // sent as a number), Quantity.code (code, a string), Claim.insurance.focal (boolean), List.entry.item (Reference).
  const correction = FHIR_TYPES[name];
  if (correction && out.type === correction.spec) return { ...out, type: correction.fhir };
  return out;
}

const typed = (name: string): Json => ({ ...(typesOnly(spec[name]) as Json), type: 'object' });

/** The resource type each body schema expects, for the error the door's refusal of another one becomes. */
const expectedTypes = new WeakMap<object, string>();

/**
 * A body of `resourceType` (checked first: the spec answers a wrong or missing one "Incorrect FHIR
 * resource type. Expected Bundle.", whatever else the body holds), then of the spec's types.
 */
function ofResourceType(resourceType: string, types: Json): Json {
  const schema = { allOf: [{ type: 'object' }, { properties: { resourceType: { const: resourceType } }, required: ['resourceType'] }, types] };
  expectedTypes.set(schema, resourceType);
  return schema;
}

/** The resource type a body schema of this file expects (undefined for any other schema). */
export const expectedResourceType = (schema: unknown): string | undefined =>
  (schema && typeof schema === 'object' ? expectedTypes.get(schema) : undefined);

export const PREPARE_BODY = ofResourceType('Bundle', typed('prepare'));
/** `$process-message` on the prescribing base: either message, told apart by MessageHeader.eventCoding. */
export const PRESCRIBING_MESSAGE_BODY = ofResourceType('Bundle', { anyOf: [typed('prescriptionOrder'), typed('prescriptionOrderUpdate')] });
export const RELEASE_BODY = ofResourceType('Parameters', typed('release'));
export const DISPENSE_NOTIFICATION_BODY = ofResourceType('Bundle', typed('dispenseNotification'));
export const TASK_BODY = ofResourceType('Task', { anyOf: [typed('return'), typed('withdraw')] });
export const CLAIM_BODY = ofResourceType('Claim', typed('claim'));

/** The spec's own (unrelaxed) response schemas, for tests. */
export const RESPONSE_SCHEMAS = {
  parameters: spec.parametersResponse!,
  operationOutcome: spec.operationOutcome!,
  cancelResponse: spec.cancelResponse!,
  releaseResponse: spec.releaseResponse!,
};
