import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MAX_ATTACHMENT_URL_LENGTH } from './limits.js';

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
    out[key] = key === 'pattern' && typeof value === 'string' ? specPatternKept(value) : closeObjects(value);
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/** Each compiled pattern → the spec's own spelling of it, which NRL quotes in its diagnostics. */
const SPEC_PATTERNS = new Map<string, string>();

function specPatternKept(pattern: string): string {
  const safe = LINEAR_EQUIVALENTS.get(pattern) ?? unicodeSafePattern(pattern);
  SPEC_PATTERNS.set(safe, pattern);
  return safe;
}

/**
 * FHIR's base64Binary pattern (Attachment.data and hash; Signature.data), which JSON Schema, like
 * NRLF's pydantic, finds anywhere in the value. A backtracking engine (V8's) tries it at every
 * position of a value that has no match, and at each one tries every split of the whitespace run
 * that follows between the two `\s*`: time quadratic in the value's length. 20,000 spaces took
 * 2.3 s of the event loop; the 5 MB a body may be would take over a day (extrapolated). pydantic
 * v2's default engine, which NRLF's models use, is Rust's regex crate: linear. Found anywhere, the
 * pattern matches exactly when four of its characters stand together (the first repetition's
 * four, both `\s*` empty), and that is what is compiled instead (the equivalence is
 * property-tested in test/record-locator/parsers.property.test.ts); diagnostics quote the spec's.
 */
export const BASE64_BINARY = '(\\s*([0-9a-zA-Z\\+/=]){4}\\s*)+';
export const LINEAR_EQUIVALENTS = new Map([[BASE64_BINARY, '[0-9a-zA-Z+/=]{4}']]);

/** The pattern as the spec writes it (`^https\:\/\/…`), for a pattern the door compiled. */
export const specPattern = (compiled: string): string => SPEC_PATTERNS.get(compiled) ?? compiled;

