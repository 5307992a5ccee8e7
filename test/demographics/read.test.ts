import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startPds, call, outcomeOf, type PdsHarness } from './support/pds.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import { createAppAndToken } from '../support/identity.js';
import { testPopulation } from './support/population.js';
import { demographicsService } from '../../src/services/demographics/index.js';
import { demographicsApi } from '../../src/services/demographics/api.js';

const spec = (path: string) => JSON.parse(readFileSync(new URL(`../../spec/nhs/pds/${path}`, import.meta.url), 'utf8'));
const stubError = (code: string) => spec(`stubs/errorResponses/${code}.json`);

describe('GET /Patient/{id} and /RelatedPerson', () => {
  let h: PdsHarness;
  const people = testPopulation(4, 960_000_000);
  before(async () => {
    h = await startPds();
    await bulkInsertPatients(h.spine.ctx.db, { patients: people.slice(0, 2), supersededBy: [[people[2]!.id, people[0]!.id]], invalidated: [people[3]!.id] });
  });
  after(() => h.close());

  it('returns the full sandbox record 9000000009 with its ETag', async () => {
    const res = await call(h, 'Patient/9000000009');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('etag'), 'W/"2"');
    assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+json/);
    assert.equal(res.headers.get('x-request-id'), res.requestId);
    assert.deepEqual(res.json, spec('sandbox/mocks/Patient.json'));
  });

  it('strips address, telecom and GP from the restricted 9000000025', async () => {
    const res = await call(h, 'Patient/9000000025');
    assert.equal(res.status, 200);
    assert.equal(res.json.meta.security[0].code, 'R');
    for (const field of ['address', 'telecom', 'generalPractitioner']) assert.equal(res.json[field], undefined, field);
    assert.equal(res.json.name[0].family, 'Smythe');
  });

  it('returns the minimal record 9000000033', async () => {
    const res = await call(h, 'Patient/9000000033');
    assert.equal(res.status, 200);
    assert.equal(res.json.id, '9000000033');
  });

  it('an unknown valid NHS number gets 404 RESOURCE_NOT_FOUND exactly as PDS sends it', async () => {
    const res = await call(h, 'Patient/9111231130');
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, stubError('RESOURCE_NOT_FOUND'));
  });

  it('an NHS number failing Modulus 11, or ten zeros (which pass it), gets 400 INVALID_RESOURCE_ID', async () => {
    for (const id of ['9000000000', '900000000', 'abcdefghij', '0000000000']) {
      const res = await call(h, `Patient/${id}`);
      assert.equal(res.status, 400, id);
      assert.deepEqual(res.json, stubError('INVALID_RESOURCE_ID'));
    }
  });

  it('no NHS number at all (Patient/) gets 400 UNSUPPORTED_SERVICE, on read, RelatedPerson and update (spec error tables)', async () => {
    const update = { method: 'PATCH', headers: { 'content-type': 'application/json-patch+json', 'if-match': 'W/"1"' }, body: { patches: [{ op: 'replace', path: '/gender', value: 'male' }] } };
    for (const [path, options] of [['Patient/', {}], ['Patient//RelatedPerson', {}], ['Patient/', update]] as const) {
      const res = await call(h, path, options);
      assert.equal(res.status, 400, path);
      assert.deepEqual(res.json, stubError('UNSUPPORTED_SERVICE'), path);
    }
  });

  it("RelatedPerson answers with the patient's ETag, as the spec's 200 declares", async () => {
    for (const [id, etag] of [['9000000009', 'W/"2"'], ['9000000025', 'W/"2"']]) {
      const res = await call(h, `Patient/${id}/RelatedPerson`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('etag'), etag, id);
      assert.equal(res.headers.get('etag'), (await call(h, `Patient/${id}`)).headers.get('etag'), id);
    }
  });

  it('a superseded NHS number returns the surviving record', async () => {
    const res = await call(h, `Patient/${people[2]!.id}`);
    assert.equal(res.status, 200);
    assert.equal(res.json.id, people[0]!.id);
  });

  it('an invalidated record gets 404 INVALIDATED_RESOURCE', async () => {
    const res = await call(h, `Patient/${people[3]!.id}`);
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, stubError('INVALIDATED_RESOURCE'));
  });

  it('X-Request-ID is mandatory and must be a UUID', async () => {
    const missing = await call(h, 'Patient/9000000009', { requestId: null });
    assert.equal(missing.status, 400);
    assert.deepEqual(outcomeOf(missing.json), { code: 'MISSING_VALUE', display: 'Required value is missing', issueCode: 'required', severity: 'error',
      diagnostics: 'Invalid request with error - X-Request-ID header must be supplied to access this resource' });
    const bad = await call(h, 'Patient/9000000009', { requestId: '1234' });
    assert.equal(bad.status, 400);
    assert.deepEqual(outcomeOf(bad.json), { code: 'INVALID_VALUE', display: 'Provided value is invalid', issueCode: 'value', severity: 'error',
      diagnostics: "Invalid value - '1234' in header 'X-Request-ID'" });
  });

  it('needs a token (401) carrying patient:read (403)', async () => {
    const none = await call(h, 'Patient/9000000009', { bearer: null });
    assert.equal(none.status, 401);
    assert.equal(outcomeOf(none.json).code, 'ACCESS_DENIED');
    const searchOnly = await createAppAndToken(h.spine, { activities: ['patient:search'] });
    const denied = await call(h, 'Patient/9000000009', { bearer: searchOnly.token });
    assert.equal(denied.status, 403);
    assert.equal(outcomeOf(denied.json).code, 'ACCESS_DENIED');
  });

  it('audits every read, including the survivor of a superseded number, before responding', async () => {
    const ok = await call(h, `Patient/${people[2]!.id}`);
    const { rows } = await h.db.query('SELECT action, resource, nhs_numbers, outcome FROM audit.events WHERE request_id = $1', [ok.requestId]);
    assert.deepEqual(rows, [{ action: 'patient.read', resource: `Patient/${people[0]!.id}`, nhs_numbers: [people[2]!.id, people[0]!.id], outcome: 'success' }]);
    const missing = await call(h, 'Patient/9111231130');
    const failed = await h.db.query('SELECT nhs_numbers, outcome FROM audit.events WHERE request_id = $1', [missing.requestId]);
    assert.deepEqual(failed.rows, [{ nhs_numbers: ['9111231130'], outcome: 'failure' }]);
  });

  it('lists the two RelatedPersons of 9000000009 and none of 9000000025', async () => {
    const res = await call(h, 'Patient/9000000009/RelatedPerson');
    assert.equal(res.status, 200);
    const expected = spec('stubs/relatedPersonResponses/related_person_9000000009.json');
    assert.equal(res.json.resourceType, 'Bundle');
    assert.equal(res.json.type, 'searchset');
    assert.equal(res.json.total, 2);
    assert.deepEqual(res.json.entry.map((e: any) => e.resource).sort((a: any, b: any) => a.id.localeCompare(b.id)),
      expected.entry.map((e: any) => e.resource).sort((a: any, b: any) => a.id.localeCompare(b.id)));
    assert.ok(res.json.entry.every((e: any) => e.fullUrl.endsWith(`/personal-demographics/FHIR/R4/Patient/9000000009/RelatedPerson/${e.resource.id}`)));
    const none = await call(h, 'Patient/9000000025/RelatedPerson');
    assert.equal(none.status, 200);
    assert.equal(none.json.total, 0);
    assert.equal(none.json.entry, undefined);
    const bad = await call(h, 'Patient/9000000000/RelatedPerson');
    assert.equal(bad.status, 400);
  });

  it('the nhs-sandbox dataset is idempotent (demo seeding already loaded it)', async () => {
    const summary = await demographicsService.datasets!['nhs-sandbox']!(h.spine.ctx, {});
    assert.match(summary, /^0 of 22 sandbox patients added, 3 related persons$/);
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM demographics.related_persons`);
    assert.equal(rows[0].n, 3);
  });

  it('serves metadata, _ping and _status', async () => {
    const cap = await call(h, 'metadata', { bearer: null });
    assert.equal(cap.status, 200);
    assert.equal(cap.json.resourceType, 'CapabilityStatement');
    assert.deepEqual(cap.json.rest[0].resource[0].interaction.map((i: any) => i.code), ['read', 'search-type', 'patch', 'create']);
    assert.equal((await call(h, '/personal-demographics/_ping', { bearer: null })).status, 200);
    const status = await call(h, '/personal-demographics/_status', { bearer: null });
    assert.equal(status.status, 200);
    assert.equal(status.json.status, 'pass');
  });
});

describe('demographics api.ts for other services', () => {
  let h: PdsHarness;
  const people = testPopulation(3, 920_000_000);
  before(async () => {
    h = await startPds();
    await bulkInsertPatients(h.spine.ctx.db, { patients: people.slice(0, 1), supersededBy: [[people[1]!.id, people[0]!.id]], invalidated: [people[2]!.id] });
  });
  after(() => h.close());

  it('looks up active, superseded, invalidated, unknown and invalid NHS numbers', async () => {
    const api = demographicsApi(h.spine.ctx.db);
    assert.deepEqual(await api.lookupPatient('9000000009'), {
      status: 'active', nhsNumber: '9000000009', restricted: false, gpOdsCode: 'Y12345', nominatedPharmacyOdsCode: 'Y12345', deceased: true,
    });
    assert.equal((await api.lookupPatient('9000000025')).status, 'active');
    assert.deepEqual(await api.lookupPatient(people[1]!.id), {
      status: 'active', nhsNumber: people[0]!.id, restricted: false, gpOdsCode: people[0]!.generalPractitioner![0]!.identifier!.value, nominatedPharmacyOdsCode: undefined, deceased: false,
    });
    assert.deepEqual(await api.lookupPatient(people[2]!.id), { status: 'invalidated' });
    assert.deepEqual(await api.lookupPatient('9111231130'), { status: 'unknown' });
    assert.deepEqual(await api.lookupPatient('9000000000'), { status: 'invalid-nhs-number' });
  });
});
