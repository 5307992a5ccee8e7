import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { startPds, call, invalidMethodStub, outcomeOf, type PdsHarness, type CallOptions } from './support/pds.js';
import { pdsResponseValidators } from './support/schemas.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import { testPopulation } from './support/population.js';
import { createAppAndToken, userToken } from '../support/identity.js';

const spec = (path: string) => JSON.parse(readFileSync(new URL(`../../spec/nhs/pds/${path}`, import.meta.url), 'utf8'));
const stubError = (code: string, diagnostics?: string) => {
  const body = spec(`stubs/errorResponses/${code}.json`);
  if (diagnostics === undefined) delete body.issue[0].diagnostics;
  else body.issue[0].diagnostics = diagnostics;
  return body;
};
const INVALID_SEARCH = "Invalid search data provided - 'Coverage search request must follow the format /Coverage?subscriber:identifier=NHS_NUMBER'";

/** A Coverage search Bundle as the spec's stubs show it: no timestamp, `fullUrl` without its host. */
function comparable(bundle: any) {
  const { timestamp: _t, ...rest } = bundle;
  return { ...rest, ...(bundle.entry ? { entry: bundle.entry.map((e: any) => ({ ...e, fullUrl: e.fullUrl.replace(/^https?:\/\/[^/]+/, '') })) } : {}) };
}

/** The spec's example Coverage (`examples/Coverage.json`) for another patient. */
function exampleCoverageFor(nhsNumber: string, change: (c: any) => void = () => {}) {
  const body = spec('specification/components/examples/Coverage.json');
  body.subscriber.identifier.value = nhsNumber;
  change(body);
  return body;
}

