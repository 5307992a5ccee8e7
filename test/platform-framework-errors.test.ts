import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from './support/spine.js';

/**
 * Paths the router refuses before any route matches (not valid percent-encoded UTF-8, or a path
 * parameter over its 512-character limit) are answered in the error shape of the API they were
 * aimed at, not in Fastify's own `{error, code, message, statusCode}`. Found by the fuzz suite.
 */
describe('paths the router cannot take', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${spine.url}${path}`, { headers });
    return { status: response.status, body: await response.json() as Record<string, any> };
  };

  it('a lone surrogate or a bad byte in a FHIR path gets a 400 OperationOutcome', async () => {
    for (const path of ['/personal-demographics/FHIR/R4/Patient/%ED%A0%80', '/record-locator/consumer/FHIR/R4/DocumentReference/%FF', '/admin/directory/devices/%C0%AF']) {
      const { status, body } = await get(path);
      assert.equal(status, 400, path);
      assert.equal(body.resourceType, 'OperationOutcome', path);
      // Each API's own code for a bad value (NRL says INVALID_PARAMETER).
      assert.match(body.issue[0].details.coding[0].code, /^INVALID_(VALUE|PARAMETER)$/, path);
      // NRL answers as for any id its DocumentId refuses (test/record-locator/door.test.ts); the others say why.
      assert.match(body.issue[0].diagnostics, path.startsWith('/record-locator/')
        ? /^Invalid path parameter \(id: string does not match regex / : /not valid percent-encoded UTF-8/, path);
    }
  });

  it('under /record-locator a path no route starts is NRL\'s OperationOutcome too', async () => {
    for (const path of ['/record-locator/consumer/FHIR/R4/%FF', '/record-locator/producer/FHIR/R4/Doc%FFument', '/record-locator/%ED%A0%80']) {
      const { status, body } = await get(path);
      assert.equal(status, 400, path);
      // NRL's shape: its meta profile and Spine-ErrorOrWarningCode-1, not the platform's R4 code system.
      assert.deepEqual(body.meta, { profile: ['https://fhir.nhs.uk/StructureDefinition/NHSDigital-OperationOutcome'] }, path);
      assert.deepEqual(body.issue[0].details.coding[0], { system: 'https://fhir.nhs.uk/ValueSet/Spine-ErrorOrWarningCode-1', code: 'INVALID_PARAMETER', display: 'Invalid parameter' }, path);
      assert.match(body.issue[0].diagnostics, /not valid percent-encoded UTF-8/, path);
    }
    // A scope's prefix covers whole segments: a path that only begins with its letters is the platform's.
    const { body } = await get('/record-locatorX/%FF');
    assert.equal(body.meta, undefined);
    assert.equal(body.issue[0].details.coding[0].code, 'INVALID_VALUE');
  });

  it('a console asset path the static file server will not serve (a backslash in it) is a 404 page, not a 500', async () => {
    for (const path of ['/console/assets/console/%5C', '/console/assets/console/a%5C%20b', '/console/assets/nhsuk/%5C%20']) {
      const response = await fetch(`${spine.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/, path);
      assert.match(await response.text(), /There is no file at this address/, path);
    }
  });

  it('under /messageexchange it is a MESH error body', async () => {
    const { status, body } = await get('/messageexchange/%ED%A0%80/inbox', { accept: 'application/vnd.mesh.v2+json' });
    assert.equal(status, 400);
    assert.ok(Array.isArray(body.detail), JSON.stringify(body));
    assert.equal(body.resourceType, undefined);
  });

  it('a path parameter over the limit gets a 400 in the API\'s shape, not Fastify\'s 414', async () => {
    const { status, body } = await get(`/personal-demographics/FHIR/R4/Patient/${'9'.repeat(600)}`);
    assert.equal(status, 400);
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.match(body.issue[0].diagnostics, /longer than this endpoint accepts/);
  });
});
