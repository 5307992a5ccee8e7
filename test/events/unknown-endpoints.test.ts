import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { api } from './support.js';

/**
 * Found by probing: a path or method NEMS or MNS does not have (NEMS's old search by contact, a PUT
 * of a NEMS Subscription, which NEMS has no update for) answered in the platform's R4
 * OperationOutcome, not in the API's own error shape as every other refusal does.
 */
describe('NEMS and MNS answer an endpoint they do not have in their own error shapes', () => {
  let spine: TestSpine;
  let token: string;
  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true } });
    token = (await createAppAndToken(spine, { odsCode: 'A83008' })).token;
  });
  after(() => spine.close());

  it('NEMS: a Spine-OperationOutcome-1 with NO_RECORD_FOUND, in XML unless JSON is asked for', async () => {
    const id = randomUUID();
    for (const [method, path] of [['GET', '/nems/STU3/Subscription?contact=A83008'], ['PUT', `/nems/STU3/Subscription/${id}`], ['GET', '/nems/STU3/Nothing']] as const) {
      const res = await api(spine, token, method, path, method === 'PUT' ? '<Subscription xmlns="http://hl7.org/fhir"/>' : undefined,
        method === 'PUT' ? { 'content-type': 'application/fhir+xml' } : {});
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
      assert.equal(res.headers.get('content-type'), 'application/fhir+xml;charset=utf-8', `${method} ${path}`);
      assert.match(res.text, /<profile value="https:\/\/fhir\.nhs\.uk\/STU3\/StructureDefinition\/Spine-OperationOutcome-1"\/>/);
      assert.match(res.text, /<system value="https:\/\/fhir\.nhs\.uk\/STU3\/CodeSystem\/Spine-ErrorOrWarningCode-1"\/>/);
      assert.match(res.text, /<code value="NO_RECORD_FOUND"\/>/);
      assert.match(res.text, new RegExp(`<diagnostics value="No such endpoint: ${method} ${path.split('?')[0]!.replace(/[/.]/g, '\\$&')}"/>`));
    }
    const json = await api(spine, token, 'GET', '/nems/STU3/Subscription?contact=A83008', undefined, { accept: 'application/fhir+json' });
    assert.equal(json.status, 404);
    assert.equal(json.json.meta.profile[0], 'https://fhir.nhs.uk/STU3/StructureDefinition/Spine-OperationOutcome-1');
    assert.equal(json.json.issue[0].details.coding[0].code, 'NO_RECORD_FOUND');
  });

  it('MNS: {errors} with the endpoint named', async () => {
    const id = randomUUID();
    for (const [method, path] of [['PATCH', `/multicast-notification-service/subscriptions/${id}`], ['GET', '/multicast-notification-service/nothing']] as const) {
      const res = await api(spine, token, method, path, method === 'PATCH' ? '{}' : undefined, method === 'PATCH' ? { 'content-type': 'application/json' } : {});
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(res.json, { errors: `No such endpoint: ${method} ${path}` });
    }
  });
});