describe('PDS /Coverage (EHIC)', () => {
  let h: PdsHarness;
  const validate = pdsResponseValidators();
  // Not a type guard: the responses stay `any` for the assertions that follow.
  const isCoverageSearch = (body: unknown): boolean => validate.CoverageSearch(body);
  const people = testPopulation(8, 930_000_000);
  const [survivor, plain, racer, fuzzed, retried, superseded, invalidated] = people.map((p) => p.id) as [string, string, string, string, string, string, string];
  const getCoverage = (nhsNumber: string, options: CallOptions = {}) => call(h, `Coverage?subscriber:identifier=${nhsNumber}`, options);
  const postCoverage = (body: unknown, ifMatch: string | null, options: CallOptions = {}) => call(h, 'Coverage', {
    method: 'POST', body, ...options,
    headers: { 'content-type': 'application/json', ...(ifMatch === null ? {} : { 'if-match': ifMatch }), ...options.headers },
  });

  before(async () => {
    h = await startPds();
    await bulkInsertPatients(h.spine.ctx.db, { patients: people.slice(0, 5), supersededBy: [[superseded, survivor]], invalidated: [invalidated] });
  });
  after(() => h.close());

  it('sandbox: 9000000009 holds the EHIC of its stub at coverage version 2, with a matching ETag', async () => {
    const res = await getCoverage('9000000009');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
    assert.equal(res.headers.get('etag'), 'W/"2"');
    assert.ok(isCoverageSearch(res.json), JSON.stringify(validate.CoverageSearch.errors));
    assert.deepEqual(comparable(res.json), comparable(spec('stubs/coverageResponses/patient_with_coverage_9000000009.json')));
    assert.equal(res.json.entry[0].fullUrl, `${h.spine.config.publicBaseUrl}/personal-demographics/FHIR/R4/Coverage?subscriber:identifier=9000000009`);
    const audit = await h.db.query('SELECT action, resource, nhs_numbers, outcome FROM audit.events WHERE request_id = $1', [res.requestId]);
    assert.deepEqual(audit.rows, [{ action: 'coverage.read', resource: 'Patient/9000000009/Coverage', nhs_numbers: ['9000000009'], outcome: 'success' }]);
  });

  it('sandbox: 9000000033 has none, at version 1 (meta.versionId and ETag even when empty)', async () => {
    const res = await getCoverage('9000000033');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('etag'), 'W/"1"');
    assert.ok(isCoverageSearch(res.json));
    assert.deepEqual(comparable(res.json), comparable(spec('stubs/coverageResponses/patient_without_coverage.json')));
  });

  it('search: subscriber:identifier is the only parameter, checked before the NHS number', async () => {
    for (const query of ['', '?', '?subscriber:identifier=9999999990&year=2003', '?year=2003', '?identifier=9000000009',
      '?subscriber:identifier=9000000009&subscriber:identifier=9000000009', '?subscriber:identifier=', '?subscriber%3Aidentifier=9000000009&_history=true']) {
      const res = await call(h, `Coverage${query}`);
      assert.equal(res.status, 400, query);
      assert.deepEqual(res.json, stubError('INVALID_SEARCH_DATA', INVALID_SEARCH), query);
    }
    // A pair with an empty name carries no parameter.
    assert.equal((await call(h, 'Coverage?subscriber:identifier=9000000009&=')).status, 200);
  });

  it('search: X-Request-ID first, then INVALID_RESOURCE_ID, RESOURCE_NOT_FOUND, INVALIDATED_RESOURCE; superseded numbers followed', async () => {
    const missing = await call(h, 'Coverage?year=2003', { requestId: null });
    assert.equal(missing.status, 400);
    assert.equal(outcomeOf(missing.json).code, 'MISSING_VALUE');
    const bad = await getCoverage('9000000009', { requestId: '1234' });
    assert.deepEqual(bad.json, stubError('INVALID_VALUE', "Invalid value - '1234' in header 'X-Request-ID'"));
    const invalidId = await getCoverage('9000000000');
    assert.equal(invalidId.status, 400);
    assert.deepEqual(invalidId.json, stubError('INVALID_RESOURCE_ID'));
    assert.equal((await getCoverage('not-a-number')).status, 400);
    const unknown = await getCoverage('9434765919');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json, stubError('RESOURCE_NOT_FOUND'));
    const gone = await getCoverage(invalidated);
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.json, stubError('INVALIDATED_RESOURCE'));
    const failures = await h.db.query('SELECT outcome FROM audit.events WHERE request_id = $1', [gone.requestId]);
    assert.deepEqual(failures.rows, [{ outcome: 'failure' }]);

    const added = await postCoverage(exampleCoverageFor(superseded), 'W/"1"');
    assert.equal(added.status, 201, JSON.stringify(added.json));
    assert.equal(added.json.entry[0].resource.subscriber.identifier.value, survivor, 'stored on the surviving record');
    const followed = await getCoverage(superseded);
    assert.equal(followed.status, 200);
    assert.equal(followed.json.entry[0].resource.subscriber.identifier.value, survivor);
    assert.deepEqual(followed.json, { ...(await getCoverage(survivor)).json, timestamp: followed.json.timestamp });
  });

  it('update: the spec example answers 201 with the search Bundle of the stored Coverage (CoverageSearch.json), at the next version', async () => {
    const res = await postCoverage(spec('specification/components/examples/Coverage.json'), 'W/"2"');
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.equal(res.headers.get('etag'), 'W/"3"');
    assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
    assert.ok(isCoverageSearch(res.json), JSON.stringify(validate.CoverageSearch.errors));
    const expected = spec('specification/components/examples/CoverageSearch.json');
    assert.deepEqual(comparable(res.json), comparable({ ...expected, meta: { versionId: '3' } }));
    const read = await getCoverage('9000000009');
    assert.equal(read.headers.get('etag'), 'W/"3"');
    assert.deepEqual(comparable(read.json), comparable(res.json));
    const audit = await h.db.query('SELECT action, nhs_numbers, outcome, detail FROM audit.events WHERE request_id = $1', [res.requestId]);
    assert.deepEqual(audit.rows, [{ action: 'coverage.update', nhs_numbers: ['9000000009'], outcome: 'success', detail: { fromVersion: 2, versionId: 3 } }]);
  });

  it('update: one EHIC per patient, replaced by each POST; a stale If-Match gets 409 and changes nothing', async () => {
    const first = await postCoverage(exampleCoverageFor(plain), 'W/"1"');
    assert.equal(first.status, 201);
    const second = await postCoverage(exampleCoverageFor(plain, (c) => { c.identifier[0].value = 'DE1234567890121234'; c.identifier[0].assigner = { identifier: { system: 'urn:iso:std:iso:3166', value: 'DEU' }, display: 'Germany' }; }), 'W/"2"');
    assert.equal(second.status, 201);
    const stale = await postCoverage(exampleCoverageFor(plain, (c) => { c.period.end = '2031-01-01'; }), 'W/"2"');
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.json, stubError('RESOURCE_VERSION_MISMATCH'));
    const read = await getCoverage(plain);
    assert.equal(read.json.total, 1);
    assert.equal(read.json.meta.versionId, '3');
    assert.equal(read.json.entry[0].resource.identifier[0].value, 'DE1234567890121234');
    assert.equal(read.json.entry[0].resource.period.end, '2030-12-31');
    const ahead = await postCoverage(exampleCoverageFor(plain), 'W/"9"');
    assert.equal(ahead.status, 409);
    // PDS matches If-Match against the ETag as written: W/"03" is not version 3.
    const padded = await postCoverage(exampleCoverageFor(plain), 'W/"03"');
    assert.equal(padded.status, 409);
    assert.deepEqual(padded.json, stubError('RESOURCE_VERSION_MISMATCH'));
    assert.equal((await getCoverage(plain)).json.meta.versionId, '3');
  });

  it('update: a retry with the same X-Request-ID gets the first 201 (audited as a replay); another caller\'s same id gets 409', async () => {
    const requestId = randomUUID();
    const first = await postCoverage(exampleCoverageFor(retried), 'W/"1"', { requestId });
    assert.equal(first.status, 201);
    const retry = await postCoverage(exampleCoverageFor(retried), 'W/"1"', { requestId });
    assert.equal(retry.status, 201);
    assert.deepEqual(retry.json, first.json);
    assert.equal(retry.headers.get('etag'), 'W/"2"');
    const other = await userToken(h.spine, { roleCode: 'R8000', userId: '555000000002' });
    const elsewhere = await postCoverage(exampleCoverageFor(retried), 'W/"1"', { requestId, bearer: other.token });
    assert.equal(elsewhere.status, 409);
    assert.equal((await getCoverage(retried)).json.meta.versionId, '2');
    const audit = await h.db.query('SELECT action, resource, outcome, detail FROM audit.events WHERE request_id = $1 ORDER BY seq', [requestId]);
    assert.deepEqual(audit.rows.map((a) => [a.action, a.resource, a.outcome, a.detail.replay ?? false]), [
      ['coverage.update', `Patient/${retried}/Coverage`, 'success', false],
      ['coverage.update', `Patient/${retried}/Coverage`, 'success', true],
      ['coverage.update', `Patient/${retried}/Coverage`, 'failure', false],
    ]);
  });

  it('update: of two POSTs racing on one version exactly one wins', async () => {
    const results = await Promise.all(['FRA', 'DEU', 'ESP', 'ITA'].map((country) =>
      postCoverage(exampleCoverageFor(racer, (c) => { c.identifier[0].assigner.identifier.value = country; }), 'W/"1"')));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409]);
    const read = await getCoverage(racer);
    assert.equal(read.json.meta.versionId, '2');
  });

  it('update: If-Match (412), then X-Request-ID, then the body, then the patient, then the version', async () => {
    const badBody = exampleCoverageFor('9434765919', (c) => { c.status = 'Expired'; });
    const noIfMatch = await postCoverage(badBody, null, { requestId: null });
    assert.equal(noIfMatch.status, 412);
    assert.deepEqual(noIfMatch.json, stubError('PRECONDITION_FAILED', 'Invalid request with error - If-Match header must be supplied to update this resource'));
    const noRequestId = await postCoverage(badBody, 'W/"9"', { requestId: null });
    assert.equal(noRequestId.status, 400);
    assert.deepEqual(outcomeOf(noRequestId.json).code, 'MISSING_VALUE');
    const body = await postCoverage(badBody, 'W/"9"');
    assert.deepEqual(body.json, stubError('INVALID_VALUE', "Invalid value - 'Expired' in field 'status'"));
    const patient = await postCoverage(exampleCoverageFor('9434765919'), 'W/"9"');
    assert.equal(patient.status, 404);
    assert.deepEqual(patient.json, stubError('RESOURCE_NOT_FOUND'));
    const invalidNumber = await postCoverage(exampleCoverageFor('9000000000'), 'W/"9"');
    assert.deepEqual(invalidNumber.json, stubError('INVALID_RESOURCE_ID'));
    const version = await postCoverage(exampleCoverageFor('9000000033'), 'W/"9"');
    assert.equal(version.status, 409);
    const badIfMatch = await postCoverage(exampleCoverageFor('9000000033'), '2');
    assert.equal(badIfMatch.status, 412);
  });

  it('update: the body is checked against Coverage.yaml, each field named as PDS names it', async () => {
    const cases: Array<[string, (c: any) => void, string, string]> = [
      ['card number missing', (c) => { delete c.identifier[0].value; }, 'MISSING_VALUE', "Missing value - 'identifier/0/value'"],
      ['status not active', (c) => { c.status = 'Expired'; }, 'INVALID_VALUE', "Invalid value - 'Expired' in field 'status'"],
      ['period missing', (c) => { delete c.period; }, 'MISSING_VALUE', "Missing value - 'period'"],
      ['card number with a #', (c) => { c.identifier[0].value = 'AB#12'; }, 'INVALID_VALUE', "Invalid value - 'AB#12' in field 'identifier/0/value'"],
      ['card number of 26 characters', (c) => { c.identifier[0].value = 'A'.repeat(26); }, 'INVALID_VALUE', `Invalid value - '${'A'.repeat(26)}' in field 'identifier/0/value'`],
      ['country not ISO alpha-3', (c) => { c.identifier[0].assigner.identifier.value = 'fr'; }, 'INVALID_VALUE', "Invalid value - 'fr' in field 'identifier/0/assigner/identifier/value'"],
      ['payor id of 31 characters', (c) => { c.payor[0].identifier.value = '9'.repeat(31); }, 'INVALID_VALUE', `Invalid value - '${'9'.repeat(31)}' in field 'payor/0/identifier/value'`],
      ['expiry not a date', (c) => { c.period.end = '31/12/2030'; }, 'INVALID_VALUE', "Invalid value - '31/12/2030' in field 'period/end'"],
      ['personal id a number', (c) => { c.beneficiary.identifier.value = 178705; }, 'INVALID_VALUE', "Invalid value - '178705' in field 'beneficiary/identifier/value'"],
      ['two cards', (c) => { c.identifier.push(c.identifier[0]); }, 'TOO_MANY_VALUES_SUBMITTED', ''],
      ['no payor', (c) => { c.payor = []; }, 'TOO_FEW_VALUES_SUBMITTED', ''],
    ];
    for (const [what, change, code, diagnostics] of cases) {
      const res = await postCoverage(exampleCoverageFor('9000000033', change), 'W/"1"');
      assert.equal(res.status, 400, what);
      assert.equal(outcomeOf(res.json).code, code, `${what}: ${JSON.stringify(res.json)}`);
      if (diagnostics) assert.equal(outcomeOf(res.json).diagnostics, diagnostics, what);
    }
    assert.equal((await getCoverage('9000000033')).json.meta.versionId, '1', 'nothing was stored');
  });

  it('update: accepts application/json and application/json-patch+json bodies, nothing else', async () => {
    const asPatch = await postCoverage(exampleCoverageFor('9000000033'), 'W/"1"', { headers: { 'content-type': 'application/json-patch+json' } });
    assert.equal(asPatch.status, 201, JSON.stringify(asPatch.json));
    const asJson = await postCoverage(exampleCoverageFor('9000000033'), 'W/"2"', { headers: { 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(asJson.status, 201);
    const asFhir = await postCoverage(exampleCoverageFor('9000000033'), 'W/"3"', { headers: { 'content-type': 'application/fhir+json' } });
    assert.equal(asFhir.status, 400);
    assert.equal(outcomeOf(asFhir.json).diagnostics, "Invalid value - 'application/fhir+json' in header 'Content-Type'");
    assert.equal((await getCoverage('9000000033')).json.meta.versionId, '3');
  });

  it('the coverage version belongs to the coverage: a patient PATCH does not change it', async () => {
    const before = await getCoverage('9000000009');
    const patient = await call(h, 'Patient/9000000009');
    const patched = await call(h, 'Patient/9000000009', {
      method: 'PATCH', body: { patches: [{ op: 'replace', path: '/gender', value: 'male' }] },
      headers: { 'content-type': 'application/json-patch+json', 'if-match': patient.headers.get('etag')! },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    assert.notEqual(patched.headers.get('etag'), patient.headers.get('etag'));
    const after = await getCoverage('9000000009');
    assert.equal(after.json.meta.versionId, before.json.meta.versionId);
    assert.equal(after.headers.get('etag'), before.headers.get('etag'));
  });

  it('authorised as Patient read and update', async () => {
    const searchOnly = await createAppAndToken(h.spine, { activities: ['patient:search'] });
    assert.equal((await getCoverage('9000000009', { bearer: searchOnly.token })).status, 403);
    const readOnly = await createAppAndToken(h.spine, { activities: ['patient:read'] });
    assert.equal((await getCoverage('9000000009', { bearer: readOnly.token })).status, 200);
    assert.equal((await postCoverage(exampleCoverageFor('9000000009'), 'W/"3"', { bearer: readOnly.token })).status, 403);
    assert.equal((await getCoverage('9000000009', { bearer: null })).status, 401);
  });

  it('update: an application-restricted caller is refused whatever its app was granted (403 INVALID_METHOD), and nothing is stored', async () => {
    // PDS spec: application-restricted access reads and searches; it updates no patient's details,
    // the EHIC included. An app granted patient:write got 201 and replaced the patient's EHIC.
    const app = await createAppAndToken(h.spine, { activities: ['patient:read', 'patient:write'] });
    const before = await getCoverage(plain);
    const res = await postCoverage(exampleCoverageFor(plain), before.headers.get('etag'), { bearer: app.token });
    assert.equal(res.status, 403, JSON.stringify(res.json));
    assert.deepEqual(res.json, invalidMethodStub('Cannot update resource with Application-Restricted access token'));
    assert.deepEqual((await getCoverage(plain)).json.meta, before.json.meta);
  });

  it('any body: 201 or a catalogued 400, never a server error, and nothing stored unless 201', async () => {
    const leaf = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.constant(null), fc.boolean(), fc.constantFrom('active', 'FRA', '2030-12-31', 'urn:iso:std:iso:3166'));
    const mutation = fc.tuple(fc.constantFrom(
      ['status'], ['identifier', '0', 'value'], ['identifier', '0', 'assigner', 'identifier', 'value'], ['identifier', '0', 'assigner', 'identifier', 'system'],
      ['payor', '0', 'identifier', 'value'], ['beneficiary', 'identifier', 'value'], ['period', 'end'], ['period'], ['identifier'], ['payor', '0'], ['subscriber', 'identifier'],
    ), fc.oneof(leaf, fc.array(leaf, { maxLength: 2 }), fc.constant(undefined)));
    await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
      const current = Number((await getCoverage(fuzzed)).json.meta.versionId);
      const body = exampleCoverageFor(fuzzed, (c) => {
        for (const [path, value] of mutations) {
          let node = c;
          for (const key of path.slice(0, -1)) node = node?.[key];
          if (node !== null && typeof node === 'object') node[path[path.length - 1]!] = value;
        }
      });
      const res = await postCoverage(body, `W/"${current}"`, { requestId: randomUUID() });
      const after = Number((await getCoverage(fuzzed)).json.meta.versionId);
      if (res.status === 201) {
        assert.ok(isCoverageSearch(res.json));
        assert.equal(after, current + 1);
      } else {
        assert.equal(res.status, 400, JSON.stringify(res.json));
        assert.ok(['MISSING_VALUE', 'INVALID_VALUE', 'TOO_FEW_VALUES_SUBMITTED', 'TOO_MANY_VALUES_SUBMITTED', 'INVALID_RESOURCE_ID'].includes(outcomeOf(res.json).code), JSON.stringify(res.json));
        assert.equal(after, current);
      }
    }), { numRuns: 60 });
  });
});
