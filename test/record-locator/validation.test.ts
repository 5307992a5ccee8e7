import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { assertSpecSchema, call, errorIssue, nextNhsNumber, pointerBody, nrlApplication } from './support.js';
import { MAX_ATTACHMENT_URL_LENGTH, MAX_POINTER_BYTES } from '../../src/services/record-locator/limits.js';

/**
 * Every check of a producer's DocumentReference, over HTTP: the spec's schema at the door (type,
 * pattern, required, extra fields) and NRL's own rules, each with NRLF's code and diagnostics.
 * Nothing refused is stored.
 */
describe('NRL producer: DocumentReference validation', () => {
  let spine: TestSpine;
  let producer: Record<string, string>;

  before(async () => {
    spine = await startTestSpine();
    ({ identity: producer } = await nrlApplication(spine, 'ANGY1', ['record-locator:produce']));
  });
  after(async () => { await spine?.close(); });

  const valid = () => pointerBody('ANGY1', nextNhsNumber()) as Record<string, any>;

  async function refused(body: unknown, expectedStatus: number, issues: unknown[], options: { rawBody?: string; contentType?: string | null } = {}) {
    const before = await spine.ctx.db.query('SELECT count(*)::int AS n FROM record_locator.pointers');
    const response = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer,
      options.rawBody === undefined ? { body, contentType: options.contentType } : { rawBody: options.rawBody, contentType: options.contentType });
    assert.equal(response.status, expectedStatus, JSON.stringify(response.body));
    assertSpecSchema('producer', 'OperationOutcome', response.body);
    assert.deepEqual(response.body.issue, issues);
    const afterCount = await spine.ctx.db.query('SELECT count(*)::int AS n FROM record_locator.pointers');
    assert.equal(afterCount.rows[0].n, before.rows[0].n, 'nothing stored');
  }
  const INVALID_RESOURCE = ['INVALID_RESOURCE', 'Invalid validation of resource'] as const;
  const NOT_WELL_FORMED = ['MESSAGE_NOT_WELL_FORMED', 'Message not well formed'] as const;

  it('a wrong type at any depth is 400 MESSAGE_NOT_WELL_FORMED naming the field', async () => {
    const body = valid();
    body.content[0].attachment.size = 'big';
    // NRLF names a parse failure by the body's top-level field (its ParseError: `error['loc'][0]`), in diagnostics and expression.
    await refused(body, 400, [errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (content: value is not a valid integer)', 'content')]);
    const twoInOneField = valid();
    twoInOneField.content[0].attachment.size = 'big';
    twoInOneField.content[0].format.code = 7;
    await refused(twoInOneField, 400, [
      errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (content: value is not a valid integer)', 'content'),
      errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (content: str type expected)', 'content'),
    ]);
    const missingNested = valid();
    delete missingNested.content[0].attachment;
    await refused(missingNested, 400, [errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (content: field required)', 'content')]);
    await refused({ ...valid(), status: 7 }, 400, [errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (status: str type expected)', 'status')]);
    await refused({ ...valid(), category: {} }, 400, [errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (category: value is not a valid list)', 'category')]);
  });

  it('the schema\'s required fields, patterns and enum are MESSAGE_NOT_WELL_FORMED; several failures are all listed', async () => {
    const { status: _status, content: _content, ...withoutBoth } = valid();
    await refused(withoutBoth, 400, [
      errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (status: field required)', 'status'),
      errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (content: field required)', 'content'),
    ]);
    await refused({ ...valid(), resourceType: 'Patient' }, 400, [
      errorIssue(...NOT_WELL_FORMED, 'invalid', "Request body could not be parsed (resourceType: unexpected value; permitted: 'DocumentReference')", 'resourceType'),
    ]);
    await refused({ ...valid(), content: [] }, 400, [
      errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (content: ensure this value has at least 1 items)', 'content'),
    ]);
    // The pattern as the spec (and so NRL's model) writes it, `\_` included.
    await refused({ ...valid(), id: 'no dash here' }, 400, [
      errorIssue(...NOT_WELL_FORMED, 'invalid',
        'Request body could not be parsed (id: string does not match regex "^(?=.{1,64}$)[A-Za-z0-9\\.]+-[A-Za-z0-9]+[A-Za-z0-9\\_\\-]*$")', 'id'),
    ]);
  });

  it('a long attachment.data is checked against base64Binary in time linear in its length', { timeout: 60_000 }, async () => {
    // V8 ran the spec's pattern in time quadratic in a value with no four base64 characters
    // together: these 2 MB of whitespace would have held the event loop for hours.
    const body = valid();
    // 40,000 characters (60 kB as JSON: the 64 KiB a pointer may be leaves room for little more), about 9 s quadratic (extrapolated).
    body.content[0].attachment.data = ' \t'.repeat(20_000);
    await refused(body, 400, [
      errorIssue(...NOT_WELL_FORMED, 'invalid',
        'Request body could not be parsed (content: string does not match regex "(\\s*([0-9a-zA-Z\\+/=]){4}\\s*)+")', 'content'),
    ]);
    const fine = valid();
    fine.content[0].attachment.data = `${' '.repeat(60_000)}QUJD RA==`;
    const response = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: fine });
    assert.equal(response.status, 201, JSON.stringify(response.body));
  });

  /** `body` padded in its description to exactly `bytes` bytes of JSON. */
  const ofSize = (body: Record<string, any>, bytes: number): string => {
    const text = JSON.stringify({ ...body, description: '' });
    return JSON.stringify({ ...body, description: 'd'.repeat(bytes - text.length) });
  };

  it('a pointer is at most 64 KiB: one at the limit is taken on create, upsert and update; one byte more is 413 naming the limit, nothing stored', async () => {
    const tooLarge = errorIssue(...NOT_WELL_FORMED, 'too-long',
      `Request body is larger than this endpoint accepts: a DocumentReference may be at most ${MAX_POINTER_BYTES} bytes`);
    assert.equal(MAX_POINTER_BYTES, 65_536);
    await refused(undefined, 413, [tooLarge], { rawBody: ofSize(valid(), MAX_POINTER_BYTES + 1) });
    const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { rawBody: ofSize(valid(), MAX_POINTER_BYTES) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.headers.get('location')!.split('/').pop()!;
    const stored = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer);

    // Upsert (a producer-chosen id) and update answer the same; a refused update leaves the pointer as it was.
    const upsertId = `ANGY1-${'u'.repeat(20)}${Date.now()}`;
    const upsertOver = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', producer, { rawBody: ofSize({ ...valid(), id: upsertId }, MAX_POINTER_BYTES + 1) });
    assert.equal(upsertOver.status, 413);
    assert.deepEqual(upsertOver.body.issue, [tooLarge]);
    assert.equal((await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${upsertId}`, producer)).status, 404);
    const upsert = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', producer, { rawBody: ofSize({ ...valid(), id: upsertId }, MAX_POINTER_BYTES) });
    assert.equal(upsert.status, 201, JSON.stringify(upsert.body));
    const update = (bytes: number) => call(spine, 'PUT', `/producer/FHIR/R4/DocumentReference/${id}`, producer,
      { rawBody: ofSize({ ...stored.body, docStatus: bytes > MAX_POINTER_BYTES ? 'amended' : 'final' }, bytes) });
    const updateOver = await update(MAX_POINTER_BYTES + 1);
    assert.equal(updateOver.status, 413);
    assertSpecSchema('producer', 'OperationOutcome', updateOver.body);
    assert.deepEqual(updateOver.body.issue, [tooLarge]);
    assert.deepEqual((await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer)).body, stored.body);
    assert.equal((await update(MAX_POINTER_BYTES)).status, 200);
  });

  it('content[].attachment.url is at most 8,000 characters: one more is 400 MESSAGE_NOT_WELL_FORMED naming content, nothing stored', async () => {
    const withUrl = (length: number) => {
      const body = valid();
      body.content[0].attachment.url = `https://example.org/${'a'.repeat(length - 'https://example.org/'.length)}`;
      return body;
    };
    assert.equal(MAX_ATTACHMENT_URL_LENGTH, 8000);
    await refused(withUrl(MAX_ATTACHMENT_URL_LENGTH + 1), 400, [
      errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (content: ensure this value has at most 8000 characters)', 'content'),
    ]);
    // A second content item's url is checked too; the first is within the limit.
    const second = withUrl(100);
    second.content.push({ ...second.content[0], attachment: { ...second.content[0].attachment, url: withUrl(MAX_ATTACHMENT_URL_LENGTH + 1).content[0].attachment.url } });
    await refused(second, 400, [
      errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (content: ensure this value has at most 8000 characters)', 'content'),
    ]);
    const atLimit = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: withUrl(MAX_ATTACHMENT_URL_LENGTH) });
    assert.equal(atLimit.status, 201, JSON.stringify(atLimit.body));
  });

  it('an attachment url a browser would run or render itself (javascript:, vbscript:, data:) is 400 INVALID_RESOURCE naming it, on create and update; nothing stored', async () => {
    const withUrl = (url: string, index = 0) => {
      const body = valid();
      if (index > 0) body.content.push(structuredClone(body.content[0]));
      body.content[index].attachment.url = url;
      return body;
    };
    const issue = (scheme: string, index = 0) => errorIssue(...INVALID_RESOURCE, 'value',
      `Invalid content attachment url scheme: '${scheme}' Attachment url must locate the record at its custodian (not 'javascript:', 'vbscript:', 'data:')`,
      `content[${index}].attachment.url`);
    await refused(withUrl('javascript:alert(document.cookie)'), 400, [issue('javascript')]);
    await refused(withUrl('\u0001JaVaScRiPt:alert(1)'), 400, [issue('javascript')]);
    await refused(withUrl('VBScript:msgbox(1)'), 400, [issue('vbscript')]);
    await refused(withUrl('data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==', 1), 400, [issue('data', 1)]);
    // The spec's schemes, and others a record may be reached by, are taken.
    for (const url of ['https://p1.nhs.uk/MentalHealthCrisisPlan.pdf', 'tel:01632960587']) {
      const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: withUrl(url) });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: valid() });
    const id = created.headers.get('location')!.split('/').pop()!;
    const stored = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer);
    const changed = structuredClone(stored.body);
    changed.content[0].attachment.url = 'javascript:alert(1)';
    const update = await call(spine, 'PUT', `/producer/FHIR/R4/DocumentReference/${id}`, producer, { body: changed });
    assert.equal(update.status, 400, JSON.stringify(update.body));
    assert.deepEqual(update.body.issue, [issue('javascript')]);
    assert.deepEqual((await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer)).body, stored.body);
  });

  it('a content item with no attachment url, or an empty one, is 400 INVALID_RESOURCE naming it, on create, upsert and update; nothing stored', async () => {
    // Found by probing: such a pointer was stored (201) and served to consumers, locating nothing;
    // NRLF reads the url unguarded (a 500).
    const issue = (index: number) => errorIssue(...INVALID_RESOURCE, 'required', `The required field 'content[${index}].attachment.url' is missing`, `content[${index}].attachment.url`);
    const noUrl = valid();
    delete noUrl.content[0].attachment.url;
    await refused(noUrl, 400, [issue(0)]);
    const emptySecond = valid();
    emptySecond.content.push({ ...structuredClone(emptySecond.content[0]), attachment: { ...emptySecond.content[0].attachment, url: '' } });
    await refused(emptySecond, 400, [issue(1)]);
    const upsert = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', producer, { body: { ...noUrl, id: "ANGY1-no-url" } });
    assert.equal(upsert.status, 400, JSON.stringify(upsert.body));
    assert.deepEqual(upsert.body.issue, [issue(0)]);
    const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: valid() });
    const id = created.headers.get('location')!.split('/').pop()!;
    const stored = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer);
    const changed = structuredClone(stored.body);
    delete changed.content[0].attachment.url;
    const update = await call(spine, 'PUT', `/producer/FHIR/R4/DocumentReference/${id}`, producer, { body: changed });
    assert.equal(update.status, 400, JSON.stringify(update.body));
    assert.deepEqual(update.body.issue, [issue(0)]);
    assert.deepEqual((await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer)).body, stored.body);
  });

  it('a field the resource does not have is 400 INVALID_RESOURCE "The resource contains extra fields"', async () => {
    await refused({ ...valid(), colour: 'blue' }, 400, [errorIssue(...INVALID_RESOURCE, 'invalid', 'The resource contains extra fields', 'colour')]);
    const nested = valid();
    nested.subject.identifier.extra = 1;
    await refused(nested, 400, [errorIssue(...INVALID_RESOURCE, 'invalid', 'The resource contains extra fields', 'subject.identifier.extra')]);
  });

  it('bad JSON, an empty body, a body that is not JSON under any media type and a lone surrogate never reach the handler', async () => {
    const badJson = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { rawBody: '{"resourceType":' });
    assert.equal(badJson.status, 400);
    assertSpecSchema('producer', 'OperationOutcome', badJson.body);
    assert.deepEqual(badJson.body.issue[0].details.coding, [{ system: 'https://fhir.nhs.uk/ValueSet/Spine-ErrorOrWarningCode-1', ...{ code: NOT_WELL_FORMED[0], display: NOT_WELL_FORMED[1] } }]);
    assert.match(badJson.body.issue[0].diagnostics, /^Request body could not be parsed/);
    await refused(undefined, 400, [errorIssue('BAD_REQUEST', 'Bad request', 'invalid', 'Request body is required')], { rawBody: '' });
    // NRL's gateway hands NRLF any body, which reads it as JSON: XML is a body that could not be parsed, not a 415.
    for (const contentType of ['application/xml', 'text/plain', null]) {
      const xml = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { rawBody: '<DocumentReference/>', contentType });
      assert.equal(xml.status, 400, `${contentType}: ${JSON.stringify(xml.body)}`);
      assertSpecSchema('producer', 'OperationOutcome', xml.body);
      assert.equal(xml.body.issue[0].details.coding[0].code, NOT_WELL_FORMED[0]);
      assert.match(xml.body.issue[0].diagnostics, /^Request body could not be parsed/);
    }
    const surrogate = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer,
      { rawBody: JSON.stringify(valid()).replace('"current"', '"\\ud800"') });
    assert.equal(surrogate.status, 400);
    assert.deepEqual(surrogate.body.issue, [errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (status: string contains a lone surrogate)', 'status')]);
    const nestedSurrogate = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer,
      { rawBody: JSON.stringify(valid()).replace('"application/pdf"', '"\\udc00"') });
    assert.deepEqual(nestedSurrogate.body.issue, [errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (content: string contains a lone surrogate)', 'content')]);
  });

  it('a JSON body is read whatever its Content-Type, or none, as NRL\'s gateway passes any body on; the schema still checks it', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/json', null]) {
      const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: valid(), contentType });
      assert.equal(created.status, 201, `${contentType}: ${JSON.stringify(created.body)}`);
      assertSpecSchema('producer', 'OperationOutcome', created.body);
      assert.equal(created.body.issue[0].details.coding[0].code, 'RESOURCE_CREATED');
      const id = created.headers.get('location')!.split('/').pop()!;
      const read = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer);
      assert.equal(read.status, 200);
      assert.equal(read.body.id, id);
    }
    // The door is the same under every media type: a wrong type is refused as it is under application/fhir+json.
    const wrong = valid();
    wrong.status = 7;
    await refused(wrong, 400, [errorIssue(...NOT_WELL_FORMED, 'invalid', 'Request body could not be parsed (status: str type expected)', 'status')], { contentType: 'text/plain' });
    await refused({ ...valid(), colour: 'blue' }, 400, [errorIssue(...INVALID_RESOURCE, 'invalid', 'The resource contains extra fields', 'colour')], { contentType: null });
    // A form as curl sends it is not JSON.
    const form = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { rawBody: 'status=current', contentType: 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 400);
    assert.match(form.body.issue[0].diagnostics, /^Request body could not be parsed/);
    const search = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference/_search', producer,
      { body: { 'subject:identifier': `https://fhir.nhs.uk/Id/nhs-number|${nextNhsNumber()}` }, contentType: 'text/plain' });
    assert.equal(search.status, 200, JSON.stringify(search.body));
    assert.equal(search.body.resourceType, 'Bundle');
  });

  it('a Content-Type that is no media type (empty, `json`, `/`, two joined) is read as none: JSON is served, anything else not parsed, never a 415', async () => {
    // Found by probing: Fastify answered these 415 before any parser, where NRL's gateway passes the body on.
    for (const contentType of ['', 'json', '/', 'application/json, text/plain']) {
      const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: valid(), contentType });
      assert.equal(created.status, 201, `'${contentType}': ${JSON.stringify(created.body)}`);
      assert.equal(created.body.issue[0].details.coding[0].code, 'RESOURCE_CREATED');
      const id = created.headers.get('location')!.split('/').pop()!;
      assert.equal((await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, producer)).status, 200);
      const search = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference/_search', producer,
        { body: { 'subject:identifier': `https://fhir.nhs.uk/Id/nhs-number|${nextNhsNumber()}` }, contentType });
      assert.equal(search.status, 200, `'${contentType}': ${JSON.stringify(search.body)}`);
      assert.equal(search.body.resourceType, 'Bundle');
      const xml = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { rawBody: '<DocumentReference/>', contentType });
      assert.equal(xml.status, 400, `'${contentType}': ${JSON.stringify(xml.body)}`);
      assert.equal(xml.body.issue[0].details.coding[0].code, NOT_WELL_FORMED[0]);
      assert.match(xml.body.issue[0].diagnostics, /^Request body could not be parsed: the body is not valid JSON/);
    }
    // The refusal names the Content-Type as it was sent.
    const xml = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { rawBody: '<DocumentReference/>', contentType: 'json' });
    assert.equal(xml.body.issue[0].diagnostics, 'Request body could not be parsed: the body is not valid JSON (Content-Type json)');
  });

  it('a `__proto__` or `constructor` key is a field the resource does not have, as NRLF reads it: INVALID_RESOURCE, never merged', async () => {
    const withKey = (key: string, value: unknown) => JSON.stringify(valid()).replace(/^\{/, `{${JSON.stringify(key)}:${JSON.stringify(value)},`);
    await refused(undefined, 400, [errorIssue(...INVALID_RESOURCE, 'invalid', 'The resource contains extra fields', '__proto__')],
      { rawBody: withKey('__proto__', { polluted: true }) });
    await refused(undefined, 400, [errorIssue(...INVALID_RESOURCE, 'invalid', 'The resource contains extra fields', 'constructor')],
      { rawBody: withKey('constructor', { prototype: { polluted: true } }) });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('NRL\'s required fields beyond the schema: each missing one is INVALID_RESOURCE, all listed', async () => {
    const { custodian: _c, subject: _s, ...body } = valid();
    await refused(body, 400, [
      errorIssue(...INVALID_RESOURCE, 'required', "The required field 'custodian' is missing", 'custodian'),
      errorIssue(...INVALID_RESOURCE, 'required', "The required field 'subject' is missing", 'subject'),
    ]);
  });

  it('identifier rules: custodian and subject need identifiers with the ODS and NHS number systems, and a valid NHS number', async () => {
    await refused({ ...valid(), custodian: { reference: 'Organization/ANGY1' } }, 400,
      [errorIssue(...INVALID_RESOURCE, 'required', 'Custodian must have an identifier', 'custodian.identifier')]);
    await refused({ ...valid(), subject: { reference: 'Patient/1' } }, 400,
      [errorIssue(...INVALID_RESOURCE, 'required', 'Subject must have an identifier', 'subject.identifier')]);
    // An empty object is a reference without an identifier, not a missing field: NRLF's required
    // check tests a parsed model, and an empty Reference or Identifier model is there.
    await refused({ ...valid(), custodian: {} }, 400,
      [errorIssue(...INVALID_RESOURCE, 'required', 'Custodian must have an identifier', 'custodian.identifier')]);
    await refused({ ...valid(), subject: {} }, 400,
      [errorIssue(...INVALID_RESOURCE, 'required', 'Subject must have an identifier', 'subject.identifier')]);
    await refused({ ...valid(), custodian: { identifier: {} } }, 400, [errorIssue('INVALID_IDENTIFIER_SYSTEM', 'Invalid identifier system', 'invalid',
      "Provided custodian identifier system is not the ODS system (expected: 'https://fhir.nhs.uk/Id/ods-organization-code')", 'custodian.identifier.system')]);
    const systems = valid();
    systems.custodian.identifier.system = 'https://example.org/ods';
    systems.subject.identifier.system = 'https://example.org/nhs';
    await refused(systems, 400, [
      errorIssue('INVALID_IDENTIFIER_SYSTEM', 'Invalid identifier system', 'invalid',
        "Provided custodian identifier system is not the ODS system (expected: 'https://fhir.nhs.uk/Id/ods-organization-code')", 'custodian.identifier.system'),
      errorIssue('INVALID_IDENTIFIER_SYSTEM', 'Invalid identifier system', 'invalid',
        "Provided subject identifier system is not the NHS number system (expected 'https://fhir.nhs.uk/Id/nhs-number')", 'subject.identifier.system'),
    ]);
    await refused(pointerBody('ANGY1', '1234567890'), 400,
      [errorIssue('INVALID_NHS_NUMBER', 'Invalid NHS number', 'invalid', 'The subject identifier value is not a valid NHS number', 'subject.identifier.value')]);
  });

  it('relatesTo rules: a code outside the value set is INVALID_CODE_VALUE; replaces without a target is INVALID_IDENTIFIER_VALUE', async () => {
    await refused({ ...valid(), relatesTo: [{ code: 'duplicates', target: { identifier: { value: 'ANGY1-1' } } }] }, 400,
      [errorIssue('INVALID_CODE_VALUE', 'Invalid code value', 'value', 'Invalid relatesTo code: duplicates', 'relatesTo[0].code')]);
    await refused({ ...valid(), relatesTo: [{ code: 'replaces', target: { type: 'DocumentReference' } }] }, 400,
      [errorIssue('INVALID_IDENTIFIER_VALUE', 'Invalid identifier value', 'required', "relatesTo code 'replaces' must have a target identifier", 'relatesTo[0].target.identifier.value')]);
  });

  it('SSP content needs exactly one 12-digit ASID in context.related', async () => {
    const ssp = valid();
    ssp.content[0].attachment.url = 'ssp://example.org/record';
    await refused(ssp, 400, [errorIssue(...INVALID_RESOURCE, 'required',
      'Missing context.related. It must be provided and contain a single valid ASID identifier when content contains an SSP URL', 'context.related')]);
    await refused({ ...ssp, context: { related: [{ identifier: { system: 'https://example.org', value: 'x' } }] } }, 400, [errorIssue(...INVALID_RESOURCE, 'required',
      'Missing ASID identifier. context.related must contain a single valid ASID identifier when content contains an SSP URL', 'context.related')]);
    await refused({ ...ssp, context: { related: [{ identifier: { system: 'https://fhir.nhs.uk/Id/nhsSpineASID', value: '12345' } }] } }, 400, [errorIssue(
      'INVALID_IDENTIFIER_VALUE', 'Invalid identifier value', 'value',
      "Invalid ASID value '12345'. A single ASID consisting of 12 digits can be provided in the context.related field.", 'context.related[0].identifier.value')]);
    const asid = { identifier: { system: 'https://fhir.nhs.uk/Id/nhsSpineASID', value: '230811201350' } };
    await refused({ ...ssp, context: { related: [asid, asid] } }, 400, [errorIssue(...INVALID_RESOURCE, 'invalid',
      'Multiple ASID identifiers provided. Only a single valid ASID identifier can be provided in the context.related.', 'context.related')]);
    const accepted = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: { ...ssp, context: { related: [asid] } } });
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
  });

  it('category rules: one category, one coding, SNOMED, in the value set, with its display', async () => {
    const coding = (c: Record<string, string>) => [{ coding: [c] }];
    const careplan = { system: 'http://snomed.info/sct', code: '734163000', display: 'Care plan' };
    await refused({ ...valid(), category: [...coding(careplan), ...coding(careplan)] }, 400,
      [errorIssue(...INVALID_RESOURCE, 'invalid', 'Invalid category length: 2 Category must only contain a single value', 'category')]);
    await refused({ ...valid(), category: [{ coding: [careplan, careplan] }] }, 400,
      [errorIssue(...INVALID_RESOURCE, 'invalid', 'Invalid category coding length: 2 Category Coding must only contain a single value', 'category[0].coding')]);
    await refused({ ...valid(), category: coding({ ...careplan, system: 'http://loinc.org' }) }, 400,
      [errorIssue(...INVALID_RESOURCE, 'value', "Invalid category system: http://loinc.org Category system must be 'http://snomed.info/sct'", 'category[0].coding[0].system')]);
    await refused({ ...valid(), category: coding({ ...careplan, code: '1' }) }, 400, [errorIssue(...INVALID_RESOURCE, 'value',
      'Invalid category code: 1 Category must be a member of the England-NRLRecordCategory value set (https://fhir.nhs.uk/England/CodeSystem/England-NRLRecordCategory)',
      'category[0].coding[0].code')]);
    await refused({ ...valid(), category: coding({ ...careplan, display: 'Careplan' }) }, 400,
      [errorIssue(...INVALID_RESOURCE, 'value', "category code '734163000' must have a display value of 'Care plan'", 'category[0].coding[0].display')]);
  });

  it('type rules: exactly one type coding', async () => {
    const body = valid();
    body.type.coding.push({ system: 'http://snomed.info/sct', code: '736253002' });
    await refused(body, 400, [errorIssue(...INVALID_RESOURCE, 'invalid', 'Invalid type coding length: 2 Type Coding must only contain a single value', 'type.coding')]);
  });

  it('content stability extension rules (England-NRLContentStability)', async () => {
    const stability = (coding: Record<string, string>, url = 'https://fhir.nhs.uk/England/StructureDefinition/Extension-England-ContentStability') => {
      const body = valid();
      body.content[0].extension = [{ url, valueCodeableConcept: { coding: [coding] } }];
      return body;
    };
    const system = 'https://fhir.nhs.uk/England/CodeSystem/England-NRLContentStability';
    const at = 'content[0].extension[0]';
    await refused(stability({ system: 'https://example.org', code: 'static', display: 'Static' }), 400, [errorIssue(...INVALID_RESOURCE, 'value',
      `Invalid content extension system: https://example.org Extension system must be '${system}'`, `${at}.valueCodeableConcept.coding[0].system`)]);
    await refused(stability({ system, code: 'fixed', display: 'Fixed' }), 400, [errorIssue(...INVALID_RESOURCE, 'value',
      "Invalid content extension code: fixed Extension code must be 'static' or 'dynamic'", `${at}.valueCodeableConcept.coding[0].code`)]);
    await refused(stability({ system, code: 'static', display: 'Dynamic' }), 400, [errorIssue(...INVALID_RESOURCE, 'value',
      "Invalid content extension display: Dynamic Extension display must be the same as code either 'static' or 'dynamic'", `${at}.valueCodeableConcept.coding[0].display`)]);
    await refused(stability({ system, code: 'static', display: 'Static' }, 'https://example.org/ext'), 400, [errorIssue(...INVALID_RESOURCE, 'value',
      "Invalid content extension url: https://example.org/ext Extension url must be 'https://fhir.nhs.uk/England/StructureDefinition/Extension-England-ContentStability'", `${at}.url`)]);
    const ok = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: stability({ system, code: 'static', display: 'Static' }) });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });

  it('a _search body of the wrong shape is MESSAGE_NOT_WELL_FORMED naming the field', async () => {
    const response = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference/_search', producer,
      { body: { 'subject:identifier': ['x'] }, contentType: 'application/json' });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.issue, [errorIssue('MESSAGE_NOT_WELL_FORMED', 'Message not well formed', 'invalid',
      'Request body could not be parsed (subject:identifier: str type expected)', 'subject:identifier')]);
  });
});