/** A document built from the compiled schemas (the OpenAPI one), with each pattern as the spec writes it. */
export function withSpecPatterns(document: unknown): unknown {
  if (Array.isArray(document)) return document.map(withSpecPatterns);
  if (!document || typeof document !== 'object') return document;
  return Object.fromEntries(Object.entries(document as Json).map(([key, value]) =>
    [key, key === 'pattern' && typeof value === 'string' ? specPattern(value) : withSpecPatterns(value)]));
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
// OpenSpine's own bound on a pointer's url (limits.ts), published with the schema it is checked by.
const attachmentUrl = (producerComponents.schemas.Attachment!.properties as Record<string, Json>).url!;
attachmentUrl.maxLength = MAX_ATTACHMENT_URL_LENGTH;
export const consumerComponents = { schemas: closeObjects(readSpec('consumer').components.schemas) as Record<string, Json> };

const rooted = (components: typeof producerComponents, name: string): Json =>
  ({ $ref: `#/components/schemas/${name}`, components });

/** A route schema's top-level properties in the order it declares them (a rooted `$ref` followed): NRLF's order of checks. */
export function declaredFields(schema: object): string[] {
  const { $ref, components, properties } = schema as { $ref?: string; components?: { schemas: Record<string, Json> }; properties?: object };
  if (properties) return Object.keys(properties);
  const name = $ref?.startsWith('#/components/schemas/') ? $ref.slice('#/components/schemas/'.length) : undefined;
  const target = name === undefined ? undefined : components?.schemas[name];
  return target ? declaredFields(target) : [];
}

/** The producer's DocumentReference request body (create, upsert, update). */
export const DOCUMENT_REFERENCE_BODY: Json = rooted(producerComponents, 'DocumentReference');
/**
 * The producer's search parameters, as a `GET` query and as a `POST _search` body alike: the spec's
 * RequestParams left open (NRLF ignores parameters it does not know here), each a string; their
 * patterns and NHS number checks are the search-parameter parser's.
 */
export const PRODUCER_SEARCH_PARAMS: Json = {
  ...(producerSpec.components.schemas.RequestParams as Json),
  properties: Object.fromEntries(['subject:identifier', 'type', 'category', 'next-page-token'].map((name) => [name, { type: 'string' }])),
};
const consumerSchemas = consumerComponents.schemas;

/**
 * The consumer's search parameters, as a `GET` query and as a `POST _search` body alike: the spec's
 * RequestParams (closed: NRLF refuses a parameter it does not know), with the `category` NRL's
 * consumer search also takes.
 */
export const CONSUMER_SEARCH_PARAMS: Json = {
  type: 'object',
  properties: {
    'subject:identifier': consumerSchemas.RequestQuerySubject,
    'custodian:identifier': consumerSchemas.RequestQueryCustodian,
    type: consumerSchemas.RequestQueryType,
    category: { type: 'string' },
    'next-page-token': consumerSchemas.NextPageToken,
  },
  required: ['subject:identifier'],
  additionalProperties: false,
};

/** `GET /DocumentReference/_count`: NRLF's count model names only the subject and ignores the rest. */
export const COUNT_PARAMS: Json = {
  type: 'object',
  properties: { 'subject:identifier': consumerSchemas.RequestQuerySubject },
  required: ['subject:identifier'],
};

/**
 * The spec's pattern held to the whole value. JSON Schema finds a pattern anywhere in a string, but
 * DocumentId is FHIR's id (the spec cites datatypes.html#id: 1–64 of these characters, nothing
 * else) and NRLF's model anchors it, so `~~a`, `_search` or 65 characters are not ids.
 */
function wholeValue(schema: Json): Json {
  const compiled = `^(?:${String(schema.pattern)})$`;
  SPEC_PATTERNS.set(compiled, specPattern(String(schema.pattern)));
  return { ...schema, pattern: compiled };
}

/**
 * `{id}` in a path: the spec's DocumentId, the whole of it, or an id the spec's DocumentReference.id
 * lets a producer choose on upsert, which allows `_` after the ODS code where DocumentId does not:
 * a pointer created at `Location: …/{id}` is read, updated and deleted there (NRLF's anchored
 * DocumentId refuses those ids, leaving such a pointer out of reach). A refusal quotes DocumentId.
 */
function pointerIdInPath(): Json {
  const whole = wholeValue(consumerSchemas.DocumentId!);
  const chosen = (producerComponents.schemas.DocumentReference!.properties as Record<string, Json>).id!;
  const compiled = `${String(whole.pattern)}|${String(chosen.pattern)}`;
  SPEC_PATTERNS.set(compiled, specPattern(String(whole.pattern)));
  return { ...whole, pattern: compiled };
}

const documentId = pointerIdInPath();

export const POINTER_ID_PARAMS: Json = {
  type: 'object',
  properties: { id: documentId },
  required: ['id'],
};

/** The spec's DocumentId pattern as the spec writes it, which a refused path id is quoted against. */
export const DOCUMENT_ID_PATTERN = specPattern(String(documentId.pattern));

/** X-Request-ID as the specs declare it (a UUID). */
export const REQUEST_ID = new RegExp(String(consumerSchemas.RequestHeaderRequestId!.pattern));

/**
 * The headers of every NRL operation, as both specs declare them. `NHSD-End-User-Organisation-ODS`
 * is not required here: an OpenSpine access token already names its organisation, and behind a
 * gateway NHSD-Connection-Metadata does (caller.ts checks whichever applies, before the body is read).
 */
export const NRL_HEADERS: Json = {
  type: 'object',
  properties: {
    'X-Request-ID': consumerSchemas.RequestHeaderRequestId,
    'X-Correlation-ID': consumerSchemas.RequestHeaderCorrelationId,
    'NHSD-End-User-Organisation-ODS': consumerSchemas.RequestHeaderOdsCode,
    'NHSD-End-User-Organisation': consumerSchemas.RequestHeaderOrganisationExtensionCode,
  },
  required: ['X-Request-ID'],
};

