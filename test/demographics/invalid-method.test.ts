import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, call, invalidMethodStub, outcomeOf, type PdsHarness } from './support/pds.js';

/**
 * A method PDS does not offer on one of its paths is 403 INVALID_METHOD
 * (stubs/errorResponses/INVALID_METHOD.json), as NHS England's PDS test suite expects of a POST to
 * a patient's related people: "Cannot create resource with user-restricted access token".
 */
describe('PDS: a method not offered on a PDS path is 403 INVALID_METHOD', () => {
  let h: PdsHarness;
  before(async () => { h = await startPds(); });
  after(async () => { await h.close(); });

  it('DELETE, PUT and a POST to a patient, PATCH of a search or a coverage, a POST to related people: each refused naming what it would do', async () => {
    const cases: Array<[string, string, string]> = [
      ['DELETE', 'Patient/9000000009', 'Cannot delete resource with user-restricted access token'],
      ['PUT', 'Patient/9000000009', 'Cannot update resource with user-restricted access token'],
      ['POST', 'Patient/9000000009', 'Cannot create resource with user-restricted access token'],
      ['POST', 'Patient/9000000009/RelatedPerson', 'Cannot create resource with user-restricted access token'],
      ['DELETE', 'Patient/9000000009/RelatedPerson', 'Cannot delete resource with user-restricted access token'],
      ['PATCH', 'Patient', 'Cannot update resource with user-restricted access token'],
      ['DELETE', 'Patient', 'Cannot delete resource with user-restricted access token'],
      ['PUT', 'Coverage', 'Cannot update resource with user-restricted access token'],
      ['DELETE', 'Coverage', 'Cannot delete resource with user-restricted access token'],
    ];
    for (const [method, path, display] of cases) {
      const res = await call(h, path, { method, body: method === 'DELETE' ? undefined : { resourceType: 'Patient' } });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.deepEqual(res.json, invalidMethodStub(display), `${method} ${path}`);
    }
  });

  it('an application-restricted caller is told so; the refusal comes before the NHS number, the body or its media type are looked at', async () => {
    const app = await call(h, 'Patient/9000000009', { method: 'DELETE', bearer: h.appBearer });
    assert.deepEqual(app.json, invalidMethodStub('Cannot delete resource with application-restricted access token'));
    const badId = await call(h, 'Patient/123', { method: 'PUT', body: 'not json', headers: { 'content-type': 'text/plain' } });
    assert.equal(badId.status, 403);
    assert.deepEqual(badId.json, invalidMethodStub('Cannot update resource with user-restricted access token'));
  });

  it('without credentials it is 401 as on any PDS route; an unknown path is still 404', async () => {
    const anonymous = await call(h, 'Patient/9000000009', { method: 'DELETE', bearer: null });
    assert.equal(anonymous.status, 401);
    assert.equal(outcomeOf(anonymous.json).code, 'ACCESS_DENIED');
    const unknown = await call(h, 'Patient/9000000009/Observation', { method: 'DELETE' });
    assert.equal(unknown.status, 404);
    assert.equal(outcomeOf(unknown.json).code, 'RESOURCE_NOT_FOUND');
  });

  it('the methods PDS offers are untouched: a read still reads', async () => {
    const read = await call(h, 'Patient/9000000009');
    assert.equal(read.status, 200);
    assert.equal(read.json.id, '9000000009');
  });
});
