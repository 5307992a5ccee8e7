import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { assertSpecSchema, call, errorIssue, issueOf, nextNhsNumber, pointerBody, MENTAL_HEALTH_CRISIS_PLAN, NEWS2 } from './support.js';
import { MAX_JSON_DEPTH } from '../../src/platform/http/body-parsers.js';
import { MAX_POINTER_BYTES } from '../../src/services/record-locator/limits.js';

/**
 * Gateway mode (on in sandbox mode): the caller comes from the headers NHS England's API gateway
 * injects, pointer types from the service's own permission store. And the sandbox testing API.
 */
const gatewayHeaders = (appId: string, odsCode: string, extra: Record<string, unknown> = {}) => ({
  'nhsd-connection-metadata': JSON.stringify({ 'nrl.app-id': appId, 'nrl.ods-code': odsCode, ...extra }),
  'nhsd-client-rp-details': JSON.stringify({ 'developer.app.name': `App ${appId}`, 'developer.app.id': `dev-${appId}` }),
});
const testPointer = (file: string) => JSON.parse(readFileSync(
  fileURLToPath(new URL(`../../spec/nhs/nrl/test_data/DocumentReference/${file}`, import.meta.url)), 'utf8'));
const subjectQuery = (nhsNumber: string) => `subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`)}`;

describe('NRL in sandbox mode: gateway callers and the sandbox testing API', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine?.close(); });

  const sandboxApi = (method: string, path: string, body?: unknown) => fetch(`${spine.url}/_admin/record-locator${path}`, {
    method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });

  it('the sandbox caller finds the spec\'s test pointers (dataset nrl, seeded on first start) by NHSD-End-User-Organisation-ODS alone', async () => {
    const response = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${subjectQuery('6700028191')}`, { 'nhsd-end-user-organisation-ods': 'Y05868' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertSpecSchema('consumer', 'Bundle', response.body);
    assert.equal(response.body.total, 6);
    const byId = new Map(response.body.entry.map((e: { resource: { id: string } }) => [e.resource.id, e.resource]));
    assert.deepEqual(byId.get('Y05868-99999-99999-999999'), testPointer('Y05868-736253002-Valid.json'));
    assert.deepEqual(byId.get('RQI-99999-99999-999999'), testPointer('RQI-736253002-Valid.json'));
    assert.deepEqual(byId.get('Y05868-736253002-Valid-with-date'), { ...testPointer('Y05868-736253002-Valid-with-date.json'), id: 'Y05868-736253002-Valid-with-date' });
  });

  it('takes the caller from NHSD-Connection-Metadata and ignores any Authorization value', async () => {
    const granted = await sandboxApi('PUT', '/permissions/gw-app/GW1', [NEWS2]);
    assert.equal(granted.status, 200);
    const nhsNumber = nextNhsNumber();
    const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference',
      { ...gatewayHeaders('gw-app', 'GW1'), authorization: 'Bearer not-a-token' }, { body: pointerBody('GW1', nhsNumber, NEWS2) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.headers.get('location')!, /^\/producer\/FHIR\/R4\/DocumentReference\/GW1-/);
    await spine.ctx.audit.chainPending();
    const audited = await spine.ctx.db.query(`SELECT app_id, app_name, ods_code FROM audit.events WHERE action = 'pointer.create' AND $1 = ANY(nhs_numbers)`, [nhsNumber]);
    assert.deepEqual(audited.rows, [{ app_id: 'gw-app', app_name: 'App gw-app', ods_code: 'GW1' }]);
  });

  it('never trusts nrl.pointer-types: without a stored permission the caller is refused, with one it sees only those types', async () => {
    const claimsAll = gatewayHeaders('greedy', 'GR1', { 'nrl.pointer-types': [MENTAL_HEALTH_CRISIS_PLAN, NEWS2] });
    const refused = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${subjectQuery('6700028191')}`, claimsAll);
    assert.equal(refused.status, 403);
    assert.deepEqual(issueOf(refused.body), errorIssue('ACCESS DENIED', 'Access has been denied to process this request', 'forbidden',
      "Your organisation 'GR1' does not have permission to access this resource. Contact the onboarding team."));
    assert.equal((await sandboxApi('PUT', '/permissions/greedy/GR1', [NEWS2])).status, 200);
    const onlyNews2 = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${subjectQuery('6700028191')}`, claimsAll);
    assert.equal(onlyNews2.status, 200);
    assert.equal(onlyNews2.body.total, 0, 'the test pointers are mental health crisis plans');
  });

  it('keys permissions and pointer ids by ODS code and extension (nrl.ods-code-extension)', async () => {
    assert.equal((await sandboxApi('PUT', '/permissions/ext-app/EXT1.SUB1', [MENTAL_HEALTH_CRISIS_PLAN])).status, 200);
    const headers = gatewayHeaders('ext-app', 'EXT1', { 'nrl.ods-code-extension': 'SUB1' });
    const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', headers, { body: pointerBody('EXT1.SUB1', nextNhsNumber()) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.headers.get('location')!.split('/').pop()!;
    assert.match(id, /^EXT1\.SUB1-[0-9a-f-]{36}$/);
    assert.equal((await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, headers)).status, 200);
    const withoutExtension = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, gatewayHeaders('ext-app', 'EXT1'));
    assert.equal(withoutExtension.status, 403, 'EXT1 alone has no permissions');
  });

  it('an ODS code or extension in lower case (nrl.ods-code, nrl.ods-code-extension, a permission set so) is the upper-case organisation: its permissions, custodian and pointer ids', async () => {
    assert.equal((await sandboxApi('PUT', '/permissions/case-app/CASE1', [NEWS2])).status, 200);
    const nhsNumber = nextNhsNumber();
    const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', gatewayHeaders('case-app', 'case1'), { body: pointerBody('CASE1', nhsNumber, NEWS2) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.headers.get('location')!.split('/').pop()!;
    assert.match(id, /^CASE1-[0-9a-f-]{36}$/);
    for (const ods of ['CASE1', 'case1', 'Case1']) {
      const read = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, gatewayHeaders('case-app', ods));
      assert.equal(read.status, 200, `${ods}: ${JSON.stringify(read.body)}`);
    }
    // A permission set for a lower-case organisation is the upper-case one's.
    const granted = await sandboxApi('PUT', '/permissions/case-app/case2.sub2', [NEWS2]);
    assert.equal(granted.status, 200);
    assert.equal(((await granted.json()) as { organisation: string }).organisation, 'CASE2.SUB2');
    const extended = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', gatewayHeaders('case-app', 'CASE2', { 'nrl.ods-code-extension': 'sub2' }),
      { body: pointerBody('CASE2.SUB2', nextNhsNumber(), NEWS2) });
    assert.equal(extended.status, 201, JSON.stringify(extended.body));
    assert.match(extended.headers.get('location')!, /\/CASE2\.SUB2-[0-9a-f-]{36}$/);
    await spine.ctx.audit.chainPending();
    const audited = await spine.ctx.db.query(`SELECT ods_code FROM audit.events WHERE action = 'pointer.create' AND $1 = ANY(nhs_numbers)`, [nhsNumber]);
    assert.deepEqual(audited.rows, [{ ods_code: 'CASE1' }]);
    assert.equal((await sandboxApi('DELETE', '/permissions/case-app/case2.SUB2')).status, 204);
  });

  it('answers 401 MISSING_OR_INVALID_HEADER for metadata that is not JSON, lacks a field, or comes without client details', async () => {
    const bad: Array<Record<string, string>> = [
      { 'nhsd-connection-metadata': '{not json', 'nhsd-client-rp-details': gatewayHeaders('a', 'B1')['nhsd-client-rp-details'] },
      { ...gatewayHeaders('a', 'B1'), 'nhsd-connection-metadata': JSON.stringify({ 'nrl.ods-code': 'B1' }) },
      { 'nhsd-connection-metadata': gatewayHeaders('a', 'B1')['nhsd-connection-metadata'] },
      { ...gatewayHeaders('a', 'B1'), 'nhsd-connection-metadata': JSON.stringify({ 'nrl.app-id': 'a', 'nrl.ods-code': 'B1', 'nrl.pointer-types': 'all' }) },
      // Text PostgreSQL cannot hold (a NUL, escaped in the JSON) is no application id or name: refused, not a 500 from the permission store.
      gatewayHeaders('sandbox\u0000', 'Y05868'),
      { ...gatewayHeaders('sandbox', 'Y05868'), 'nhsd-client-rp-details': JSON.stringify({ 'developer.app.name': 'App\u0000', 'developer.app.id': 'dev-1' }) },
      // The sandbox caller names its organisation by header: an extension that is no ODS code is refused
      // (as with a token), not dropped so the call acts for the organisation without it.
      { 'nhsd-end-user-organisation-ods': 'Y05868', 'nhsd-end-user-organisation': 'not an extension!' },
    ];
    for (const headers of bad) {
      const response = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${subjectQuery('6700028191')}`, headers);
      assert.equal(response.status, 401, JSON.stringify(headers));
      assertSpecSchema('consumer', 'OperationOutcome', response.body);
      assert.deepEqual(issueOf(response.body), errorIssue('MISSING_OR_INVALID_HEADER', 'There is a required header missing or invalid', 'invalid',
        'Unable to parse metadata about the requesting application. Contact the onboarding team.'));
    }
  });

  it('the sandbox API stores a pointer exactly as given (even one the API would refuse), returns it, deletes it, empties the store', async () => {
    const odd = { resourceType: 'DocumentReference', status: 'odd', subject: { identifier: { value: '6700028191' } },
      type: { coding: [{ system: 'http://snomed.info/sct', code: '736253002' }] }, custodian: { identifier: { value: 'Y05868' } }, note: 'no such field' };
    assert.equal((await sandboxApi('PUT', '/DocumentReference/Y05868-odd', odd)).status, 200);
    const stored = await sandboxApi('GET', '/DocumentReference/Y05868-odd');
    assert.equal(stored.status, 200);
    assert.deepEqual(await stored.json(), odd);
    const seen = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference/Y05868-odd`, { 'nhsd-end-user-organisation-ods': 'Y05868' },
      { offSpec: 'the sandbox API stores and serves a pointer the API would refuse' });
    assert.equal(seen.status, 200);
    assert.deepEqual(seen.body, odd);
    assert.equal((await sandboxApi('DELETE', '/DocumentReference/Y05868-odd')).status, 204);
    assert.equal((await sandboxApi('GET', '/DocumentReference/Y05868-odd')).status, 404);
    assert.equal((await sandboxApi('DELETE', '/DocumentReference/Y05868-odd')).status, 404);
    const emptied = await sandboxApi('DELETE', '/DocumentReference');
    assert.equal(emptied.status, 200);
    assert.ok((await emptied.json()).deleted >= 6);
    const none = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${subjectQuery('6700028191')}`, { 'nhsd-end-user-organisation-ods': 'Y05868' });
    assert.equal(none.body.total, 0);
    assert.deepEqual(none.body.entry, []);
  });

  it('the sandbox API replaces a pointer in one transaction: a replacement that fails keeps the pointer it was to replace', async () => {
    const pointer = (status: string) => ({ resourceType: 'DocumentReference', status, subject: { identifier: { value: '6700028191' } }, custodian: { identifier: { value: 'Y05868' } } });
    assert.equal((await sandboxApi('PUT', '/DocumentReference/Y05868-replaced', pointer('first'))).status, 200);
    // The new one's insert fails as a lock not granted in time would fail it.
    await spine.ctx.db.query(`CREATE FUNCTION public.refuse_pointer() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault' USING ERRCODE = '55P03'; END $$`);
    await spine.ctx.db.query(`CREATE TRIGGER refuse_pointer BEFORE INSERT ON record_locator.pointers FOR EACH ROW WHEN (NEW.id = 'Y05868-replaced') EXECUTE FUNCTION public.refuse_pointer()`);
    try {
      assert.equal((await sandboxApi('PUT', '/DocumentReference/Y05868-replaced', pointer('second'))).status, 503);
    } finally {
      await spine.ctx.db.query('DROP TRIGGER refuse_pointer ON record_locator.pointers; DROP FUNCTION public.refuse_pointer()');
    }
    const kept = await sandboxApi('GET', '/DocumentReference/Y05868-replaced');
    assert.equal(kept.status, 200);
    assert.equal((await kept.json()).status, 'first');
    assert.equal((await sandboxApi('PUT', '/DocumentReference/Y05868-replaced', pointer('second'))).status, 200);
    assert.equal((await (await sandboxApi('GET', '/DocumentReference/Y05868-replaced')).json()).status, 'second');
    assert.equal((await sandboxApi('DELETE', '/DocumentReference/Y05868-replaced')).status, 204);
  });

  it('the sandbox API refuses a pointer nested deeper than any DocumentReference (400, not a 500 from storing it) and stores nothing', async () => {
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const body = (depth: number) => `{"resourceType":"DocumentReference","subject":{"identifier":{"value":"6700028191"}},"note":${nested(depth)}}`;
    const put = (depth: number) => fetch(`${spine.url}/_admin/record-locator/DocumentReference/Y05868-deep`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: body(depth),
    });
    const refused = await put(100);
    assert.equal(refused.status, 400);
    assert.equal((await refused.json()).issue[0].diagnostics, 'Invalid value - the pointer nests deeper than 64 levels');
    // Past the platform's limit, its refusal comes first, naming where the body goes too deep.
    const tooDeep = await put(20_000);
    assert.equal(tooDeep.status, 400);
    assert.equal((await tooDeep.json()).issue[0].diagnostics, `Invalid value - '(nested more than ${MAX_JSON_DEPTH} deep)' in field 'note${'/0'.repeat(MAX_JSON_DEPTH - 1)}'`);
    assert.equal((await sandboxApi('GET', '/DocumentReference/Y05868-deep')).status, 404);
    // Not even an object, and nested thousands deep: refused by depth before the schema check quotes it.
    const deepArray = await fetch(`${spine.url}/_admin/record-locator/DocumentReference/Y05868-deep`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: nested(20_000),
    });
    assert.equal(deepArray.status, 400);
    assert.equal((await put(60)).status, 200);
    assert.equal((await sandboxApi('DELETE', '/DocumentReference/Y05868-deep')).status, 204);
  });

  it('the sandbox API stores a pointer of up to 64 KiB as given; one byte more is 413 and stores nothing', async () => {
    const ofSize = (bytes: number) => {
      const pointer = testPointer('Y05868-736253002-Valid.json');
      const text = JSON.stringify({ ...pointer, description: '' });
      return JSON.stringify({ ...pointer, description: 'd'.repeat(bytes - text.length) });
    };
    const put = (bytes: number) => fetch(`${spine.url}/_admin/record-locator/DocumentReference/Y05868-large`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: ofSize(bytes),
    });
    const over = await put(MAX_POINTER_BYTES + 1);
    assert.equal(over.status, 413);
    const outcome = await over.json();
    assert.deepEqual(outcome.issue.map((i: { details: { coding: Array<{ code: string }> }; diagnostics: string }) => [i.details.coding[0]!.code, i.diagnostics]),
      [['MESSAGE_TOO_LARGE', 'Request body is larger than this endpoint accepts']]);
    assert.equal((await sandboxApi('GET', '/DocumentReference/Y05868-large')).status, 404);
    const atLimit = await put(MAX_POINTER_BYTES);
    assert.equal(atLimit.status, 200, await atLimit.clone().text());
    assert.equal((await sandboxApi('DELETE', '/DocumentReference/Y05868-large')).status, 204);
  });

  it('the sandbox API refuses bad permissions naming the problem, and DELETE removes them (then 403)', async () => {
    const unknownType = await sandboxApi('PUT', '/permissions/gw-app/GW9', ['http://snomed.info/sct|410970009']);
    assert.equal(unknownType.status, 400);
    assert.equal((await unknownType.json()).issue[0].diagnostics, "Invalid value - 'http://snomed.info/sct|410970009' in field '0'");
    assert.equal((await sandboxApi('PUT', '/permissions/gw-app/not.an.ods.code', [NEWS2])).status, 400);
    assert.equal((await sandboxApi('PUT', '/permissions/gw-app/GW9', { types: [NEWS2] })).status, 400);
    const deep = await fetch(`${spine.url}/_admin/record-locator/permissions/gw-app/GW9`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: `[${'['.repeat(20_000)}${']'.repeat(20_000)}]`,
    });
    assert.equal(deep.status, 400, 'a body nested thousands deep');
    assert.equal((await sandboxApi('PUT', '/permissions/gw-app/GW9', [NEWS2])).status, 200);
    assert.equal((await sandboxApi('DELETE', '/permissions/gw-app/GW9')).status, 204);
    const refused = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${subjectQuery('6700028191')}`, gatewayHeaders('gw-app', 'GW9'));
    assert.equal(refused.status, 403);
  });
});

describe('NRL never answers a malformed request with a 5xx', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine?.close(); });

  /** A valid pointer with one value somewhere replaced by an arbitrary JSON value (or a key added). */
  const mutated = fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.nat(), fc.boolean(), fc.string({ maxLength: 12 })).map(([value, at, addKey, key]) => {
    const body = pointerBody('Y05868', '6700028191') as Record<string, any>;
    const containers: Array<Record<string, unknown> | unknown[]> = [];
    const walk = (node: unknown) => {
      if (node && typeof node === 'object') {
        containers.push(node as Record<string, unknown>);
        for (const child of Object.values(node)) walk(child);
      }
    };
    walk(body);
    const target = containers[at % containers.length]!;
    if (Array.isArray(target)) target[at % Math.max(1, target.length)] = value;
    else if (addKey) target[key || 'x'] = value;
    else {
      const keys = Object.keys(target);
      target[keys[at % keys.length]!] = value;
    }
    return body;
  });

  it('for pointer bodies with arbitrary values anywhere, on create, upsert, update and _search', async () => {
    const identity = { 'nhsd-end-user-organisation-ods': 'Y05868' };
    await fc.assert(fc.asyncProperty(mutated, fc.constantFrom('POST /DocumentReference', 'PUT /DocumentReference', 'PUT /DocumentReference/Y05868-x', 'POST /DocumentReference/_search'),
      async (body, route) => {
        const [method, path] = route.split(' ') as [string, string];
        const response = await call(spine, method, `/producer/FHIR/R4${path}`, identity, { body: route.endsWith('_search') ? { 'subject:identifier': body } : body });
        assert.ok(response.status < 500, `${route} → ${response.status}: ${JSON.stringify(response.body).slice(0, 300)}`);
        if (response.status >= 400) assertSpecSchema('producer', 'OperationOutcome', response.body);
      }), { numRuns: 150 });
  });

  it('for JSON bodies nested to any depth, on every route that takes a body (the sandbox API\'s included)', { timeout: 120_000 }, async () => {
    const routes = [
      ['POST', '/record-locator/producer/FHIR/R4/DocumentReference'],
      ['PUT', '/record-locator/producer/FHIR/R4/DocumentReference'],
      ['PUT', '/record-locator/producer/FHIR/R4/DocumentReference/Y05868-nested'],
      ['POST', '/record-locator/producer/FHIR/R4/DocumentReference/_search'],
      ['POST', '/record-locator/consumer/FHIR/R4/DocumentReference/_search'],
      ['PUT', '/_admin/record-locator/DocumentReference/Y05868-nested'],
      ['PUT', '/_admin/record-locator/permissions/nested-app/Y05868'],
    ] as const;
    await fc.assert(fc.asyncProperty(fc.constantFrom(...routes), fc.integer({ min: 1, max: 30_000 }), fc.constantFrom('root', 'field'), async ([method, path], depth, where) => {
      const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const body = where === 'root' ? nested : `{"resourceType":"DocumentReference","subject:identifier":${nested}}`;
      const response = await fetch(`${spine.url}${path}`, {
        method, body, headers: { 'content-type': 'application/json', 'x-request-id': randomUUID(), 'nhsd-end-user-organisation-ods': 'Y05868' },
      });
      const text = await response.text();
      assert.ok(response.status < 500, `${method} ${path} nested ${depth} (${where}) → ${response.status}: ${text.slice(0, 300)}`);
    }), { numRuns: 60 });
    await fetch(`${spine.url}/_admin/record-locator/DocumentReference/Y05868-nested`, { method: 'DELETE' });
  });
});

describe('NRL behind a trusted gateway (--trust-gateway, not sandbox)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { trustGateway: true } }); });
  after(async () => { await spine?.close(); });

  it('needs the gateway\'s headers (no sandbox caller) and has no sandbox API', async () => {
    const anonymous = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${subjectQuery('6700028191')}`, { 'nhsd-end-user-organisation-ods': 'Y05868' });
    assert.equal(anonymous.status, 401);
    assert.equal(issueOf(anonymous.body).diagnostics, 'Unable to parse metadata about the requesting application. Contact the onboarding team.');
    const gateway = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${subjectQuery('6700028191')}`, gatewayHeaders('sandbox', 'Y05868'));
    assert.equal(gateway.status, 200, 'the nrl dataset granted the sandbox application Y05868');
    assert.equal((await fetch(`${spine.url}/_admin/record-locator/DocumentReference/Y05868-99999-99999-999999`)).status, 404);
    assert.equal((await fetch(`${spine.url}/_admin/record-locator/permissions/a/B1`, { method: 'PUT', body: '[]', headers: { 'content-type': 'application/json' } })).status, 404);
  });
});
