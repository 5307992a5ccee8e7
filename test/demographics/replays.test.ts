import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startPds, call, REGISTERING_AUTHORITY, type PdsHarness } from './support/pds.js';
import { startTestSpine } from '../support/spine.js';
import { userToken, type AppToken } from '../support/identity.js';
import { fixedClock } from '../../src/platform/clock.js';
import { demographicsService } from '../../src/services/demographics/index.js';
import { pruneReplays } from '../../src/services/demographics/handlers/replays.js';

const spec = (path: string) => JSON.parse(readFileSync(new URL(`../../spec/nhs/pds/${path}`, import.meta.url), 'utf8'));

function newPerson(family: string) {
  return {
    resourceType: 'Patient', gender: 'female', birthDate: '1979-11-02', extension: [REGISTERING_AUTHORITY],
    name: [{ use: 'usual', family, given: ['Rhian'] }],
    address: [{ use: 'home', line: ['3 Quay Street'], postalCode: 'CF10 1EU' }],
  };
}
const patchHeaders = (version: number) => ({ 'content-type': 'application/json-patch+json', 'if-match': `W/"${version}"` });
const genderPatch = (gender: string) => ({ patches: [{ op: 'replace', path: '/gender', value: gender }] });

async function auditOf(db: pg.Pool, requestId: string) {
  const { rows } = await db.query('SELECT action, nhs_numbers, outcome, app_id, detail FROM audit.events WHERE request_id = $1 ORDER BY seq', [requestId]);
  return rows;
}

