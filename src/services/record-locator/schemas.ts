import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Request schemas straight from NHS England's NRL Swagger files (spec/nhs/nrl/api/*, converted to
 * JSON byte-for-value). Each route schema is self-contained: the spec's `components` sit beside the
 * root `$ref`, so `#/components/schemas/…` pointers resolve inside it.
 */
type Json = Record<string, unknown>;

const API = fileURLToPath(new URL('../../../spec/nhs/nrl/api/', import.meta.url));
const readSpec = (side: 'producer' | 'consumer') =>
  JSON.parse(readFileSync(`${API}${side}/swagger.json`, 'utf8')) as { components: { schemas: Record<string, Json> } };

/**
 * NRLF refuses fields the resource model does not know ("The resource contains extra fields"): the
 * strict copy closes every object schema that lists its properties.
 */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema as Json)) {
    // Annotations only: a property *named* description (DocumentReference.description) is an object here.
    if ((key === 'example' || key === 'examples' || key === 'description') && typeof value !== 'object') continue;
    out[key] = key === 'pattern' && typeof value === 'string' ? unicodeSafePattern(value) : closeObjects(value);
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/**
 * The spec escapes characters that need no escape (`\_`, `\:`): legal in plain regexes, an error
 * under the `u` flag the platform's ajv compiles with. Dropping those backslashes changes nothing
 * the pattern matches; escapes of letters, digits, syntax characters and `-` are kept.
 */
export function unicodeSafePattern(pattern: string): string {
  return pattern.replace(/\\([^A-Za-z0-9^$\\.*+?()[\]{}|/-])/g, '$1');
}

const producerSpec = readSpec('producer');
/** The NRL specs' component schemas, which the body schemas `$ref` (also published in each OpenAPI document). */
export const producerComponents = { schemas: closeObjects(producerSpec.components.schemas) as Record<string, Json> };
export const consumerComponents = { schemas: closeObjects(readSpec('consumer').components.schemas) as Record<string, Json> };

const rooted = (components: typeof producerComponents, name: string): Json =>
  ({ $ref: `#/components/schemas/${name}`, components });

/** The producer's DocumentReference request body (create, upsert, update). */
export const DOCUMENT_REFERENCE_BODY: Json = rooted(producerComponents, 'DocumentReference');
/**
 * The producer's `POST /DocumentReference/_search` body: the spec's RequestParams left open (NRLF
 * ignores parameters it does not know here), each a string; their patterns and NHS number checks
 * are the search-parameter parser's, shared with GET, so both answer alike.
 */
export const PRODUCER_SEARCH_BODY: Json = {
  ...(producerSpec.components.schemas.RequestParams as Json),
  properties: Object.fromEntries(['subject:identifier', 'type', 'category', 'next-page-token'].map((name) => [name, { type: 'string' }])),
};
/** The consumer's `POST /DocumentReference/_search` body. */
export const CONSUMER_SEARCH_BODY: Json = rooted(consumerComponents, 'RequestParams');

