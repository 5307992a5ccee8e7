import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { securityHeaders } from '../../src/platform/http/security-headers.js';
import { call, errorIssue, grantPointerTypes, issueOf, nextNhsNumber, nrlApplication, pointerBody, MENTAL_HEALTH_CRISIS_PLAN } from './support.js';

/**
 * Refusals the NRL specs do not spell out, each as the whole NRL answer: a POST _search body the
 * spec does not declare (a FHIR form), `_count` (no parameter of NRL's), the platform's own 401,
 * 429 and Content-Encoding refusals in NRL's shape.
 */
describe('NRL: search bodies, _count and the platform\'s refusals in NRL\'s shape', () => {
  let spine: TestSpine;
  let consumer: Record<string, string>;
  let producer: Record<string, string>;
  const nhsNumber = nextNhsNumber();
  const subject = `https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`;

  before(async () => {
    spine = await startTestSpine();
    ({ identity: consumer } = await nrlApplication(spine, 'REF01', ['record-locator:consume']));
    ({ identity: producer } = await nrlApplication(spine, 'REF01', ['record-locator:produce']));
    for (let i = 0; i < 2; i++) {
      const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: pointerBody('REF01', nhsNumber) });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
  });
  after(async () => { await spine?.close(); });

  it('a POST _search body sent as a FHIR form (application/x-www-form-urlencoded) is not the JSON the spec declares: 400 MESSAGE_NOT_WELL_FORMED on both APIs; the same parameters as JSON search', async () => {
    for (const [side, identity] of [['consumer', consumer], ['producer', producer]] as const) {
      const path = `/${side}/FHIR/R4/DocumentReference/_search`;
      const form = await call(spine, 'POST', path, identity,
        { rawBody: new URLSearchParams({ 'subject:identifier': subject }).toString(), contentType: 'application/x-www-form-urlencoded' });
      assert.equal(form.status, 400, `${side}: ${JSON.stringify(form.body)}`);
      assert.deepEqual(issueOf(form.body), errorIssue('MESSAGE_NOT_WELL_FORMED', 'Message not well formed', 'invalid',
        'Request body could not be parsed: the body is not valid JSON (Content-Type application/x-www-form-urlencoded)'));
      const json = await call(spine, 'POST', path, identity, { body: { 'subject:identifier': subject }, contentType: 'application/json' });
      assert.equal(json.status, 200, `${side}: ${JSON.stringify(json.body)}`);
      assert.equal(json.body.total, 2);
    }
  });

  it('_count is no search parameter of NRL\'s: the consumer refuses it (400 INVALID_PARAMETER), the producer ignores it (a page of up to 20)', async () => {
    const refused = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(subject)}&_count=1`, consumer);
    assert.equal(refused.status, 400);
    assert.deepEqual(issueOf(refused.body), errorIssue('INVALID_PARAMETER', 'Invalid parameter', 'invalid',
      'Invalid query parameter (_count: extra fields not permitted)', '_count'));
    const ignored = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(subject)}&_count=1`, producer);
    assert.equal(ignored.status, 200);
    assert.equal(ignored.body.entry.length, 2);
    // The self link names what was searched, not what was ignored.
    assert.deepEqual(ignored.body.link, [{ relation: 'self', url: `${spine.url}/record-locator/producer/FHIR/R4/DocumentReference?subject:identifier=${subject}` }]);
  });

  it('GET DocumentReference/_count counts whatever else is sent; without a subject 400 INVALID_PARAMETER, with a bad NHS number 400 INVALID_IDENTIFIER_VALUE', async () => {
    const counted = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference/_count?subject:identifier=${encodeURIComponent(subject)}&type=x&_count=0`, consumer);
    assert.equal(counted.status, 200);
    assert.deepEqual(counted.body, { resourceType: 'Bundle', type: 'searchset', total: 2 });
    const none = await call(spine, 'GET', '/consumer/FHIR/R4/DocumentReference/_count', consumer);
    assert.equal(none.status, 400);
    assert.deepEqual(issueOf(none.body), errorIssue('INVALID_PARAMETER', 'Invalid parameter', 'invalid',
      'Invalid query parameter (subject:identifier: field required)', 'subject:identifier'));
    const bad = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference/_count?subject:identifier=${encodeURIComponent('https://fhir.nhs.uk/Id/nhs-number|1234567890')}`, consumer);
    assert.equal(bad.status, 400);
    assert.deepEqual(issueOf(bad.body), errorIssue('INVALID_IDENTIFIER_VALUE', 'Invalid identifier value', 'invalid',
      'Invalid NHS number provided in the query parameters', 'subject:identifier'));
  });

  it('no access token, or one that is not valid: 401 ACCESS DENIED in NRL\'s coding', async () => {
    const query = `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(subject)}`;
    const refusals: Array<[Record<string, string>, string]> = [
      [{}, 'Missing Authorization header: send "Authorization: Bearer <access token>" from POST /oauth2/token'],
      [{ authorization: 'Bearer not-a-token' }, 'Invalid or expired access token: request a new one from POST /oauth2/token'],
    ];
    for (const [identity, diagnostics] of refusals) {
      const refused = await call(spine, 'GET', query, identity);
      assert.equal(refused.status, 401, JSON.stringify(refused.body));
      assert.deepEqual(issueOf(refused.body), errorIssue('ACCESS DENIED', 'Access has been denied to process this request', 'forbidden', diagnostics));
    }
  });

  it('over the application\'s rate: 429 ACCESS DENIED (throttled) with Retry-After, in NRL\'s shape', async () => {
    const limited = await createAppAndToken(spine, { activities: ['record-locator:consume'], odsCode: 'REF02', rateLimit: 2 });
    await grantPointerTypes(spine, limited.principal.appId, 'REF02', [MENTAL_HEALTH_CRISIS_PLAN]);
    const identity = { authorization: `Bearer ${limited.token}`, 'nhsd-end-user-organisation-ods': 'REF02' };
    const answers = await Promise.all(Array.from({ length: 8 }, () =>
      call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(subject)}`, identity)));
    const throttled = answers.find((answer) => answer.status === 429);
    assert.ok(throttled, answers.map((answer) => answer.status).join());
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    assert.deepEqual(issueOf(throttled.body), errorIssue('ACCESS DENIED', 'Access has been denied to process this request', 'throttled',
      'Application Test application is limited to 2 requests per second; retry after 1 s'));
  });

  it('a body with a Content-Encoding it does not read: 415 BAD_REQUEST (not-supported) naming it, nothing stored', async () => {
    const stored = async () => (await spine.ctx.db.query('SELECT count(*)::int AS n FROM record_locator.pointers')).rows[0].n as number;
    const before = await stored();
    const refused = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer,
      { body: pointerBody('REF01', nextNhsNumber()), headers: { 'content-encoding': 'gzip' } });
    assert.equal(refused.status, 415, JSON.stringify(refused.body));
    assert.deepEqual(issueOf(refused.body), errorIssue('BAD_REQUEST', 'Bad request', 'not-supported',
      "Unsupported Content-Encoding 'gzip': a body is read as sent"));
    assert.equal(await stored(), before);
  });

  it('X-Request-ID, X-Correlation-ID and the security headers come back on every answer, a path the router refuses before any route (an id past 512 characters, not UTF-8) included', async () => {
    const headers = { 'x-request-id': crypto.randomUUID(), 'x-correlation-id': 'corr-7' };
    for (const id of ['REF01-1', `REF01-${'a'.repeat(600)}`, 'REF01-%FF']) {
      const response = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference/${id}`, consumer, { headers });
      assert.ok([400, 404].includes(response.status), `${id}: ${response.status}`);
      assert.equal(response.headers.get('x-request-id'), headers['x-request-id'], id);
      assert.equal(response.headers.get('x-correlation-id'), headers['x-correlation-id'], id);
      for (const [name, value] of Object.entries(securityHeaders())) assert.equal(response.headers.get(name), value, `${name} on ${id}`);
    }
  });
});