describe('PDS idempotent replays: keyed by caller, audited', () => {
  let h: PdsHarness;
  let otherApp: AppToken;
  let sameUserOtherApp: AppToken;
  before(async () => {
    h = await startPds();
    otherApp = await userToken(h.spine, { roleCode: 'R8000', userId: '555000000099' });
    sameUserOtherApp = await userToken(h.spine, { roleCode: 'R8000' });
  });
  after(() => h.close());

  it('a retried create from the same caller gets the first outcome, and the replay is audited', async () => {
    const requestId = randomUUID();
    const first = await call(h, 'Patient', { method: 'POST', body: newPerson('Pryce'), requestId });
    const retry = await call(h, 'Patient', { method: 'POST', body: newPerson('Pryce'), requestId });
    assert.equal(first.status, 201);
    assert.equal(retry.status, 201);
    assert.deepEqual(retry.json, first.json);
    assert.equal(retry.headers.get('etag'), 'W/"1"');
    const audit = await auditOf(h.db, requestId);
    assert.deepEqual(audit.map((a) => [a.action, a.nhs_numbers, a.outcome, a.detail?.replay ?? false]), [
      ['patient.create', [first.json.id], 'success', false],
      ['patient.create', [first.json.id], 'success', true],
    ]);
  });

  it('the same X-Request-ID with another body (another new patient, another PATCH) is INVALID_VALUE naming the header, and changes nothing', async () => {
    const requestId = randomUUID();
    const reuse = `Invalid value - '${requestId}' in header 'X-Request-ID': it identifies an earlier request with another body; a new request needs a new X-Request-ID`;
    assert.equal((await call(h, 'Patient', { method: 'POST', body: newPerson('Quill'), requestId })).status, 201);
    const other = await call(h, 'Patient', { method: 'POST', body: newPerson('Quillon'), requestId });
    assert.equal(other.status, 400, JSON.stringify(other.json));
    assert.equal(other.json.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.equal(other.json.issue[0].diagnostics, reuse);
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM demographics.patients WHERE resource::text LIKE '%Quillon%'`);
    assert.equal(rows[0].n, 0, 'the second patient was not created');
    const patchId = randomUUID();
    const patch = (birthDate: string) => call(h, 'Patient/9000000017', { method: 'PATCH', requestId: patchId,
      headers: { 'if-match': 'W/"1"', 'content-type': 'application/json-patch+json' }, body: { patches: [{ op: 'replace', path: '/birthDate', value: birthDate }] } });
    const first = await call(h, 'Patient/9000000017');
    const applied = await call(h, 'Patient/9000000017', { method: 'PATCH', requestId: patchId,
      headers: { 'if-match': first.headers.get('etag')!, 'content-type': 'application/json-patch+json' }, body: { patches: [{ op: 'replace', path: '/birthDate', value: '1990-01-02' }] } });
    assert.equal(applied.status, 200, JSON.stringify(applied.json));
    const changed = await patch('1991-03-04');
    assert.equal(changed.status, 400, JSON.stringify(changed.json));
    assert.equal(changed.json.issue[0].diagnostics, reuse.replace(requestId, patchId));
    assert.equal((await call(h, 'Patient/9000000017')).json.birthDate, '1990-01-02');
  });

  it('the same X-Request-ID from another application or user is a new request: it never sees the first outcome', async () => {
    const requestId = randomUUID();
    const first = await call(h, 'Patient', { method: 'POST', body: newPerson('Lewis-Ward'), requestId });
    assert.equal(first.status, 201);
    for (const caller of [otherApp, sameUserOtherApp]) {
      const res = await call(h, 'Patient', { method: 'POST', body: newPerson('Lewis-Ward'), requestId, bearer: caller.token });
      // Traced as a new create: the person is on file, so SINGLE_MATCH, not the stored 201.
      assert.equal(res.status, 200);
      const expected = spec('stubs/postPatientResponses/SINGLE_MATCH_FOUND.json');
      expected.issue[0].diagnostics = `Unable to create new patient. NHS number ${first.json.id} found for supplied demographic data.`;
      assert.deepEqual(res.json, expected);
    }
    const audit = await auditOf(h.db, requestId);
    assert.equal(audit.filter((a) => a.detail?.replay).length, 0);
  });

  it('a retried PATCH replays to its caller only; another caller with the same id and If-Match gets 409', async () => {
    const created = await call(h, 'Patient', { method: 'POST', body: newPerson('Morgan-Rees') });
    const id = created.json.id;
    const requestId = randomUUID();
    const first = await call(h, `Patient/${id}`, { method: 'PATCH', headers: patchHeaders(1), body: genderPatch('male'), requestId });
    assert.equal(first.status, 200);
    const retry = await call(h, `Patient/${id}`, { method: 'PATCH', headers: patchHeaders(1), body: genderPatch('male'), requestId });
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.json, first.json);
    assert.equal(retry.headers.get('etag'), 'W/"2"');
    const other = await call(h, `Patient/${id}`, { method: 'PATCH', headers: patchHeaders(1), body: genderPatch('male'), requestId, bearer: otherApp.token });
    assert.equal(other.status, 409);
    const audit = await auditOf(h.db, requestId);
    assert.deepEqual(audit.map((a) => [a.action, a.outcome, a.detail?.replay ?? false]), [
      ['patient.update', 'success', false],
      ['patient.update', 'success', true],
      ['patient.update', 'failure', false],
    ]);
    assert.equal(audit[2].app_id, otherApp.principal.appId);
  });
});

describe('PDS idempotent replays: the same request sent several times at once', () => {
  let h: PdsHarness;
  before(async () => {
    h = await startPds();
  });
  after(() => h.close());

  const kinds = (rows: Array<{ outcome: string; detail: { replay?: boolean } | null }>) =>
    rows.map((a) => `${a.outcome}${a.detail?.replay ? ' replay' : ''}`).sort();

  it('a create sent three times at once: one patient, one create audited and two replays', async () => {
    const requestId = randomUUID();
    const results = await Promise.all([1, 2, 3].map(() => call(h, 'Patient', { method: 'POST', body: newPerson('Concurrent-Create'), requestId })));
    assert.deepEqual(results.map((r) => r.status), [201, 201, 201]);
    assert.equal(new Set(results.map((r) => r.json.id)).size, 1);
    assert.deepEqual(kinds(await auditOf(h.db, requestId)), ['success', 'success replay', 'success replay']);
  });

  it('a PATCH sent three times at once: one new version, one update audited and two replays', async () => {
    const created = await call(h, 'Patient', { method: 'POST', body: newPerson('Concurrent-Patch') });
    const requestId = randomUUID();
    const results = await Promise.all([1, 2, 3].map(() =>
      call(h, `Patient/${created.json.id}`, { method: 'PATCH', headers: patchHeaders(1), body: genderPatch('male'), requestId })));
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200]);
    assert.deepEqual(results.map((r) => r.json.meta.versionId), ['2', '2', '2']);
    assert.deepEqual(kinds(await auditOf(h.db, requestId)), ['success', 'success replay', 'success replay']);
  });
});

describe('PDS idempotent replays: retention window', () => {
  const clock = fixedClock(new Date());
  let spine: Awaited<ReturnType<typeof startTestSpine>>;
  let db: pg.Pool;
  before(async () => {
    spine = await startTestSpine({ modules: [demographicsService], clock, env: { OPENSPINE_PDS_REPLAY_RETENTION_HOURS: '1' } });
    db = new pg.Pool({ connectionString: spine.databaseUrl, max: 2 });
  });
  after(async () => {
    await db.end();
    await spine.close();
  });

  it('replays within the window; after it the id is forgotten and pruning deletes the outcome', async () => {
    const user = await userToken(spine, { roleCode: 'R8000' });
    // Access tokens are short-lived by the test clock too: each call gets a fresh one for the same caller.
    const asUser = async () => ({ spine, userBearer: (await spine.ctx.tokens.issue(user.principal)).token }) as PdsHarness;
    const requestId = randomUUID();
    const first = await call(await asUser(), 'Patient', { method: 'POST', body: newPerson('Vaughan'), requestId });
    assert.equal(first.status, 201);
    clock.advance(59 * 60_000);
    assert.equal(await pruneReplays(spine.ctx), 0);
    const within = await call(await asUser(), 'Patient', { method: 'POST', body: newPerson('Vaughan'), requestId });
    assert.equal(within.status, 201);
    assert.equal(within.json.id, first.json.id);

    clock.advance(2 * 60_000);
    const after = await call(await asUser(), 'Patient', { method: 'POST', body: newPerson('Vaughan'), requestId });
    assert.equal(after.status, 200, 'past the window the retry is traced as a new create (SINGLE_MATCH)');
    assert.equal(after.json.issue[0].details.coding[0].code, 'SINGLE_MATCH');
    assert.equal(await pruneReplays(spine.ctx), 1);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM demographics.idempotent_requests');
    assert.equal(rows[0].n, 0);
  });
});
