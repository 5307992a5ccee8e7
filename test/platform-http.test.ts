import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from './support/spine.js';

describe('platform HTTP kernel', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('answers /_ping and /_status with a database check', async () => {
    const ping = await fetch(`${spine.url}/_ping`);
    assert.equal(ping.status, 200);
    const status = await fetch(`${spine.url}/_status`);
    assert.equal(status.status, 200);
    const body = await status.json();
    assert.equal(body.status, 'pass');
    assert.equal(body.checks.database.status, 'pass');
    assert.equal(body.sandbox, false);
  });

  it('an unknown route is a 404 OperationOutcome naming the route, with the request ids echoed', async () => {
    const res = await fetch(`${spine.url}/nothing/here?x=1`, {
      headers: { 'X-Request-ID': '60e0b220-8136-4ac5-9b4b-3d0f8b4c5d6e', 'X-Correlation-ID': 'corr-1' },
    });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-request-id'), '60e0b220-8136-4ac5-9b4b-3d0f8b4c5d6e');
    assert.equal(res.headers.get('x-correlation-id'), 'corr-1');
    assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+json/);
    const body = await res.json();
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.equal(body.issue[0].details.coding[0].code, 'RESOURCE_NOT_FOUND');
    assert.equal(body.issue[0].diagnostics, 'No such endpoint: GET /nothing/here');
  });

  it('every answer carries the security headers helmet defines: success, not found, unauthenticated, refused body', async () => {
    const answers = await Promise.all([
      fetch(`${spine.url}/_ping`),
      fetch(`${spine.url}/nothing/here`),
      fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, { headers: { 'X-Request-ID': '60e0b220-8136-4ac5-9b4b-3d0f8b4c5d6e' } }),
      fetch(`${spine.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"broken' }),
    ]);
    // The token endpoint takes form bodies only (RFC 6749 §3.2): a JSON one is refused as 415.
    assert.deepEqual(answers.map((r) => r.status), [200, 404, 401, 415]);
    for (const res of answers) {
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', res.url);
      assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN', res.url);
      assert.equal(res.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains', res.url);
      assert.equal(res.headers.get('cross-origin-resource-policy'), 'same-origin', res.url);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', res.url);
      // The APIs answer JSON: no page policy (the console sets its own, with a nonce).
      assert.equal(res.headers.get('content-security-policy'), null, res.url);
    }
  });

  it('exposes Prometheus metrics with per-route request counts', async () => {
    await fetch(`${spine.url}/_ping`);
    const res = await fetch(`${spine.url}/metrics`);
    const text = await res.text();
    assert.match(text, /openspine_http_requests_total\{method="GET",route="\/_ping",status="200"\} \d+/);
    assert.match(text, /openspine_db_pool_clients\{state="total"\}/);
    assert.match(text, /nodejs_eventloop_lag_seconds/);
  });
});
