import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startPds, call, invalidMethodStub, newPerson, outcomeOf, type PdsHarness } from './support/pds.js';
import { isValidNhsNumber } from '../../src/platform/nhs-number.js';
import { createAppAndToken } from '../support/identity.js';

const spec = (path: string) => JSON.parse(readFileSync(new URL(`../../spec/nhs/pds/${path}`, import.meta.url), 'utf8'));

describe('POST /Patient', () => {
  let h: PdsHarness;
  before(async () => {
    h = await startPds();
  });
  after(() => h.close());

  it('allocates a new, valid NHS number in the 999 range and stores version 1', async () => {
    const res = await call(h, 'Patient', { method: 'POST', body: newPerson('Edwards') });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.ok(isValidNhsNumber(res.json.id));
    assert.ok(res.json.id.startsWith('999'));
    assert.deepEqual(res.json.identifier, [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: res.json.id }]);
    assert.equal(res.json.meta.versionId, '1');
    assert.equal(res.headers.get('etag'), 'W/"1"');
    const read = await call(h, `Patient/${res.json.id}`);
    assert.deepEqual(read.json, res.json);
    const events = await h.db.query('SELECT event_type FROM platform.outbox WHERE nhs_number = $1', [res.json.id]);
    assert.deepEqual(events.rows, [{ event_type: 'pds-new-patient' }]);
    const audit = await h.db.query('SELECT action, nhs_numbers, outcome FROM audit.events WHERE request_id = $1', [res.requestId]);
    assert.deepEqual(audit.rows, [{ action: 'patient.create', nhs_numbers: [res.json.id], outcome: 'success' }]);
  });

  it('the same person again gets 200 SINGLE_MATCH naming their NHS number', async () => {
    const first = await call(h, 'Patient', { method: 'POST', body: newPerson('Hargreaves') });
    const again = await call(h, 'Patient', { method: 'POST', body: newPerson('Hargreaves') });
    assert.equal(again.status, 200);
    const expected = spec('stubs/postPatientResponses/SINGLE_MATCH_FOUND.json');
    expected.issue[0].diagnostics = `Unable to create new patient. NHS number ${first.json.id} found for supplied demographic data.`;
    assert.deepEqual(again.json, expected);
  });

  it('two existing matches get 200 MULTIPLE_MATCHES', async () => {
    // Two records for the same details can exist (e.g. loaded before a merge); POST must not add a third.
    const a = await call(h, 'Patient', { method: 'POST', body: newPerson('Twinning', 'Ann', '1990-01-01') });
    await h.db.query(`UPDATE demographics.patients SET family = 'X' WHERE nhs_number = $1`, [a.json.id]);
    const b = await call(h, 'Patient', { method: 'POST', body: newPerson('Twinning', 'Ann', '1990-01-01') });
    assert.equal(b.status, 201);
    await h.db.query(`UPDATE demographics.patients SET family = 'TWINNING' WHERE nhs_number = $1`, [a.json.id]);
    const c = await call(h, 'Patient', { method: 'POST', body: newPerson('Twinning', 'Ann', '1990-01-01') });
    assert.equal(c.status, 200);
    assert.deepEqual(c.json, spec('stubs/postPatientResponses/MULTIPLE_MATCHES_FOUND.json'));
  });

  it('a retry with the same X-Request-ID returns the same new patient', async () => {
    const requestId = randomUUID();
    const first = await call(h, 'Patient', { method: 'POST', body: newPerson('Retried'), requestId });
    const retry = await call(h, 'Patient', { method: 'POST', body: newPerson('Retried'), requestId });
    assert.equal(first.status, 201);
    assert.equal(retry.status, 201);
    assert.equal(retry.json.id, first.json.id);
  });

  it('the same request sent three times at once creates one patient', async () => {
    const requestId = randomUUID();
    const results = await Promise.all([1, 2, 3].map(() => call(h, 'Patient', { method: 'POST', body: newPerson('Simultaneous'), requestId })));
    assert.deepEqual(results.map((r) => r.status), [201, 201, 201]);
    assert.equal(new Set(results.map((r) => r.json.id)).size, 1);
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM demographics.patients WHERE family = 'SIMULTANEOUS'`);
    assert.equal(rows[0].n, 1);
  });

  it('the same person posted twice at once (different request ids) is created once', async () => {
    const results = await Promise.all([1, 2].map(() => call(h, 'Patient', { method: 'POST', body: newPerson('Racing', 'Rae', '1977-07-07') })));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 201]);
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM demographics.patients WHERE family = 'RACING'`);
    assert.equal(rows[0].n, 1);
  });

  it('rejects bodies without the minimum details, with unknown fields, or with a work address', async () => {
    const noName = await call(h, 'Patient', { method: 'POST', body: { gender: 'female', birthDate: '1980-01-01' } });
    assert.equal(noName.status, 400);
    assert.deepEqual(outcomeOf(noName.json), { code: 'MISSING_VALUE', display: 'Required value is missing', issueCode: 'required', severity: 'error', diagnostics: "Missing value - 'name'" });
    const pets = await call(h, 'Patient', { method: 'POST', body: { ...newPerson('Pets'), pets: ['cat'] } });
    assert.equal(outcomeOf(pets.json).code, 'ADDITIONAL_PROPERTIES');
    const badDate = await call(h, 'Patient', { method: 'POST', body: newPerson('Dates', 'Jo', '1980-13-01') });
    assert.equal(badDate.status, 400);
    const work = await call(h, 'Patient', { method: 'POST', body: { ...newPerson('Works'), address: [{ use: 'work', postalCode: 'LS1 1AA' }] } });
    assert.equal(work.status, 400);
    assert.equal(outcomeOf(work.json).code, 'INVALID_CREATE');
    const notJson = await call(h, 'Patient', { method: 'POST', body: 'just text' });
    assert.equal(notJson.status, 400);
  });

  it('needs patient:create and a healthcare worker', async () => {
    const res = await call(h, 'Patient', { method: 'POST', body: newPerson('Denied'), bearer: h.appBearer });
    assert.equal(res.status, 403);
    const app = await createAppAndToken(h.spine, { activities: ['patient:create'] });
    const appCreate = await call(h, 'Patient', { method: 'POST', body: newPerson('Denied'), bearer: app.token });
    assert.equal(appCreate.status, 403, 'application-restricted access cannot create');
    assert.deepEqual(appCreate.json, invalidMethodStub('Cannot create resource with application-restricted access token'));
  });
});
