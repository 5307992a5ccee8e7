import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import {
  assertSpecSchema, call, errorIssue, issueOf, nextNhsNumber, pointerBody,
  LLOYD_GEORGE, MENTAL_HEALTH_CRISIS_PLAN, NEWS2,
} from './support.js';

/** The NRL consumer API over HTTP with OpenSpine access tokens, on PostgreSQL. */
describe('NRL consumer API', () => {
  let spine: TestSpine;
  let consumer: Record<string, string>;
  let consumerAppId: string;
  let noPermissions: Record<string, string>;
  let adminToken: string;
  const nhsNumber = nextNhsNumber();
  const subject = `https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`;
  const ids: Record<string, string> = {};

  const grant = async (appId: string, organisation: string, types: string[]) => {
    const response = await fetch(`${spine.url}/admin/record-locator/permissions/${appId}/${organisation}`, {
      method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(types),
    });
    assert.equal(response.status, 200, await response.text());
  };

  /** Producers put pointers of three types and two custodians on one patient. */
  before(async () => {
    spine = await startTestSpine();
    ({ token: adminToken } = await createAppAndToken(spine, { activities: ['record-locator:admin'] }));
    for (const [ods, types] of [['ANGY1', [MENTAL_HEALTH_CRISIS_PLAN, NEWS2]], ['RQI', [MENTAL_HEALTH_CRISIS_PLAN, LLOYD_GEORGE]]] as const) {
      const app = await createAppAndToken(spine, { activities: ['record-locator:produce'], odsCode: ods });
      await grant(app.principal.appId, ods, [...types]);
      for (const type of types) {
        const response = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference',
          { authorization: `Bearer ${app.token}`, 'nhsd-end-user-organisation-ods': ods }, { body: pointerBody(ods, nhsNumber, type) });
        assert.equal(response.status, 201, JSON.stringify(response.body));
        ids[`${ods} ${type}`] = response.headers.get('location')!.split('/').pop()!;
      }
    }
    const app = await createAppAndToken(spine, { activities: ['record-locator:consume'], odsCode: 'RX898' });
    consumerAppId = app.principal.appId;
    consumer = { authorization: `Bearer ${app.token}`, 'nhsd-end-user-organisation-ods': 'RX898' };
    await grant(consumerAppId, 'RX898', [MENTAL_HEALTH_CRISIS_PLAN, NEWS2]);
    const none = await createAppAndToken(spine, { activities: ['record-locator:consume'], odsCode: 'Z26' });
    noPermissions = { authorization: `Bearer ${none.token}`, 'nhsd-end-user-organisation-ods': 'Z26' };
  });
  after(async () => { await spine?.close(); });

  const search = (query: string, identity = consumer) => call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${query}`, identity);
  const idsOf = (bundle: { entry: Array<{ resource: { id: string } }> }) => bundle.entry.map((e) => e.resource.id).sort();

  it('finds a patient\'s pointers of the allowed types only: others are simply absent', async () => {
    const response = await search(`subject:identifier=${encodeURIComponent(subject)}`);
    assert.equal(response.status, 200);
    assertSpecSchema('consumer', 'Bundle', response.body);
    const audited = await spine.ctx.db.query(`SELECT app_id, detail FROM audit.events WHERE action = 'pointer.search' AND $1 = ANY(nhs_numbers)`, [nhsNumber]);
    assert.ok(audited.rows.some((r) => r.app_id === consumerAppId && r.detail.total === 3 && r.detail.api === 'consumer'));
    assert.equal(response.body.resourceType, 'Bundle');
    assert.equal(response.body.type, 'searchset');
    assert.equal(response.body.total, 3);
    assert.deepEqual(idsOf(response.body), [ids[`ANGY1 ${MENTAL_HEALTH_CRISIS_PLAN}`], ids[`ANGY1 ${NEWS2}`], ids[`RQI ${MENTAL_HEALTH_CRISIS_PLAN}`]].sort());
    assert.deepEqual(response.body.link, [{
      relation: 'self',
      url: `${spine.config.publicBaseUrl}/record-locator/consumer/FHIR/R4/DocumentReference?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`,
    }]);
    for (const entry of response.body.entry) assertSpecSchema('consumer', 'DocumentReference', entry.resource);
  });

  it('filters by type, category and custodian:identifier, the same by POST _search', async () => {
    const byType = await search(`subject:identifier=${encodeURIComponent(subject)}&type=${encodeURIComponent(NEWS2)}`);
    assert.deepEqual(idsOf(byType.body), [ids[`ANGY1 ${NEWS2}`]]);
    assert.equal(byType.body.link[0].url.endsWith(`?subject:identifier=${subject}&type=${NEWS2}`), true);
    const byCategory = await search(`subject:identifier=${encodeURIComponent(subject)}&category=${encodeURIComponent('http://snomed.info/sct|734163000')}`);
    assert.deepEqual(idsOf(byCategory.body), [ids[`ANGY1 ${MENTAL_HEALTH_CRISIS_PLAN}`], ids[`RQI ${MENTAL_HEALTH_CRISIS_PLAN}`]].sort());
    const byCustodian = await search(`subject:identifier=${encodeURIComponent(subject)}&custodian:identifier=${encodeURIComponent('https://fhir.nhs.uk/Id/ods-organization-code|RQI')}`);
    assert.deepEqual(idsOf(byCustodian.body), [ids[`RQI ${MENTAL_HEALTH_CRISIS_PLAN}`]]);
    const post = await call(spine, 'POST', '/consumer/FHIR/R4/DocumentReference/_search', consumer,
      { body: { 'subject:identifier': subject, 'custodian:identifier': 'https://fhir.nhs.uk/Id/ods-organization-code|ANGY1' }, contentType: 'application/json' });
    assert.equal(post.status, 200);
    assertSpecSchema('consumer', 'Bundle', post.body);
    assert.deepEqual(idsOf(post.body), [ids[`ANGY1 ${MENTAL_HEALTH_CRISIS_PLAN}`], ids[`ANGY1 ${NEWS2}`]].sort());
    const notAllowed = await search(`subject:identifier=${encodeURIComponent(subject)}&type=${encodeURIComponent(LLOYD_GEORGE)}`);
    assert.equal(notAllowed.status, 200);
    assert.equal(notAllowed.body.total, 0);
  });

  it('answers NRL\'s parameter errors: unknown parameter, missing subject, bad NHS number, type system not allowed', async () => {
    const extra = await search(`subject:identifier=${encodeURIComponent(subject)}&extra=parameter`);
    assert.equal(extra.status, 400);
    assertSpecSchema('consumer', 'OperationOutcome', extra.body);
    assert.deepEqual(issueOf(extra.body), errorIssue('INVALID_PARAMETER', 'Invalid parameter', 'invalid',
      'Invalid query parameter (extra: extra fields not permitted)', 'extra'));
    const missing = await search('');
    assert.deepEqual(issueOf(missing.body), errorIssue('INVALID_PARAMETER', 'Invalid parameter', 'invalid',
      'Invalid query parameter (subject:identifier: field required)', 'subject:identifier'));
    const badNumber = await search(`subject:identifier=${encodeURIComponent('https://fhir.nhs.uk/Id/nhs-number|123')}`);
    assert.equal(badNumber.status, 400);
    assert.deepEqual(issueOf(badNumber.body), errorIssue('INVALID_NHS_NUMBER', 'Invalid NHS number', 'invalid',
      'A valid NHS number is required to search for document references', 'subject:identifier'));
    const badSystem = await search(`subject:identifier=${encodeURIComponent(subject)}&type=${encodeURIComponent('http://incorrect.info/sct|736253002')}`);
    assert.equal(badSystem.status, 400);
    assert.deepEqual(issueOf(badSystem.body), errorIssue('INVALID_CODE_SYSTEM', 'Invalid code system', 'code-invalid',
      'Invalid query parameter (The provided type system does not match the allowed types for this organisation)', 'type'));
    const badSubject = await search(`subject:identifier=${encodeURIComponent('https://example.org|9000000009')}`);
    assert.deepEqual(issueOf(badSubject.body), errorIssue('INVALID_PARAMETER', 'Invalid parameter', 'invalid',
      'Invalid query parameter (subject:identifier: string does not match regex "^https\\:\\/\\/fhir\\.nhs\\.uk\\/Id\\/nhs-number\\|(\\d+)$")', 'subject:identifier'));
    // A repeated parameter is its last value, as NRL's API gateway hands a query to NRLF
    // (queryStringParameters keeps one value a name, the last).
    const lastValid = await search(`subject:identifier=${encodeURIComponent('https://example.org|1')}&subject:identifier=${encodeURIComponent(subject)}`);
    assert.equal(lastValid.status, 200, JSON.stringify(lastValid.body));
    assert.deepEqual(lastValid.body.entry, (await search(`subject:identifier=${encodeURIComponent(subject)}`)).body.entry);
    const lastInvalid = await search(`subject:identifier=${encodeURIComponent(subject)}&subject:identifier=${encodeURIComponent('https://example.org|9000000009')}`);
    assert.deepEqual(issueOf(lastInvalid.body), issueOf(badSubject.body));
    const count = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference/_count?subject:identifier=x&subject:identifier=${encodeURIComponent(subject)}`, consumer);
    assert.equal(count.status, 200, JSON.stringify(count.body));
    const postBad = await call(spine, 'POST', '/consumer/FHIR/R4/DocumentReference/_search', consumer, { body: { 'subject:identifier': 42 }, contentType: 'application/json' });
    assert.equal(postBad.status, 400);
    // A POST _search body is a body to NRLF: one that fails the parameters' model cannot be parsed.
    assert.deepEqual(issueOf(postBad.body), errorIssue('MESSAGE_NOT_WELL_FORMED', 'Message not well formed', 'invalid',
      'Request body could not be parsed (subject:identifier: str type expected)', 'subject:identifier'));
  });

  it('refuses an organisation with no pointer types: 403 ACCESS DENIED, audited as denied', async () => {
    const response = await search(`subject:identifier=${encodeURIComponent(subject)}`, noPermissions);
    assert.equal(response.status, 403);
    assert.deepEqual(issueOf(response.body), errorIssue('ACCESS DENIED', 'Access has been denied to process this request', 'forbidden',
      "Your organisation 'Z26' does not have permission to access this resource. Contact the onboarding team."));
    const audited = await spine.ctx.db.query(`SELECT outcome FROM audit.events WHERE action = 'pointer.access-denied' AND ods_code = 'Z26'`);
    assert.deepEqual(audited.rows.map((r) => r.outcome), ['denied']);
  });

  it('reads a pointer of an allowed type (audited); another type is 403 ACCESS DENIED; unknown is 404 NO_RECORD_FOUND', async () => {
    const id = ids[`ANGY1 ${NEWS2}`]!;
    const read = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference/${id}`, consumer);
    assert.equal(read.status, 200);
    assertSpecSchema('consumer', 'DocumentReference', read.body);
    assert.equal(read.body.id, id);
    // The response waited for its audit record, so it is already there.
    const audited = await spine.ctx.db.query(`SELECT action, nhs_numbers, app_id, ods_code, outcome FROM audit.events WHERE resource = $1`, [`DocumentReference/${id}`]);
    assert.deepEqual(audited.rows.filter((r) => r.action === 'pointer.read').map((r) => [r.app_id, r.ods_code, r.nhs_numbers, r.outcome]),
      [[consumerAppId, 'RX898', [nhsNumber], 'success']]);
    const other = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference/${ids[`RQI ${LLOYD_GEORGE}`]}`, consumer);
    assert.equal(other.status, 403);
    assert.deepEqual(issueOf(other.body), errorIssue('ACCESS DENIED', 'Access has been denied to process this request', 'forbidden',
      'The requested DocumentReference is not of a type that this organisation is allowed to access'));
    const unknown = await call(spine, 'GET', '/consumer/FHIR/R4/DocumentReference/RQI-unknown', consumer);
    assert.equal(unknown.status, 404);
    assert.deepEqual(issueOf(unknown.body), errorIssue('NO_RECORD_FOUND', 'No record found', 'not-found', 'The requested DocumentReference could not be found'));
  });

  it('counts a patient\'s pointers of the allowed types with _count', async () => {
    const response = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference/_count?subject:identifier=${encodeURIComponent(subject)}`, consumer);
    assert.equal(response.status, 200);
    assertSpecSchema('consumer', 'Bundle', response.body);
    assert.deepEqual(response.body, { resourceType: 'Bundle', type: 'searchset', total: 3 });
    const bad = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference/_count?subject:identifier=${encodeURIComponent('https://fhir.nhs.uk/Id/nhs-number|9000000000')}`, consumer);
    assert.equal(bad.status, 400);
    assert.deepEqual(issueOf(bad.body), errorIssue('INVALID_IDENTIFIER_VALUE', 'Invalid identifier value', 'invalid',
      'Invalid NHS number provided in the query parameters', 'subject:identifier'));
  });

  it('pages 20 at a time with next-page-token; the last page has exactly one self link', async () => {
    const patient = nextNhsNumber();
    const producerApp = await createAppAndToken(spine, { activities: ['record-locator:produce'], odsCode: 'PAGE1' });
    await grant(producerApp.principal.appId, 'PAGE1', [NEWS2]);
    const producerIdentity = { authorization: `Bearer ${producerApp.token}`, 'nhsd-end-user-organisation-ods': 'PAGE1' };
    for (let i = 0; i < 23; i++) {
      const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producerIdentity, { body: pointerBody('PAGE1', patient, NEWS2) });
      assert.equal(created.status, 201);
    }
    const first = await search(`subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${patient}`)}`);
    assert.equal(first.body.total, 23);
    assert.equal(first.body.entry.length, 20);
    assert.deepEqual(first.body.link.map((l: { relation: string }) => l.relation), ['self', 'next']);
    const next = new URL(first.body.link[1].url);
    const token = next.searchParams.get('next-page-token')!;
    // The spec: "This token is returned in the meta.tag field" (NRLF's coding); the next link carries the same.
    assert.deepEqual(first.body.meta, { tag: [{ code: token, display: 'next_page_token' }] });
    const second = await search(`subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${patient}`)}&next-page-token=${token}`);
    assert.equal(second.status, 200);
    assert.equal(second.body.total, 23);
    assert.equal(second.body.entry.length, 3);
    assert.equal(second.body.link.length, 1);
    assert.equal(second.body.link[0].relation, 'self');
    assert.equal(second.body.meta, undefined, 'the last page has no next-page token');
    const all = [...first.body.entry, ...second.body.entry].map((e: { resource: { id: string } }) => e.resource.id);
    assert.equal(new Set(all).size, 23);
    const bad = await search(`subject:identifier=${encodeURIComponent(subject)}&next-page-token=%21%21`);
    assert.deepEqual(issueOf(bad.body), errorIssue('INVALID_PARAMETER', 'Invalid parameter', 'invalid',
      'Invalid query parameter (next-page-token: invalid page token)', 'next-page-token'));
  });

  it('answers 401 in NRL\'s shape without a token, and 400 MISSING_OR_INVALID_HEADER without X-Request-ID', async () => {
    const response = await fetch(`${spine.url}/record-locator/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(subject)}`,
      { headers: { 'x-request-id': crypto.randomUUID() } });
    assert.equal(response.status, 401);
    const body = await response.json();
    assertSpecSchema('consumer', 'OperationOutcome', body);
    assert.equal(issueOf(body).code, 'forbidden');
    const noRequestId = await fetch(`${spine.url}/record-locator/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(subject)}`,
      { headers: { authorization: consumer.authorization! } });
    assert.equal(noRequestId.status, 400);
    assert.deepEqual(issueOf(await noRequestId.json()), errorIssue('MISSING_OR_INVALID_HEADER', 'There is a required header missing or invalid', 'invalid',
      'The X-Request-Id header is missing or invalid'));
  });

  it('refuses a token without record-locator:consume with 403 ACCESS DENIED in NRL\'s shape (the platform guard, audited)', async () => {
    const producerOnly = await createAppAndToken(spine, { activities: ['record-locator:produce'], odsCode: 'RX898' });
    const response = await search(`subject:identifier=${encodeURIComponent(subject)}`,
      { authorization: `Bearer ${producerOnly.token}`, 'nhsd-end-user-organisation-ods': 'RX898' });
    assert.equal(response.status, 403);
    assertSpecSchema('consumer', 'OperationOutcome', response.body);
    assert.deepEqual(issueOf(response.body), errorIssue('ACCESS DENIED', 'Access has been denied to process this request', 'forbidden',
      "Access denied: application Test application is not permitted 'record-locator:consume'"));
    const audited = await spine.ctx.db.query(`SELECT outcome FROM audit.events WHERE action = 'access.denied' AND app_id = $1`, [producerOnly.principal.appId]);
    assert.deepEqual(audited.rows.map((r) => r.outcome), ['denied']);
  });

  it('serves /_status and a CapabilityStatement at metadata without a token', async () => {
    for (const side of ['producer', 'consumer']) {
      const status = await fetch(`${spine.url}/record-locator/${side}/FHIR/R4/_status`);
      assert.equal(status.status, 200);
      assert.deepEqual(await status.json(), { message: 'OK' });
      const metadata = await fetch(`${spine.url}/record-locator/${side}/FHIR/R4/metadata`);
      assert.equal(metadata.status, 200);
      const capability = await metadata.json();
      assert.equal(capability.resourceType, 'CapabilityStatement');
      assert.equal(capability.rest[0].resource[0].type, 'DocumentReference');
    }
  });
});
