import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, BASE, type PdsHarness } from './support/pds.js';

describe('PDS OpenAPI document, generated from the route schemas the door checks', () => {
  let h: PdsHarness;
  before(async () => { h = await startPds(); });
  after(() => h.close());

  it('is served beside the API without credentials, and documents what the door checks', async () => {
    const res = await fetch(`${h.spine.url}${BASE}/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const doc = await res.json();
    assert.match(doc.openapi, /^3\./);
    assert.deepEqual(Object.keys(doc.paths).sort(), [`${BASE}/Coverage`, `${BASE}/Patient`, `${BASE}/Patient/{id}`, `${BASE}/Patient/{id}/RelatedPerson`, `${BASE}/metadata`,
      '/personal-demographics/_ping', '/personal-demographics/_status'].sort());
    const parameters = (operation: { parameters: Array<{ in: string; name: string; required?: boolean }> }) =>
      operation.parameters.map((p) => `${p.in} ${p.name}${p.required ? ' (required)' : ''}`);
    const patient = doc.paths[`${BASE}/Patient/{id}`];
    assert.deepEqual(parameters(patient.patch), ['path id (required)', 'header If-Match (required)', 'header X-Request-ID (required)', 'header Content-Type (required)']);
    assert.deepEqual(parameters(patient.get), ['path id (required)', 'header X-Request-ID (required)']);
    const search = parameters(doc.paths[`${BASE}/Patient`].get);
    assert.ok(search.includes('header X-Request-ID (required)'));
    for (const name of ['family', 'given', 'birthdate', '_fuzzy-match', 'address-postalcode', 'email', 'phone']) assert.ok(search.includes(`query ${name}`), name);
    const createBody = doc.paths[`${BASE}/Patient`].post.requestBody.content['application/json'].schema;
    assert.deepEqual(createBody.required, ['name', 'gender', 'birthDate', 'address', 'extension'], 'PatientCreateRequest.yaml');
    assert.deepEqual(createBody.properties.gender.enum, ['male', 'female', 'unknown']);
    const patchBody = patient.patch.requestBody.content['application/json-patch+json'].schema;
    assert.deepEqual(patchBody.properties.patches.items.properties.op.enum, ['remove', 'add', 'replace', 'test']);
    const coverage = doc.paths[`${BASE}/Coverage`];
    assert.deepEqual(parameters(coverage.get), ['query subscriber:identifier', 'header X-Request-ID (required)']);
    assert.deepEqual(parameters(coverage.post), ['header If-Match (required)', 'header X-Request-ID (required)', 'header Content-Type (required)']);
    for (const type of ['application/json', 'application/json-patch+json']) {
      assert.deepEqual(coverage.post.requestBody.content[type].schema.required, ['status', 'beneficiary', 'payor', 'subscriber', 'identifier', 'period'], 'Coverage.yaml');
    }
  });
});
