import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { isWellFormed } from '../../src/services/record-locator/domain/connection-metadata.js';
import { MAX_SEARCH_BODY_BYTES } from '../../src/services/record-locator/limits.js';
import { assertSpecSchema, call, errorIssue, issueOf, MENTAL_HEALTH_CRISIS_PLAN, nextNhsNumber, pointerBody, nrlApplication } from './support.js';

/**
 * What NRLF answers for a `POST _search` body where its `GET` answers `issue` for the same
 * parameters: a body that fails the parameters' model is a body that cannot be parsed, and each
 * POST handler words a refused type system (and the producer's an NHS number) its own way.
 */
function asBodyIssue(side: string, issue: Record<string, any>): Record<string, any> {
  const [coding] = issue.details.coding;
  if (coding.code === 'INVALID_PARAMETER') {
    return {
      ...issue,
      details: { coding: [{ ...coding, code: 'MESSAGE_NOT_WELL_FORMED', display: 'Message not well formed' }] },
      diagnostics: String(issue.diagnostics).replace(/^Invalid query parameter \(/, 'Request body could not be parsed ('),
    };
  }
  if (coding.code === 'INVALID_CODE_SYSTEM' && issue.expression?.[0] === 'type') {
    const why = 'The provided type system does not match the allowed types for this organisation';
    return { ...issue, diagnostics: side === 'consumer' ? `Invalid type (${why})` : why };
  }
  if (coding.code === 'INVALID_NHS_NUMBER') return { ...issue, diagnostics: 'A valid NHS number is required to search for document references' };
  return issue;
}

/**
 * The path, query and headers every NRL route declares, checked at the platform's door and refused
 * in NRL's codes and words; a `GET` search and a `POST _search` of the same parameters answer alike,
 * each in NRLF's words for a query or a body.
 */
describe('NRL request parameters and headers at the door', () => {
  let spine: TestSpine;
  let identity: Record<string, string>;
  const ODS = 'DOOR1';
  const nhsNumber = nextNhsNumber();
  const subject = `https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`;

  before(async () => {
    spine = await startTestSpine();
    ({ identity } = await nrlApplication(spine, ODS, ['record-locator:produce', 'record-locator:consume']));
    const created = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', identity, { body: pointerBody(ODS, nhsNumber) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => { await spine?.close(); });

  it('an X-Request-ID that is not a UUID (the specs\' pattern) is 400 MISSING_OR_INVALID_HEADER, on every route', async () => {
    for (const [method, path] of [
      ['GET', `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(subject)}`],
      ['GET', '/consumer/FHIR/R4/DocumentReference/DOOR1-1'],
      ['POST', '/producer/FHIR/R4/DocumentReference'],
      ['DELETE', '/producer/FHIR/R4/DocumentReference/DOOR1-1'],
    ] as const) {
      const response = await call(spine, method, path, identity, { headers: { 'x-request-id': 'not-a-uuid' }, ...(method === 'POST' ? { body: pointerBody(ODS, nhsNumber) } : {}) });
      assert.equal(response.status, 400, `${method} ${path}`);
      assertSpecSchema('consumer', 'OperationOutcome', response.body);
      assert.deepEqual(issueOf(response.body), errorIssue('MISSING_OR_INVALID_HEADER', 'There is a required header missing or invalid', 'invalid',
        'The X-Request-Id header is missing or invalid'));
    }
  });

  it('a path id the spec\'s DocumentId does not match is 400 INVALID_PARAMETER naming it, quoting the spec\'s pattern', async () => {
    // DocumentId is FHIR's id (the spec cites datatypes.html#id): the whole id, not a part of it,
    // is 1–64 letters, digits, '-' and '.', as NRLF's model anchors it. A longer id, or one with
    // other characters around valid ones (`_search` on the producer, an encoded '/'), is refused.
    const tooLong = `${ODS}-${'a'.repeat(64 - ODS.length)}`;
    for (const side of ['consumer', 'producer']) {
      // Past the router's own limits too: longer than a path parameter may be (512), or not UTF-8 when decoded.
      const pastTheRouter = [['GET', `${ODS}-${'a'.repeat(600)}`], ['GET', 'DOOR1-%FF'], ['DELETE', `${ODS}-${'a'.repeat(600)}`]] as const;
      for (const [method, id] of [['GET', '~~~'], ['GET', tooLong], ['GET', '~DOOR1-1'], ['GET', 'DOOR1%2F1'], ['GET', '_search'], ['DELETE', 'DOOR1-1~'], ...pastTheRouter] as const) {
        if (method === 'DELETE' && side === 'consumer') continue;
        const response = await call(spine, method, `/${side}/FHIR/R4/DocumentReference/${id}`, identity);
        assert.equal(response.status, 400, `${side} ${method} ${id}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(issueOf(response.body), errorIssue('INVALID_PARAMETER', 'Invalid parameter', 'invalid',
          'Invalid path parameter (id: string does not match regex "[A-Za-z0-9\\-\\.]{1,64}")', 'id'));
      }
    }
  });

  it('every id the spec\'s DocumentReference.id lets a producer choose is an id a path takes (property): 404 when there is none, never 400', async () => {
    // `{ODS[.ext]}-{letter or digit}{letters, digits, '_' or '-'}`, 64 characters at most, as the spec's pattern.
    const word = (chars: string, min: number, max: number) => fc.string({ unit: fc.constantFrom(...chars), minLength: min, maxLength: max });
    const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const ids = fc.tuple(word(`${alnum}.`, 1, 20), word(alnum, 1, 5), word(`${alnum}_-`, 0, 30)).map(([ods, first, rest]) => `${ods}-${first}${rest}`);
    await fc.assert(fc.asyncProperty(ids, fc.constantFrom('consumer', 'producer'), async (id, side) => {
      const response = await call(spine, 'GET', `/${side}/FHIR/R4/DocumentReference/${id}`, identity);
      const code = response.body.issue[0].details.coding[0].code;
      // The producer refuses another organisation's id (403) before looking; neither refuses the id itself.
      assert.ok(response.status === 404 || (side === 'producer' && response.status === 403), `${side} ${id}: ${JSON.stringify(response.body)}`);
      assert.notEqual(code, 'INVALID_PARAMETER');
    }), { numRuns: 60 });
  });

  it('the consumer\'s POST _search takes category as its GET does', async () => {
    const parameters = { 'subject:identifier': subject, category: 'http://snomed.info/sct|734163000' };
    const get = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${new URLSearchParams(parameters)}`, identity);
    const post = await call(spine, 'POST', '/consumer/FHIR/R4/DocumentReference/_search', identity, { body: parameters, contentType: 'application/json' });
    assert.equal(get.status, 200, JSON.stringify(get.body));
    assert.equal(post.status, 200, JSON.stringify(post.body));
    assert.equal(get.body.total, 1);
    assert.deepEqual(post.body.entry, get.body.entry);
  });

  it('a POST _search body is parsed as NRLF parses a body: MESSAGE_NOT_WELL_FORMED, and each API\'s own words for a refused type system or NHS number', async () => {
    const post = (side: string, body: unknown) => call(spine, 'POST', `/${side}/FHIR/R4/DocumentReference/_search`, identity, { body, contentType: 'application/json' });
    const NOT_WELL_FORMED = ['MESSAGE_NOT_WELL_FORMED', 'Message not well formed', 'invalid'] as const;
    const subjectRegex = 'string does not match regex "^https\\:\\/\\/fhir\\.nhs\\.uk\\/Id\\/nhs-number\\|(\\d+)$"';
    const expectIssue = async (side: string, body: unknown, issue: unknown) => {
      const response = await post(side, body);
      assert.equal(response.status, 400, `${side} ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
      assertSpecSchema('consumer', 'OperationOutcome', response.body);
      assert.deepEqual(issueOf(response.body), issue, `${side} ${JSON.stringify(body)}`);
    };
    for (const side of ['consumer', 'producer']) {
      await expectIssue(side, { 'subject:identifier': 'nhs|1' },
        errorIssue(...NOT_WELL_FORMED, `Request body could not be parsed (subject:identifier: ${subjectRegex})`, 'subject:identifier'));
      await expectIssue(side, { 'subject:identifier': subject, type: 7 },
        errorIssue(...NOT_WELL_FORMED, 'Request body could not be parsed (type: str type expected)', 'type'));
      await expectIssue(side, [], errorIssue(...NOT_WELL_FORMED, 'Request body could not be parsed (body: value is not a valid dict)', 'body'));
    }
    await expectIssue('consumer', { 'subject:identifier': subject, colour: 'blue' },
      errorIssue(...NOT_WELL_FORMED, 'Request body could not be parsed (colour: extra fields not permitted)', 'colour'));
    await expectIssue('consumer', { 'subject:identifier': subject, type: 'https://example.org/types|1' }, errorIssue('INVALID_CODE_SYSTEM', 'Invalid code system', 'code-invalid',
      'Invalid type (The provided type system does not match the allowed types for this organisation)', 'type'));
    await expectIssue('producer', { 'subject:identifier': subject, type: 'https://example.org/types|1' }, errorIssue('INVALID_CODE_SYSTEM', 'Invalid code system', 'code-invalid',
      'The provided type system does not match the allowed types for this organisation', 'type'));
    await expectIssue('producer', { 'subject:identifier': 'https://fhir.nhs.uk/Id/nhs-number|1234567890' }, errorIssue('INVALID_NHS_NUMBER', 'Invalid NHS number', 'invalid',
      'A valid NHS number is required to search for document references', 'subject:identifier'));
  });

  it('a POST _search body is at most 16 KiB, on both APIs: one at the limit is searched, one byte more is 413 MESSAGE_NOT_WELL_FORMED naming the limit', async () => {
    assert.equal(MAX_SEARCH_BODY_BYTES, 16_384);
    // The parameters padded (in a page token the parser then refuses, or finds nothing after) to exactly `bytes` bytes.
    const ofSize = (bytes: number) => {
      const text = JSON.stringify({ 'subject:identifier': subject, 'next-page-token': '' });
      return JSON.stringify({ 'subject:identifier': subject, 'next-page-token': 't'.repeat(bytes - text.length) });
    };
    for (const side of ['consumer', 'producer']) {
      const over = await call(spine, 'POST', `/${side}/FHIR/R4/DocumentReference/_search`, identity, { rawBody: ofSize(MAX_SEARCH_BODY_BYTES + 1), contentType: 'application/json' });
      assert.equal(over.status, 413, `${side}: ${JSON.stringify(over.body)}`);
      assertSpecSchema('consumer', 'OperationOutcome', over.body);
      assert.deepEqual(over.body.issue, [errorIssue('MESSAGE_NOT_WELL_FORMED', 'Message not well formed', 'too-long',
        `Request body is larger than this endpoint accepts: search parameters may be at most ${MAX_SEARCH_BODY_BYTES} bytes`)]);
      // 5 MB, as the platform's own limit let through: refused as it is read.
      const huge = await call(spine, 'POST', `/${side}/FHIR/R4/DocumentReference/_search`, identity, { rawBody: ofSize(5 * 1024 * 1024), contentType: 'application/json' });
      assert.equal(huge.status, 413, side);
      const atLimit = await call(spine, 'POST', `/${side}/FHIR/R4/DocumentReference/_search`, identity, { rawBody: ofSize(MAX_SEARCH_BODY_BYTES), contentType: 'application/json' });
      assert.notEqual(atLimit.status, 413, `${side}: ${JSON.stringify(atLimit.body)}`);
      assert.ok(atLimit.status === 200 || atLimit.status === 400, `${side}: ${atLimit.status} ${JSON.stringify(atLimit.body)}`);
    }
  });

  it('a `__proto__` or `constructor` key in a `_search` body is a key like another, as NRLF reads JSON: answered as its GET twin (the property below found it)', async () => {
    for (const side of ['consumer', 'producer']) {
      for (const [text, query] of [
        [`{"__proto__":"${subject}"}`, [['__proto__', subject]]],
        [`{"subject:identifier":"${subject}","constructor":{"prototype":{"polluted":true}}}`, [['subject:identifier', subject], ['constructor', '[object Object]']]],
      ] as const) {
        const get = await call(spine, 'GET', `/${side}/FHIR/R4/DocumentReference?${new URLSearchParams(query.map(([k, v]) => [k, v]))}`, identity);
        const post = await call(spine, 'POST', `/${side}/FHIR/R4/DocumentReference/_search`, identity, { rawBody: text, contentType: 'application/json' });
        assert.equal(post.status, get.status, `${side} ${text}: GET ${JSON.stringify(get.body)} POST ${JSON.stringify(post.body)}`);
        if (get.status === 400) {
          assertSpecSchema('consumer', 'OperationOutcome', post.body);
          assert.deepEqual(post.body.issue, get.body.issue.map((issue: Record<string, any>) => asBodyIssue(side, issue)));
          assert.ok(post.body.issue.some((issue: Record<string, any>) => /extra fields not permitted/.test(issue.diagnostics)), JSON.stringify(post.body.issue));
        } else {
          assert.deepEqual(post.body.entry, get.body.entry);
        }
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('any search parameters: never a 5xx; a GET and a POST _search of the same text parameters answer alike, the POST in a body\'s words', { timeout: 120_000 }, async () => {
    const name = fc.oneof(
      fc.constantFrom('subject:identifier', 'custodian:identifier', 'type', 'category', 'next-page-token', '_count'),
      fc.string({ minLength: 1, maxLength: 12 }).filter((n) => !n.includes('\u0000')),
    );
    const value = fc.oneof(
      fc.constantFrom(subject, 'https://fhir.nhs.uk/Id/nhs-number|9000000001', 'https://fhir.nhs.uk/Id/ods-organization-code|DOOR1', MENTAL_HEALTH_CRISIS_PLAN, ''),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(fc.asyncProperty(fc.dictionary(name, value, { maxKeys: 4 }), fc.constantFrom('consumer', 'producer'), async (parameters, side) => {
      // Lone surrogates cannot travel in a URL; the body parser's own refusal of them is another test's.
      fc.pre(Object.entries(parameters).every(([k, v]) => isWellFormed(k) && isWellFormed(v)));
      const get = await call(spine, 'GET', `/${side}/FHIR/R4/DocumentReference?${new URLSearchParams(parameters)}`, identity);
      const post = await call(spine, 'POST', `/${side}/FHIR/R4/DocumentReference/_search`, identity, { body: parameters, contentType: 'application/json' });
      assert.ok(get.status === 200 || get.status === 400, `${get.status} ${JSON.stringify(get.body)}`);
      assert.equal(post.status, get.status, `${JSON.stringify(parameters)}: GET ${JSON.stringify(get.body)} POST ${JSON.stringify(post.body)}`);
      if (get.status === 400) {
        assertSpecSchema('consumer', 'OperationOutcome', get.body);
        assert.deepEqual(post.body.issue, get.body.issue.map((issue: Record<string, any>) => asBodyIssue(side, issue)));
      } else {
        assert.deepEqual(post.body.entry, get.body.entry);
      }
    }), { numRuns: 60 });
  });
});
