import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { assertSpecSchema, call, MENTAL_HEALTH_CRISIS_PLAN, NEWS2 } from './support.js';
import { recordLocatorService } from '../../src/services/record-locator/index.js';
import { removePointerTypes, setPointerTypes } from '../../src/services/record-locator/api.js';
import { validatePointer } from '../../src/services/record-locator/domain/validate-pointer.js';
import { SyntheticNhsNumbers } from '../../src/services/demographics/api.js';
import { openspine } from '../support/cli.js';
import { MAX_JSON_DEPTH } from '../../src/platform/http/body-parsers.js';

/** Pointer-type permissions: the admin API (activity record-locator:admin), the CLI, and dataset nrl. */
describe('NRL permissions: admin API, CLI and dataset', () => {
  let spine: TestSpine;
  let admin: string;
  before(async () => {
    spine = await startTestSpine({ env: { OPENSPINE_SEED_DEMO: 'false' } });
    ({ token: admin } = await createAppAndToken(spine, { activities: ['record-locator:admin'] }));
  });
  after(async () => { await spine?.close(); });

  const adminApi = (method: string, path: string, token: string | undefined, body?: unknown) => fetch(`${spine.url}/admin/record-locator${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

  it('sets, lists and removes permissions; only with record-locator:admin', async () => {
    assert.equal((await adminApi('PUT', '/permissions/app-1/A83008', undefined, [NEWS2])).status, 401);
    const { token: notAdmin } = await createAppAndToken(spine, { activities: ['record-locator:produce', 'record-locator:consume'] });
    assert.equal((await adminApi('PUT', '/permissions/app-1/A83008', notAdmin, [NEWS2])).status, 403);
    const set = await adminApi('PUT', '/permissions/app-1/A83008', admin, [NEWS2, MENTAL_HEALTH_CRISIS_PLAN, NEWS2]);
    assert.equal(set.status, 200);
    assert.deepEqual(await set.json(), { appId: 'app-1', organisation: 'A83008', pointerTypes: [NEWS2, MENTAL_HEALTH_CRISIS_PLAN] });
    const listed = await adminApi('GET', '/permissions?app=app-1', admin);
    assert.deepEqual(await listed.json(), { permissions: [{ appId: 'app-1', organisation: 'A83008', pointerTypes: [NEWS2, MENTAL_HEALTH_CRISIS_PLAN] }] });
    const bad = await adminApi('PUT', '/permissions/app-1/A83008', admin, ['http://snomed.info/sct|1']);
    assert.equal(bad.status, 400);
    const outcome = await bad.json();
    assert.equal(outcome.issue[0].details.coding[0].code, 'INVALID_VALUE');
    // Refused at the door by the route's schema, naming the item.
    assert.equal(outcome.issue[0].diagnostics, "Invalid value - 'http://snomed.info/sct|1' in field '0'");
    assert.equal((await adminApi('DELETE', '/permissions/app-1/A83008', admin)).status, 204);
    assert.equal((await adminApi('DELETE', '/permissions/app-1/A83008', admin)).status, 404);
    assert.equal((await adminApi('GET', '/permissions?app=app-1', admin).then((r) => r.json())).permissions.length, 0);
  });

  it('a nested permission body is 400 INVALID_VALUE saying what the body must be (past the platform\'s limit, where it goes too deep), and sets nothing', async () => {
    const put = (depth: number) => fetch(`${spine.url}/admin/record-locator/permissions/app-deep/A83008`, {
      method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: `{"types":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    });
    for (const [depth, diagnostics] of [
      [3, 'Invalid value - the body must be a JSON array of "system|code" pointer types'],
      [100, 'Invalid value - the body must be a JSON array of "system|code" pointer types'],
      [20_000, `Invalid value - '(nested more than ${MAX_JSON_DEPTH} deep)' in field 'types${'/0'.repeat(MAX_JSON_DEPTH - 1)}'`],
    ] as const) {
      const response = await put(depth);
      assert.equal(response.status, 400, `${depth}`);
      const outcome = await response.json();
      assert.equal(outcome.issue[0].details.coding[0].code, 'INVALID_VALUE', `${depth}`);
      assert.equal(outcome.issue[0].diagnostics, diagnostics, `${depth}`);
    }
    assert.equal((await adminApi('GET', '/permissions?app=app-deep', admin).then((r) => r.json())).permissions.length, 0);
  });

  it('the CLI sets permissions an application then uses over HTTP, lists and removes them', async () => {
    const app = await createAppAndToken(spine, { activities: ['record-locator:consume'], odsCode: 'CLI01' });
    const identity = { authorization: `Bearer ${app.token}`, 'nhsd-end-user-organisation-ods': 'CLI01' };
    const query = `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent('https://fhir.nhs.uk/Id/nhs-number|9000000009')}`;
    assert.equal((await call(spine, 'GET', query, identity)).status, 403);
    const set = await openspine(spine.databaseUrl, 'nrl', 'permissions', 'set', '--app', app.principal.appId, '--ods', 'CLI01', '--types', NEWS2);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(JSON.parse(set.stdout), { appId: app.principal.appId, organisation: 'CLI01', pointerTypes: [NEWS2] });
    assert.equal((await call(spine, 'GET', query, identity)).status, 200);
    const listed = await openspine(spine.databaseUrl, 'nrl', 'permissions', 'list', '--app', app.principal.appId);
    assert.deepEqual(JSON.parse(listed.stdout), [{ appId: app.principal.appId, organisation: 'CLI01', pointerTypes: [NEWS2] }]);
    const bad = await openspine(spine.databaseUrl, 'nrl', 'permissions', 'set', '--app', app.principal.appId, '--ods', 'CLI01', '--types', 'nope');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\[0\]: pointer type 0 is not a "system\|code" of the NRL record type value set/);
    assert.equal((await openspine(spine.databaseUrl, 'nrl', 'permissions', 'remove', '--app', app.principal.appId, '--ods', 'CLI01')).code, 0);
    assert.equal((await call(spine, 'GET', query, identity)).status, 403);
  });

  it('a permission changed in the store by another process reaches a caller whose permissions were cached', async () => {
    const app = await createAppAndToken(spine, { activities: ['record-locator:consume'], odsCode: 'CCH01' });
    const identity = { authorization: `Bearer ${app.token}`, 'nhsd-end-user-organisation-ods': 'CCH01' };
    const query = `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent('https://fhir.nhs.uk/Id/nhs-number|9000000009')}`;
    const statusSoon = async (expected: number) => {
      // The store notifies the server when the change commits; a few seconds is far longer than that takes.
      let status = 0;
      for (let attempt = 0; attempt < 50 && status !== expected; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await call(spine, 'GET', query, identity)).status;
      }
      return status;
    };
    // Refused twice: the second answer may come from the cache.
    assert.equal((await call(spine, 'GET', query, identity)).status, 403);
    assert.equal((await call(spine, 'GET', query, identity)).status, 403);
    // Through the service's api.ts on the test's own connection, as the CLI does: not through a route of the server.
    await setPointerTypes(spine.ctx.db, app.principal.appId, 'CCH01', [NEWS2]);
    assert.equal(await statusSoon(200), 200);
    assert.equal((await call(spine, 'GET', query, identity)).status, 200);
    assert.equal(await removePointerTypes(spine.ctx.db, app.principal.appId, 'CCH01'), true);
    assert.equal(await statusSoon(403), 403);
  });

  it('openspine seed --dataset nrl loads the spec\'s test pointers and the sandbox app\'s permissions, idempotently', async () => {
    for (let run = 0; run < 2; run++) {
      const seeded = await openspine(spine.databaseUrl, 'seed', '--dataset', 'nrl');
      assert.equal(seeded.code, 0, seeded.stderr);
      assert.match(seeded.stdout, /^nrl: 6 test pointers, 3 permissions \(sandbox app; no demo app yet\)/);
    }
    const { rows } = await spine.ctx.db.query(`SELECT id, nhs_number, custodian, type FROM record_locator.pointers ORDER BY id`);
    assert.equal(rows.length, 6);
    assert.deepEqual(new Set(rows.map((r) => r.nhs_number)), new Set(['6700028191']));
    assert.deepEqual(new Set(rows.map((r) => r.type)), new Set([MENTAL_HEALTH_CRISIS_PLAN]));
    const permissions = await spine.ctx.db.query(`SELECT organisation FROM record_locator.permissions WHERE app_id = 'sandbox' ORDER BY organisation`);
    assert.deepEqual(permissions.rows.map((r) => r.organisation), ['RQI', 'Y05868', 'Y12345']);
  });

  it('the synthetic population gets pointers a producer could have made, found by consumer search; seeding again adds none', async () => {
    const dataset = recordLocatorService.datasets!['synthetic-patients']!;
    const summary = await dataset(spine.ctx, { patients: 400, seed: 3 });
    const [, made, withPointers] = /^(\d+) pointers for (\d+) of 400 patients/.exec(summary)!.map(Number);
    assert.ok(withPointers! > 50 && withPointers! < 160, summary);
    assert.ok(made! >= withPointers! && made! <= 3 * withPointers!, summary);
    const { rows } = await spine.ctx.db.query(`SELECT nhs_number, custodian, resource FROM record_locator.pointers WHERE id LIKE '%-syn-%'`);
    assert.equal(rows.length, made);
    for (const row of rows) {
      assertSpecSchema('producer', 'DocumentReference', row.resource);
      assert.deepEqual(validatePointer(row.resource), []);
    }
    const numbers = new SyntheticNhsNumbers();
    const first400 = new Set(Array.from({ length: 400 }, () => numbers.next()));
    assert.ok(rows.every((r) => first400.has(r.nhs_number)));
    assert.match(await dataset(spine.ctx, { patients: 400, seed: 3 }), /^0 pointers/);

    const app = await createAppAndToken(spine, { activities: ['record-locator:consume'], odsCode: 'SYN01' });
    const granted = await adminApi('PUT', `/permissions/${app.principal.appId}/SYN01`, admin,
      [...new Set(rows.map((r) => `${r.resource.type.coding[0].system}|${r.resource.type.coding[0].code}`))]);
    assert.equal(granted.status, 200);
    const patient = rows[0].nhs_number;
    const found = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${patient}`)}`,
      { authorization: `Bearer ${app.token}`, 'nhsd-end-user-organisation-ods': 'SYN01' });
    assert.equal(found.status, 200);
    assert.equal(found.body.total, rows.filter((r) => r.nhs_number === patient).length);
  });
});
