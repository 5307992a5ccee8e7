import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import {
  assertSpecSchema, call, errorIssue, issueOf, nextNhsNumber, pointerBody, LLOYD_GEORGE, MENTAL_HEALTH_CRISIS_PLAN, NEWS2, RESPONSE_SYSTEM, grantPointerTypes,
} from './support.js';

/** The NRL producer API over HTTP with OpenSpine access tokens (token mode), on PostgreSQL. */
describe('NRL producer API', () => {
  let spine: TestSpine;
  let producer: Record<string, string>;
  let otherProducer: Record<string, string>;
  let noPermissions: Record<string, string>;
  let producerAppId: string;

  const granted = (appId: string, organisation: string, types: string[]) => grantPointerTypes(spine, appId, organisation, types);

  before(async () => {
    spine = await startTestSpine();
    const app = await createAppAndToken(spine, { activities: ['record-locator:produce'], odsCode: 'ANGY1' });
    producerAppId = app.principal.appId;
    producer = { authorization: `Bearer ${app.token}`, 'nhsd-end-user-organisation-ods': 'ANGY1' };
    await granted(producerAppId, 'ANGY1', [MENTAL_HEALTH_CRISIS_PLAN, NEWS2]);
    const other = await createAppAndToken(spine, { activities: ['record-locator:produce'], odsCode: 'OTHER1' });
    otherProducer = { authorization: `Bearer ${other.token}`, 'nhsd-end-user-organisation-ods': 'OTHER1' };
    await granted(other.principal.appId, 'OTHER1', [MENTAL_HEALTH_CRISIS_PLAN]);
    const none = await createAppAndToken(spine, { activities: ['record-locator:produce'], odsCode: 'RX898' });
    noPermissions = { authorization: `Bearer ${none.token}`, 'nhsd-end-user-organisation-ods': 'RX898' };
  });
  after(async () => { await spine?.close(); });

  const create = async (body: unknown, identity = producer) => call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', identity, { body });
  const createdId = (response: { headers: Headers }) => response.headers.get('location')!.split('/').pop()!;

  it('a pointer\'s text comes back as sent, whatever it holds: quotes, backslashes, escapes, characters beyond the BMP (property)', async () => {
    // Well-formed text without NUL, not empty: what the door lets through (lone surrogates and NUL are refused there, and FHIR's string pattern refuses an empty one).
    const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((t) => !t.includes('\u0000'));
    const awkward = fc.constantFrom('"', '\\', '\\"', '{"a":[1]}', '\\u0041', '\u2028', '😀', 'é', '\t\n');
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(text, awkward), { minLength: 1, maxLength: 4 }).map((parts) => `note ${parts.join('')}`), async (description) => {
      const created = await create(pointerBody('ANGY1', nextNhsNumber(), MENTAL_HEALTH_CRISIS_PLAN, { description }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const read = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${createdId(created)}`, producer);
      assert.equal(read.body.description, description);
    }), { numRuns: 40 });
  });

  it('creates a pointer: 201 RESOURCE_CREATED, relative Location, id {ODS}-{uuid} (version 7, time-ordered), stored with date and lastUpdated', async () => {
    const nhsNumber = nextNhsNumber();
    const response = await create(pointerBody('ANGY1', nhsNumber));
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assertSpecSchema('producer', 'OperationOutcome', response.body);
    assert.deepEqual(issueOf(response.body), {
      severity: 'information', code: 'informational',
      details: { coding: [{ system: RESPONSE_SYSTEM, code: 'RESOURCE_CREATED', display: 'Resource created' }] },
      diagnostics: 'The document has been created',
    });
    assert.match(response.headers.get('location')!, /^\/producer\/FHIR\/R4\/DocumentReference\/ANGY1-[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(response.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
    // One producer's new ids follow each other (the indexes gain at their end, not at random pages).
    const next = await create(pointerBody('ANGY1', nextNhsNumber()));
    assert.ok(createdId(next) > createdId(response), `${createdId(next)} sorts after ${createdId(response)}`);

    const id = createdId(response);
    const read = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer);
    assert.equal(read.status, 200);
    assertSpecSchema('producer', 'DocumentReference', read.body);
    assert.equal(read.body.id, id);
    assert.equal(read.body.subject.identifier.value, nhsNumber);
    assert.match(read.body.date, /^\d{4}-\d\d-\d\dT/);
    assert.equal(read.body.meta.lastUpdated, read.body.date);

    const events = await spine.ctx.db.query(`SELECT event_type, nhs_number, payload FROM platform.outbox WHERE payload->>'id' = $1`, [id]);
    assert.deepEqual(events.rows.map((r) => [r.event_type, r.nhs_number]), [['nrl-pointer-created', nhsNumber]]);
  });

  it('ignores an id in a create body: the server assigns one', async () => {
    const response = await create({ ...pointerBody('ANGY1', nextNhsNumber()), id: 'ANGY1-chosen-by-me' });
    assert.equal(response.status, 201);
    assert.notEqual(createdId(response), 'ANGY1-chosen-by-me');
  });

  it('refuses a pointer whose custodian is another organisation: 400 BAD_REQUEST', async () => {
    const response = await create(pointerBody('N0TANGY', nextNhsNumber()));
    assert.equal(response.status, 400);
    assertSpecSchema('producer', 'OperationOutcome', response.body);
    assert.deepEqual(issueOf(response.body), errorIssue('BAD_REQUEST', 'Bad request', 'invalid',
      'The custodian of the provided DocumentReference does not match the expected ODS code for this organisation', 'custodian.identifier.value'));
  });

  it('refuses a type the producer is not allowed: 403 AUTHOR_CREDENTIALS_ERROR', async () => {
    const response = await create(pointerBody('ANGY1', nextNhsNumber(), LLOYD_GEORGE));
    assert.equal(response.status, 403);
    assert.deepEqual(issueOf(response.body), errorIssue('AUTHOR_CREDENTIALS_ERROR', 'Author credentials error', 'forbidden',
      'The type of the provided DocumentReference is not in the list of allowed types for this organisation', 'type.coding[0].code'));
  });

  it('refuses a category that is not its type\'s: 400 INVALID_RESOURCE', async () => {
    const body = pointerBody('ANGY1', nextNhsNumber(), NEWS2);
    body.category = [{ coding: [{ system: 'http://snomed.info/sct', code: '734163000', display: 'Care plan' }] }];
    const response = await create(body);
    assert.equal(response.status, 400);
    assert.deepEqual(issueOf(response.body), errorIssue('INVALID_RESOURCE', 'Invalid validation of resource', 'value',
      "The Category code of the provided document 'http://snomed.info/sct|734163000' must match the allowed category for pointer type 'http://snomed.info/sct|1363501000000100' with a category value of 'http://snomed.info/sct|1102421000000108'",
      'category.coding[0].code'));
  });

  it('refuses an organisation with no permissions at all: 403 ACCESS DENIED', async () => {
    const response = await create(pointerBody('RX898', nextNhsNumber()), noPermissions);
    assert.equal(response.status, 403);
    assert.deepEqual(issueOf(response.body), errorIssue('ACCESS DENIED', 'Access has been denied to process this request', 'forbidden',
      "Your organisation 'RX898' does not have permission to access this resource. Contact the onboarding team."));
  });

  it('supersedes: the new pointer is created and the replaced one deleted in one transaction, 201 RESOURCE_SUPERSEDED', async () => {
    const nhsNumber = nextNhsNumber();
    const old = createdId(await create(pointerBody('ANGY1', nhsNumber)));
    const response = await create(pointerBody('ANGY1', nhsNumber, MENTAL_HEALTH_CRISIS_PLAN, {
      relatesTo: [{ code: 'replaces', target: { type: 'DocumentReference', identifier: { value: old } } }],
    }));
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.deepEqual(issueOf(response.body).details, { coding: [{ system: RESPONSE_SYSTEM, code: 'RESOURCE_SUPERSEDED', display: 'Resource created and resource(s) deleted' }] });
    assert.equal(issueOf(response.body).diagnostics, 'The document has been superseded by a new version');
    const id = createdId(response);
    assert.equal((await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${old}`, producer)).status, 404);
    assert.equal((await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer)).status, 200);
    const events = await spine.ctx.db.query(`SELECT event_type, payload FROM platform.outbox WHERE payload->>'id' = $1`, [id]);
    assert.deepEqual(events.rows.map((r) => [r.event_type, r.payload.replaces]), [['nrl-pointer-superseded', [old]]]);
  });

  it('refuses to supersede a pointer of another patient, another type, another organisation or none, and changes nothing', async () => {
    const nhsNumber = nextNhsNumber();
    const old = createdId(await create(pointerBody('ANGY1', nhsNumber)));
    const replaces = (value: string) => ({ relatesTo: [{ code: 'replaces', target: { identifier: { value } } }] });
    const cases: Array<[unknown, string]> = [
      [pointerBody('ANGY1', nextNhsNumber(), MENTAL_HEALTH_CRISIS_PLAN, replaces(old)), 'The relatesTo target document NHS number does not match the NHS number in the request'],
      [pointerBody('ANGY1', nhsNumber, NEWS2, replaces(old)), 'The relatesTo target document type does not match the type in the request'],
      [pointerBody('ANGY1', nhsNumber, MENTAL_HEALTH_CRISIS_PLAN, replaces('OTHER1-123')), 'The relatesTo target identifier value does not include the expected ODS code for this organisation'],
      [pointerBody('ANGY1', nhsNumber, MENTAL_HEALTH_CRISIS_PLAN, replaces('ANGY1-does-not-exist')), 'The relatesTo target document does not exist'],
    ];
    for (const [body, diagnostics] of cases) {
      const before = await spine.ctx.db.query('SELECT count(*)::int AS n FROM record_locator.pointers');
      const response = await create(body);
      assert.equal(response.status, 400, diagnostics);
      assert.deepEqual(issueOf(response.body), errorIssue('BAD_REQUEST', 'Bad request', 'invalid', diagnostics, 'relatesTo[0].target.identifier.value'));
      const afterCount = await spine.ctx.db.query('SELECT count(*)::int AS n FROM record_locator.pointers');
      assert.equal(afterCount.rows[0].n, before.rows[0].n);
    }
    assert.equal((await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${old}`, producer)).status, 200);
  });

  it('upserts with a producer-chosen id: 201 and Location; the same id again is 409 DUPLICATE_REJECTED', async () => {
    const id = `ANGY1-local-${Date.now()}`;
    const body = { ...pointerBody('ANGY1', nextNhsNumber()), id };
    const response = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', producer, { body });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(response.headers.get('location'), `/producer/FHIR/R4/DocumentReference/${id}`);
    assert.equal(issueOf(response.body).diagnostics, 'The document has been created');
    const again = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', producer, { body });
    assert.equal(again.status, 409);
    assert.deepEqual(issueOf(again.body), errorIssue('DUPLICATE_REJECTED', 'Create would lead to creation of a duplicate resource', 'conflict',
      `A DocumentReference with id '${id}' already exists`));
  });

  it('a pointer upserted with an id the spec lets a producer choose (its `_`) is read, updated and deleted at its Location', async () => {
    // Found by probing: DocumentReference.id allows `_` after the ODS code, DocumentId (the path's) does not;
    // the pointer was created 201 with a Location every operation then refused 400 INVALID_PARAMETER.
    const id = `ANGY1-under_score_${Date.now()}`;
    const body = { ...pointerBody('ANGY1', nextNhsNumber()), id };
    const created = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', producer, { body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const location = created.headers.get('location')!;
    assert.equal(location, `/producer/FHIR/R4/DocumentReference/${id}`);
    const read = await call(spine, 'GET', location, producer);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.id, id);
    const updated = await call(spine, 'PUT', location, producer, { body: { ...read.body, description: 'changed' } });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal((issueOf(updated.body) as any).details.coding[0].code, 'RESOURCE_UPDATED');
    assert.equal((await call(spine, 'GET', location, producer)).body.description, 'changed');
    const deleted = await call(spine, 'DELETE', location, producer);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal((await call(spine, 'GET', location, producer)).status, 404);
  });

  it('refuses an upsert id without the producer\'s ODS code, and one without an id', async () => {
    const wrong = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', producer, { body: { ...pointerBody('ANGY1', nextNhsNumber()), id: 'OTHER1-abc' } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(issueOf(wrong.body), errorIssue('BAD_REQUEST', 'Bad request', 'invalid',
      'The id of the provided DocumentReference does not include the expected ODS code for this organisation'));
    const missing = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', producer, { body: pointerBody('ANGY1', nextNhsNumber()) });
    assert.equal(missing.status, 400);
    assert.deepEqual(issueOf(missing.body), errorIssue('INVALID_RESOURCE', 'Invalid validation of resource', 'required', "The required field 'id' is missing", 'id'));
  });

  it('updates mutable fields (200 RESOURCE_UPDATED), keeps date, refuses every immutable field', async () => {
    const nhsNumber = nextNhsNumber();
    const id = createdId(await create(pointerBody('ANGY1', nhsNumber)));
    const stored = (await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer)).body;
    const changed = { ...stored, description: 'Updated description', date: '2020-01-01T00:00:00Z' };
    const response = await call(spine, 'PUT', `/producer/FHIR/R4/DocumentReference/${id}`, producer, { body: changed });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertSpecSchema('producer', 'OperationOutcome', response.body);
    assert.deepEqual(issueOf(response.body), {
      severity: 'information', code: 'informational',
      details: { coding: [{ system: RESPONSE_SYSTEM, code: 'RESOURCE_UPDATED', display: 'Resource updated' }] },
      diagnostics: 'The DocumentReference has been updated',
    });
    const read = (await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer)).body;
    assert.equal(read.description, 'Updated description');
    assert.equal(read.date, stored.date);

    const immutable: Record<string, unknown> = {
      masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.3' },
      identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.4' }],
      status: 'superseded',
      type: { coding: [{ system: 'http://snomed.info/sct', code: '1363501000000100', display: 'NEWS2' }] },
      subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: nextNhsNumber() } },
      custodian: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'OTHER1' } },
      relatesTo: [{ code: 'appends', target: { identifier: { value: 'ANGY1-x' } } }],
      author: [{ identifier: { value: 'Practitioner/A1' } }],
    };
    for (const [field, value] of Object.entries(immutable)) {
      const body = { ...read, [field]: value };
      if (field === 'type') body.category = [{ coding: [{ system: 'http://snomed.info/sct', code: '1102421000000108', display: 'Observations' }] }];
      const refused = await call(spine, 'PUT', `/producer/FHIR/R4/DocumentReference/${id}`, producer, { body });
      assert.equal(refused.status, 400, field);
      assert.deepEqual(issueOf(refused.body), errorIssue('BAD_REQUEST', 'Bad request', 'invalid', `The field '${field}' is immutable and cannot be updated`, field));
    }
    const events = await spine.ctx.db.query(`SELECT event_type FROM platform.outbox WHERE payload->>'id' = $1 ORDER BY id`, [id]);
    assert.deepEqual(events.rows.map((r) => r.event_type), ['nrl-pointer-created', 'nrl-pointer-updated']);
  });

  it('refuses an update whose body id differs from the path, of another organisation, or of a missing pointer', async () => {
    const id = createdId(await create(pointerBody('ANGY1', nextNhsNumber())));
    const stored = (await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer)).body;
    const mismatch = await call(spine, 'PUT', `/producer/FHIR/R4/DocumentReference/ANGY1-other`, producer, { body: stored });
    assert.equal(mismatch.status, 400);
    assert.equal(issueOf(mismatch.body).diagnostics, 'The document id in the path does not match the document id in the body');
    const foreign = await call(spine, 'PUT', `/producer/FHIR/R4/DocumentReference/OTHER1-1`, producer, { body: { ...stored, id: 'OTHER1-1' } });
    assert.equal(foreign.status, 403);
    assert.deepEqual(issueOf(foreign.body), errorIssue('AUTHOR_CREDENTIALS_ERROR', 'Author credentials error', 'forbidden',
      'The id of the provided DocumentReference does not include the expected ODS code for this organisation'));
    const missing = await call(spine, 'PUT', `/producer/FHIR/R4/DocumentReference/ANGY1-gone`, producer, { body: { ...stored, id: 'ANGY1-gone' } });
    assert.equal(missing.status, 404);
    assert.deepEqual(issueOf(missing.body), errorIssue('NO_RECORD_FOUND', 'No record found', 'not-found', 'The requested DocumentReference could not be found'));
  });

  it('deletes its own pointer (200 RESOURCE_DELETED, event), refuses another organisation\'s (403), 404 when gone', async () => {
    const id = createdId(await create(pointerBody('ANGY1', nextNhsNumber())));
    const foreign = await call(spine, 'DELETE', `/producer/FHIR/R4/DocumentReference/${id}`, otherProducer);
    assert.equal(foreign.status, 403);
    assert.deepEqual(issueOf(foreign.body), errorIssue('AUTHOR_CREDENTIALS_ERROR', 'Author credentials error', 'forbidden',
      'The requested DocumentReference cannot be deleted because it belongs to another organisation'));
    const response = await call(spine, 'DELETE', `/producer/FHIR/R4/DocumentReference/${id}`, producer);
    assert.equal(response.status, 200);
    assertSpecSchema('producer', 'OperationOutcome', response.body);
    assert.deepEqual(issueOf(response.body), {
      severity: 'information', code: 'informational',
      details: { coding: [{ system: RESPONSE_SYSTEM, code: 'RESOURCE_DELETED', display: 'Resource deleted' }] },
      diagnostics: 'The requested DocumentReference has been deleted',
    });
    const gone = await call(spine, 'DELETE', `/producer/FHIR/R4/DocumentReference/${id}`, producer);
    assert.equal(gone.status, 404);
    const events = await spine.ctx.db.query(`SELECT event_type FROM platform.outbox WHERE payload->>'id' = $1 ORDER BY id`, [id]);
    assert.deepEqual(events.rows.map((r) => r.event_type), ['nrl-pointer-created', 'nrl-pointer-deleted']);
  });

  it('a DELETE carrying a Content-Type (a client\'s default headers) deletes: the operation has no body, and NRL never reads one', async () => {
    for (const contentType of ['application/fhir+json', 'application/json', 'application/xml']) {
      const id = createdId(await create(pointerBody('ANGY1', nextNhsNumber())));
      const response = await call(spine, 'DELETE', `/producer/FHIR/R4/DocumentReference/${id}`, producer, { headers: { 'content-type': contentType } });
      assert.equal(response.status, 200, `${contentType}: ${JSON.stringify(response.body)}`);
      assert.equal(issueOf(response.body).diagnostics, 'The requested DocumentReference has been deleted');
      const withBody = await call(spine, 'DELETE', `/producer/FHIR/R4/DocumentReference/${id}`, producer, { rawBody: '{"ignored":', contentType });
      assert.equal(withBody.status, 404, `${contentType}: ${JSON.stringify(withBody.body)}`);
    }
  });

  it('reads only its own pointers: another organisation\'s is 403 AUTHOR_CREDENTIALS_ERROR', async () => {
    const id = createdId(await create(pointerBody('ANGY1', nextNhsNumber())));
    const response = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, otherProducer);
    assert.equal(response.status, 403);
    assert.deepEqual(issueOf(response.body), errorIssue('AUTHOR_CREDENTIALS_ERROR', 'Author credentials error', 'forbidden',
      'The requested DocumentReference cannot be read because it belongs to another organisation'));
  });

  it('a search with no parameters (the subject is optional here) has a self link of the bare search URL, with no empty query', async () => {
    // Found by probing: the self link was `…/DocumentReference?`.
    await create(pointerBody('ANGY1', nextNhsNumber()));
    const search = `${spine.config.publicBaseUrl}/record-locator/producer/FHIR/R4/DocumentReference`;
    for (const response of [await call(spine, 'GET', '/producer/FHIR/R4/DocumentReference', producer),
      await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference/_search', producer, { body: {} })]) {
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(response.body.link[0], { relation: 'self', url: search });
    }
  });

  it('searches its own pointers by GET and POST _search, filtered by subject and type', async () => {
    const nhsNumber = nextNhsNumber();
    const mine = [createdId(await create(pointerBody('ANGY1', nhsNumber))), createdId(await create(pointerBody('ANGY1', nhsNumber, NEWS2)))];
    await create(pointerBody('OTHER1', nhsNumber), otherProducer);
    const subject = `https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`;
    const get = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(subject)}`, producer);
    assert.equal(get.status, 200);
    assertSpecSchema('producer', 'Bundle', get.body);
    assert.equal(get.body.total, 2);
    assert.deepEqual(get.body.entry.map((e: any) => e.resource.id).sort(), [...mine].sort());
    assert.deepEqual(get.body.link, [{ relation: 'self', url: `${spine.config.publicBaseUrl}/record-locator/producer/FHIR/R4/DocumentReference?subject:identifier=${subject}` }]);
    const post = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference/_search', producer,
      { body: { 'subject:identifier': subject, type: NEWS2 }, contentType: 'application/json' });
    assert.equal(post.status, 200);
    assert.deepEqual(post.body.entry.map((e: any) => e.resource.id), [mine[1]]);
    const invalid = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent('https://fhir.nhs.uk/Id/nhs-number|1234567890')}`, producer);
    assert.equal(invalid.status, 400);
    assert.deepEqual(issueOf(invalid.body), errorIssue('INVALID_NHS_NUMBER', 'Invalid NHS number', 'invalid',
      'Invalid NHS number provided in the search parameters', 'subject:identifier'));
  });

  it('a filtered search\'s total is its matches across all pages (the spec\'s Bundle.total), on every page', async () => {
    const app = await createAppAndToken(spine, { activities: ['record-locator:produce'], odsCode: 'TOTL1' });
    await granted(app.principal.appId, 'TOTL1', [MENTAL_HEALTH_CRISIS_PLAN, NEWS2]);
    const identity = { authorization: `Bearer ${app.token}`, 'nhsd-end-user-organisation-ods': 'TOTL1' };
    const nhsNumber = nextNhsNumber();
    for (let i = 0; i < 21; i++) assert.equal((await create(pointerBody('TOTL1', nhsNumber, NEWS2), identity)).status, 201);
    await create(pointerBody('TOTL1', nhsNumber), identity);
    const query = `subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`)}&type=${encodeURIComponent(NEWS2)}`;
    const first = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference?${query}`, identity);
    assert.deepEqual([first.body.total, first.body.entry.length], [21, 20]);
    const token = first.body.meta.tag[0].code as string;
    const second = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference?${query}&next-page-token=${token}`, identity);
    assert.deepEqual([second.body.total, second.body.entry.length], [21, 1]);
  });

  it('an upsert supersedes too, several pointers at once, and the response names the new id', async () => {
    const nhsNumber = nextNhsNumber();
    const old = [createdId(await create(pointerBody('ANGY1', nhsNumber))), createdId(await create(pointerBody('ANGY1', nhsNumber)))];
    const id = `ANGY1-replacement-${Date.now()}`;
    const response = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', producer, { body: {
      ...pointerBody('ANGY1', nhsNumber),
      id,
      relatesTo: old.map((value) => ({ code: 'replaces', target: { identifier: { value } } })),
    } });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(issueOf(response.body).diagnostics, 'The document has been superseded by a new version');
    assert.equal(response.headers.get('location'), `/producer/FHIR/R4/DocumentReference/${id}`);
    for (const replaced of old) assert.equal((await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${replaced}`, producer)).status, 404);
    await spine.ctx.audit.chainPending();
    const audited = await spine.ctx.db.query(`SELECT action, detail FROM audit.events WHERE resource = $1`, [`DocumentReference/${id}`]);
    assert.deepEqual(audited.rows.map((r) => [r.action, [...r.detail.replaced].sort()]), [['pointer.supersede', [...old].sort()]]);
  });

  it('a relatesTo other than replaces (e.g. appends) is checked but deletes nothing: 201 RESOURCE_CREATED', async () => {
    const nhsNumber = nextNhsNumber();
    const first = createdId(await create(pointerBody('ANGY1', nhsNumber)));
    const response = await create(pointerBody('ANGY1', nhsNumber, MENTAL_HEALTH_CRISIS_PLAN, { relatesTo: [{ code: 'appends', target: { identifier: { value: first } } }] }));
    assert.equal(response.status, 201);
    assert.equal(issueOf(response.body).diagnostics, 'The document has been created');
    assert.equal((await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${first}`, producer)).status, 200);
  });

  it('answers an unknown path or method under the API in NRL\'s shape', async () => {
    const unknown = await call(spine, 'GET', '/producer/FHIR/R4/Patient', producer);
    assert.equal(unknown.status, 404);
    assertSpecSchema('producer', 'OperationOutcome', unknown.body);
    assert.equal(unknown.body.issue[0].details.coding[0].system, 'https://fhir.nhs.uk/ValueSet/Spine-ErrorOrWarningCode-1');
    const patch = await call(spine, 'PATCH', '/producer/FHIR/R4/DocumentReference/ANGY1-1', producer, { body: [] });
    assert.equal(patch.status, 404);
    assertSpecSchema('producer', 'OperationOutcome', patch.body);
  });

  it('two concurrent supersedes of one pointer: exactly one wins, the other is told the target no longer exists', async () => {
    const nhsNumber = nextNhsNumber();
    const old = createdId(await create(pointerBody('ANGY1', nhsNumber)));
    const body = () => pointerBody('ANGY1', nhsNumber, MENTAL_HEALTH_CRISIS_PLAN, { relatesTo: [{ code: 'replaces', target: { identifier: { value: old } } }] });
    const results = await Promise.all([create(body()), create(body()), create(body())]);
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 400, 400]);
    for (const loser of results.filter((r) => r.status === 400)) {
      assert.equal(issueOf(loser.body).diagnostics, 'The relatesTo target document does not exist');
    }
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM record_locator.pointers WHERE nhs_number = $1`, [nhsNumber]);
    assert.equal(rows[0].n, 1);
  });
});
