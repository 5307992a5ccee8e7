import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine } from './support/spine.js';
import { uncompiledDoorCount } from '../src/platform/http/validation.js';

/**
 * A server compiles every route's schemas before it listens (`openspine serve`), so its first
 * requests pay nothing and a schema that cannot compile stops the start. A test Spine compiles a
 * route's at the route's first request: a test file calls the routes of one or two services, and
 * every service's schemas were seconds of each file's CPU. The door checks alike either way.
 */
describe('the door\'s schemas: compiled before a server listens, or at a route\'s first request', () => {
  it('a test Spine compiles a route\'s schemas at its first request, and the door refuses as ever', async () => {
    const spine = await startTestSpine({ flags: { sandbox: true } });
    try {
      const before = uncompiledDoorCount();
      assert.ok(before > 50, `${before} routes wait for their first request`);
      const response = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, { headers: { 'x-request-id': 'not-a-uuid' } });
      const body = await response.json() as { issue: Array<{ details: { coding: Array<{ code: string }> }; diagnostics: string }> };
      assert.equal(response.status, 400);
      assert.equal(body.issue[0]!.details.coding[0]!.code, 'INVALID_VALUE');
      assert.match(body.issue[0]!.diagnostics, /X-Request-ID/);
      assert.ok(uncompiledDoorCount() < before, 'the route\'s door compiled its schemas');
    } finally {
      await spine.close();
    }
  });

  it('a server compiles every route\'s schemas before it listens, as `serve` does', async () => {
    const spine = await startTestSpine({ compileSchemasOnDemand: false });
    try {
      assert.equal(uncompiledDoorCount(), 0);
    } finally {
      await spine.close();
    }
  });
});
