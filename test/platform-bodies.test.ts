import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from './support/spine.js';

/** The platform's answers to bodies it cannot take, on a real JSON route (identity admin, sandbox caller). */
describe('bodies the platform refuses', () => {
  let spine: TestSpine;
  const url = () => `${spine.url}/admin/identity/applications`;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine.close(); });

  async function outcome(res: Response) {
    assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+json/);
    const body = await res.json();
    assert.equal(body.resourceType, 'OperationOutcome');
    return { code: body.issue[0].details.coding[0].code as string, diagnostics: body.issue[0].diagnostics as string };
  }

  it('malformed JSON is 400 MESSAGE_NOT_WELL_FORMED saying why', async () => {
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: '{"name": "x",' });
    assert.equal(res.status, 400);
    const { code, diagnostics } = await outcome(res);
    assert.equal(code, 'MESSAGE_NOT_WELL_FORMED');
    assert.equal(diagnostics, 'Request body could not be parsed: the body is not valid JSON (Content-Type application/fhir+json)');
  });

  it('JSON with a __proto__ key is refused as such (prototype poisoning), not called invalid JSON', async () => {
    for (const body of ['{"__proto__": {"admin": true}, "name": "x"}', '{"a": {"constructor": {"prototype": {"admin": true}}}}']) {
      const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(res.status, 400);
      assert.deepEqual(await outcome(res), {
        code: 'MESSAGE_NOT_WELL_FORMED', diagnostics: "Request body could not be parsed: the body holds a '__proto__' or 'constructor.prototype' key, which is refused",
      });
    }
  });

  it('a DELETE route that reads no body is not refused for the Content-Type or body a client sends with it', async () => {
    for (const type of ['application/json', 'application/fhir+json']) {
      const res = await fetch(`${spine.url}/admin/reset`, { method: 'DELETE', headers: { 'content-type': type } });
      assert.equal(res.status, 200, `${type}: ${await res.clone().text()}`);
    }
    const withBody = await fetch(`${spine.url}/admin/reset`, { method: 'DELETE', headers: { 'content-type': 'text/plain' }, body: 'ignored' });
    assert.equal(withBody.status, 200, await withBody.clone().text());
    const empty = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' } });
    assert.equal(empty.status, 400, 'a POST declaring JSON must still send some');
  });

  it('a content type the route does not take is 415 naming it', async () => {
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<app/>' });
    assert.equal(res.status, 415);
    assert.deepEqual(await outcome(res), { code: 'UNSUPPORTED_MEDIA_TYPE', diagnostics: "Unsupported Content-Type 'application/xml'" });
  });

  it('a body over the 5 MB limit is 413 and nothing is written', async () => {
    const before = await spine.ctx.db.query('SELECT count(*)::int AS n FROM identity.applications');
    const huge = JSON.stringify({ name: 'x'.repeat(6 * 1024 * 1024), odsCode: 'A83008' });
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: huge });
    assert.equal(res.status, 413);
    assert.equal((await outcome(res)).code, 'MESSAGE_TOO_LARGE');
    const afterCount = await spine.ctx.db.query('SELECT count(*)::int AS n FROM identity.applications');
    assert.equal(afterCount.rows[0].n, before.rows[0].n);
  });

  it('an empty body declared as JSON is 400', async () => {
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
    assert.equal(res.status, 400);
    assert.equal((await outcome(res)).code, 'MESSAGE_NOT_WELL_FORMED');
  });
});

