import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { call, consentFor, ndopIssue, PATIENT_BASE } from './support.js';

/**
 * What a Consent API answer quotes back, and what a Consent may carry into the store: a refused
 * value is quoted in part (never a megabyte echoed), and no member the STU3 Consent does not have
 * is kept, at any depth.
 */
describe('Consent API: quoted values and stored members', () => {
  let spine: TestSpine;
  let writer: string;
  before(async () => {
    spine = await startTestSpine();
    writer = (await createAppAndToken(spine, { activities: ['consent:write', 'consent:read'] })).token;
  });
  after(async () => { await spine?.close(); });

  const post = (body: unknown) => call(spine, 'POST', '/consent/STU3/Consent', writer, body);
  const big = 'x'.repeat(1_000_000);
  const quoted = `${'x'.repeat(100)}… (1000000 characters)`;

  it('a value refused at the door is quoted by its first 100 characters and its length', async () => {
    const cases: Array<[unknown, string]> = [
      [consentFor('9000000009', { status: big }), `Invalid value - '${quoted}' in field 'status'`],
      [consentFor('9000000009', { dateTime: big }), `Invalid value - '${quoted}' in field 'dateTime'`],
      [consentFor('9000000009', { patient: { reference: big } }), `Invalid value - '${quoted}' in field 'patient/reference'`],
      [{ ...consentFor('9000000009'), [big]: 1 }, `Invalid request with error - Additional properties are not allowed ('${quoted}' was unexpected)`],
    ];
    for (const [body, diagnostics] of cases) {
      const response = await post(body);
      assert.equal(response.status, 400);
      assert.equal(ndopIssue(response.body).diagnostics, diagnostics);
    }
  });

  it('a short value is still quoted whole', async () => {
    const response = await post(consentFor('9000000009', { status: 5 }));
    assert.equal(response.status, 400);
    assert.equal(ndopIssue(response.body).diagnostics, "Invalid value - '5' in field 'status'");
  });

  it('search parameters, _format and unknown paths are quoted in part too', async () => {
    const patient = await call(spine, 'GET', `/consent/STU3/Consent?patient=${'z'.repeat(5000)}`, writer);
    assert.equal(patient.status, 400);
    assert.equal(ndopIssue(patient.body).diagnostics, `Invalid value - '${'z'.repeat(100)}… (5000 characters)' in field 'patient'`);
    const wrongBase = await call(spine, 'GET', `/consent/STU3/Consent?patient=${'y'.repeat(250)}`, writer);
    assert.equal(wrongBase.status, 400);
    assert.match(ndopIssue(wrongBase.body).diagnostics, new RegExp(`^Invalid value - '${'y'.repeat(100)}… \\(250 characters\\)' in parameter 'patient'`));
    const format = await call(spine, 'GET', `/consent/STU3/metadata?_format=xml${'q'.repeat(5000)}`, writer);
    assert.equal(format.status, 415);
    assert.equal(ndopIssue(format.body).diagnostics, `_format 'xml${'q'.repeat(97)}… (5003 characters)' is not served: this Spine answers JSON (application/json+fhir)`);
    const path = await call(spine, 'GET', `/consent/STU3/${'p'.repeat(3000)}/x`, writer);
    assert.equal(path.status, 404);
    assert.ok(ndopIssue(path.body).diagnostics.length < 200, ndopIssue(path.body).diagnostics);
  });

  it('a member the element does not have, at any depth, is 400 and nothing is stored', async () => {
    const extension = (consentFor('9000000009') as Record<string, any>).extension[0];
    const cases: Array<[unknown, string]> = [
      [consentFor('9000000009', { patient: { reference: `${PATIENT_BASE}9000000009`, junk: big } }), 'patient/junk'],
      [consentFor('9000000009', { extension: [{ ...extension, junk: 'x' }] }), 'extension/0/junk'],
      [consentFor('9000000009', { extension: [{ ...extension, valueCodeableConcept: { coding: [{ ...extension.valueCodeableConcept.coding[0], junk: 1 }] } }] }), 'extension/0/valueCodeableConcept/coding/0/junk'],
      [consentFor('9000000009', { policy: [{ uri: 'https://example.org/policy', junk: [] }] }), 'policy/0/junk'],
      [consentFor('9000000009', { _status: { junk: big } }), '_status/junk'],
      [consentFor('9000000009', { meta: { profile: ['https://fhir.nhs.uk/STU3/StructureDefinition/NDOP-Consent-1'], junk: {} } }), 'meta/junk'],
    ];
    for (const [body, path] of cases) {
      const response = await post(body);
      assert.equal(response.status, 400, path);
      assert.equal(ndopIssue(response.body).diagnostics, `Invalid request with error - Additional properties are not allowed ('${path}' was unexpected)`);
    }
    assert.equal((await spine.ctx.db.query('SELECT count(*)::int AS n FROM consent.versions')).rows[0].n, 0);
  });

  it('contained: not a list of resources is 400; any contained resource is 422 (NDOP-Consent-1 could never reference it)', async () => {
    const notAList = await post(consentFor('9000000009', { contained: big }));
    assert.equal(notAList.status, 400);
    assert.equal(ndopIssue(notAList.body).diagnostics, `Invalid value - '${quoted}' in field 'contained'`);
    const contained = await post(consentFor('9000000009', { contained: [{ resourceType: 'Patient', id: 'p1' }] }));
    assert.equal(contained.status, 422);
    assert.match(ndopIssue(contained.body).diagnostics, /^Consent\.contained is not allowed/);
    assert.equal((await spine.ctx.db.query('SELECT count(*)::int AS n FROM consent.versions')).rows[0].n, 0);
  });

  it('what an element may carry is still taken: ids, comments and primitive extensions', async () => {
    const body: Record<string, any> = consentFor('9000000009', {
      _status: { extension: [{ url: 'https://example.org/note', valueString: 'n' }] },
      patient: { id: 'p', reference: `${PATIENT_BASE}9000000009`, display: 'A patient' },
      fhir_comments: ['a comment'],
    });
    const response = await post(body);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.deepEqual(response.body._status, body._status);
    assert.deepEqual(response.body.patient, body.patient);
  });
});
