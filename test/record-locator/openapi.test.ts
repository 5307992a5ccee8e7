import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestSpine, type TestSpine } from '../support/spine.js';

/** Every `pattern` keyword's value in a document, sorted. */
function patternsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) patternsIn(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'pattern' && typeof inner === 'string') found.push(inner);
      else patternsIn(inner, found);
    }
  }
  return found.sort();
}

type Schema = { $ref?: string; properties?: Record<string, unknown> };
type OpenApi = { openapi: string; info: { title: string }; components?: { schemas?: Record<string, Schema> }; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>> };

/** A body schema, following its `$ref` into the document's own components (as an OpenAPI reader does). */
const resolved = (document: OpenApi, schema: Schema): Schema =>
  schema.$ref ? document.components!.schemas![schema.$ref.replace('#/components/schemas/', '')]! : schema;

describe('NRL OpenAPI documents, from the schemas the door checks', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const fetchDocument = async (role: 'producer' | 'consumer'): Promise<OpenApi> => {
    const response = await fetch(`${spine.url}/record-locator/${role}/FHIR/R4/openapi.json`);
    assert.equal(response.status, 200, role);
    return await response.json() as OpenApi;
  };

  it('the producer document has the producer routes and the DocumentReference body schema, and only them', async () => {
    const document = await fetchDocument('producer');
    assert.match(document.openapi, /^3\./);
    assert.match(document.info.title, /Producer/);
    const paths = Object.keys(document.paths);
    assert.ok(paths.includes('/record-locator/producer/FHIR/R4/DocumentReference'), paths.join(' '));
    assert.ok(paths.every((p) => p.startsWith('/record-locator/producer/')), paths.join(' '));
    const create = document.paths['/record-locator/producer/FHIR/R4/DocumentReference']!.post!;
    const schema = resolved(document, Object.values(create.requestBody!.content)[0]!.schema);
    assert.ok(schema.properties && 'resourceType' in schema.properties && 'content' in schema.properties, JSON.stringify(schema).slice(0, 500));
  });

  it('the consumer document has the consumer routes and the search body schema', async () => {
    const document = await fetchDocument('consumer');
    const paths = Object.keys(document.paths);
    assert.ok(paths.includes('/record-locator/consumer/FHIR/R4/DocumentReference/_search'), paths.join(' '));
    assert.ok(paths.every((p) => p.startsWith('/record-locator/consumer/')), paths.join(' '));
    const search = document.paths['/record-locator/consumer/FHIR/R4/DocumentReference/_search']!.post!;
    const schema = resolved(document, Object.values(search.requestBody!.content)[0]!.schema);
    assert.ok(schema.properties && 'subject:identifier' in schema.properties, JSON.stringify(schema).slice(0, 500));
  });

  it('each document publishes the spec\'s own patterns, base64Binary\'s among them, not the forms the door compiles', async () => {
    for (const role of ['producer', 'consumer'] as const) {
      const spec = JSON.parse(readFileSync(new URL(`../../spec/nhs/nrl/api/${role}/swagger.json`, import.meta.url), 'utf8')) as { components: { schemas: unknown } };
      const document = await fetchDocument(role);
      const published = patternsIn(document.components!.schemas);
      assert.deepEqual(published, patternsIn(spec.components.schemas), role);
      assert.ok(published.includes('(\\s*([0-9a-zA-Z\\+/=]){4}\\s*)+'), role);
    }
  });
});
