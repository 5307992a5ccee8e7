import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from './support/spine.js';

/** Each service documents its own routes, from the schemas the door checks, beside its API. */
describe('OpenAPI documents per service', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const documents = {
    '/personal-demographics/FHIR/R4/openapi.json': '/personal-demographics/',
    '/audit/FHIR/R4/openapi.json': '/audit/',
    '/admin/identity/openapi.json': '',
  };

  it('each is public, is OpenAPI 3, and lists only its own service\'s routes', async () => {
    const seen = new Set<string>();
    for (const [path, prefix] of Object.entries(documents)) {
      const res = await fetch(`${spine.url}${path}`);
      assert.equal(res.status, 200, path);
      const doc = await res.json();
      assert.match(doc.openapi, /^3\./, path);
      const paths = Object.keys(doc.paths);
      assert.ok(paths.length > 0, path);
      for (const p of paths) {
        assert.ok(p.startsWith(prefix), `${path} lists ${p}`);
        assert.ok(!seen.has(p), `${p} is in two documents`);
        seen.add(p);
      }
    }
  });

  it('the audit and identity documents carry their TypeBox schemas', async () => {
    const audit = await (await fetch(`${spine.url}/audit/FHIR/R4/openapi.json`)).json();
    const search = audit.paths['/audit/FHIR/R4/AuditEvent'].get.parameters.map((p: { in: string; name: string }) => `${p.in} ${p.name}`);
    assert.deepEqual(search.sort(), ['query _before', 'query _count', 'query agent', 'query date', 'query patient']);
    const identity = await (await fetch(`${spine.url}/admin/identity/openapi.json`)).json();
    const create = identity.paths['/admin/identity/applications'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(create.required, ['name', 'odsCode']);
    assert.equal(create.additionalProperties, false);
    assert.ok(identity.paths['/oauth2/token'], 'the token endpoint is documented with identity');
  });
});