describe('NUL characters, which PostgreSQL text cannot hold', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine.close(); });

  // A %00 in a query is the API's refusal of that parameter (platform-query-encoding.test.ts).
  it('a %00 in a path parameter is that parameter\'s refusal in the API\'s own shape', async () => {
    const refusals: Array<[string, (body: string) => void]> = [
      ['/personal-demographics/FHIR/R4/Patient/90000%0000009', (body) => assert.equal(JSON.parse(body).issue[0].details.coding[0].code, 'INVALID_RESOURCE_ID')],
      ['/audit/FHIR/R4/AuditEvent/a%00b', (body) => assert.equal(JSON.parse(body).issue[0].diagnostics, "Invalid value - 'a%00b' in field 'id'")],
      // MESH answers a v1 client's 400 with the spec's HTTPValidationError ({detail: [{loc, msg, type}]}).
      ['/messageexchange/X26ABC1/inbox/%00', (body) => assert.deepEqual(JSON.parse(body).detail[0].loc, ['path', 'message_id'])],
      ['/record-locator/consumer/FHIR/R4/DocumentReference/X26-%00', (body) => {
        const issue = JSON.parse(body).issue[0];
        assert.equal(issue.details.coding[0].code, 'INVALID_PARAMETER');
        assert.match(issue.diagnostics, /path/);
      }],
    ];
    for (const [path, check] of refusals) {
      const res = await fetch(`${spine.url}${path}`);
      assert.equal(res.status, 400, path);
      const body = await res.text();
      assert.ok(!body.includes('\\u0000'), `${path}: the NUL is not echoed decoded: ${body}`);
      check(body);
    }
  });

  it('a %00 in a path no route has gets the API\'s own not-found answer, as the same path with a plain segment does, and nothing holding a NUL is stored', async () => {
    // Every not-found handler reads the path as sent (request.url), never decoded; none is audited.
    const paths = [
      '/personal-demographics/FHIR/R4/NoSuch/{}', '/messageexchange/X26ABC1/nosuch/{}', '/record-locator/consumer/FHIR/R4/NoSuch/{}',
      '/record-locator/producer/FHIR/R4/NoSuch/{}', '/record-locator/{}', '/fhir-prescribing/FHIR/R4/NoSuch/{}', '/fhir-dispensing/FHIR/R4/{}',
      '/spine-directory/FHIR/R4/Endpoint/{}', '/spine-directory/{}', '/audit/FHIR/R4/NoSuch/{}', '/consent/STU3/NoSuch/{}', '/nems/STU3/{}',
      '/multicast-notification-service/nosuch/{}', '/export/FHIR/R4/NoSuch/{}', '/oauth2/{}', '/admin/identity/nosuch/{}', '/console/nosuch/{}', '/{}',
    ];
    const auditBefore = await spine.ctx.db.query('SELECT count(*)::int AS n FROM audit.events');
    for (const path of paths) {
      const plain = await fetch(`${spine.url}${path.replace('{}', 'plain')}`);
      const withNul = await fetch(`${spine.url}${path.replace('{}', 'a%00b')}`);
      const [plainBody, nulBody] = [await plain.text(), await withNul.text()];
      assert.ok(plain.status >= 400 && plain.status < 500, `${path}: ${plain.status} ${plainBody}`);
      assert.equal(withNul.status, plain.status, `${path}: ${nulBody}`);
      assert.equal(withNul.headers.get('content-type'), plain.headers.get('content-type'), path);
      assert.ok(!nulBody.includes('NUL character'), `${path}: the API's own answer, not the platform's refusal: ${nulBody}`);
      assert.ok(!nulBody.includes('\\u0000') && !nulBody.includes('\u0000'), `${path}: the NUL is not echoed decoded: ${nulBody}`);
      // The same answer but for what echoes the path (and per-answer ids, times and the console's nonces).
      const masked = (body: string) => body.replaceAll(/a%00b|plain/g, '{}')
        .replaceAll(/"[0-9a-f-]{36}"|"\d{4}-\d\d-\d\dT[^"]*"|"internal_id":"[^"]*"|nonce="[^"]*"/gi, '"*"');
      assert.equal(masked(nulBody), masked(plainBody), path);
    }
    const auditAfter = await spine.ctx.db.query('SELECT count(*)::int AS n FROM audit.events');
    assert.equal(auditAfter.rows[0].n, auditBefore.rows[0].n, 'no not-found answer is audited');
  });

  it('a \\u0000 in a JSON body is 400 MESSAGE_NOT_WELL_FORMED and nothing is written', async () => {
    const res = await fetch(`${spine.url}/admin/identity/applications`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"a\\u0000b","odsCode":"A83008"}',
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.issue[0].details.coding[0].code, 'MESSAGE_NOT_WELL_FORMED');
    assert.match(body.issue[0].diagnostics, /NUL character/);
  });

  it('a lone surrogate in any JSON string is 400 INVALID_VALUE naming the field, and nothing is written', async () => {
    const before = await spine.ctx.db.query('SELECT count(*)::int AS n FROM identity.applications');
    for (const [body, field] of [['{"name":"a\\ud800b","odsCode":"A83008"}', 'name'], ['{"name":"x","odsCode":"A83008","extra":{"list":["ok","\\udfff"]}}', 'extra/list/1'],
      ['{"name":"x","odsCode":"A83008","k\\udbff":1}', 'k\ufffd']] as const) {
      const res = await fetch(`${spine.url}/admin/identity/applications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(res.status, 400, body);
      const outcome = await res.json();
      assert.equal(outcome.issue[0].details.coding[0].code, 'INVALID_VALUE', body);
      assert.match(outcome.issue[0].diagnostics, new RegExp(`in field '${field}'$`), body);
    }
    const afterCount = await spine.ctx.db.query('SELECT count(*)::int AS n FROM identity.applications');
    assert.equal(afterCount.rows[0].n, before.rows[0].n);
  });
});
