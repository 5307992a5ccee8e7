import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { call, errorIssue, nextNhsNumber, nrlApplication, pointerBody } from './support.js';

/**
 * A request with several faults lists them all, in NRLF's order, whatever the order of ajv's checks:
 * the fields the spec's schema declares, in its order (pydantic checks a model's fields so, a
 * missing one where it is declared), then the fields it does not have, in the order sent (NRLF's
 * extra-field check of a DocumentReference is a pass of its own, after the parse).
 */
describe('NRL: the order of several faults', () => {
  let spine: TestSpine;
  let producer: Record<string, string>;
  let consumer: Record<string, string>;

  before(async () => {
    spine = await startTestSpine();
    ({ identity: producer } = await nrlApplication(spine, 'ORD01', ['record-locator:produce']));
    ({ identity: consumer } = await nrlApplication(spine, 'ORD02', ['record-locator:consume']));
  });
  after(async () => { await spine?.close(); });

  const NOT_WELL_FORMED = ['MESSAGE_NOT_WELL_FORMED', 'Message not well formed', 'invalid'] as const;
  const INVALID_PARAMETER = ['INVALID_PARAMETER', 'Invalid parameter', 'invalid'] as const;
  const SUBJECT_REGEX = 'string does not match regex "^https\\:\\/\\/fhir\\.nhs\\.uk\\/Id\\/nhs-number\\|(\\d+)$"';
  const CUSTODIAN_REGEX = 'string does not match regex "^https\\:\\/\\/fhir\\.nhs\\.uk\\/Id\\/ods-organization-code\\|(\\w+)$"';

  it('a DocumentReference: failures in the order the spec declares its fields (a missing one in its place), extra fields last, in the order sent', async () => {
    const { status: _status, ...body } = pointerBody('ORD01', nextNhsNumber()) as Record<string, unknown>;
    const sent = { zzz: 1, ...body, content: 'one', subject: 'me', aaa: 2 };
    const response = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: sent });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.issue, [
      errorIssue(...NOT_WELL_FORMED, 'Request body could not be parsed (status: field required)', 'status'),
      errorIssue(...NOT_WELL_FORMED, 'Request body could not be parsed (subject: value is not a valid dict)', 'subject'),
      errorIssue(...NOT_WELL_FORMED, 'Request body could not be parsed (content: value is not a valid list)', 'content'),
      errorIssue('INVALID_RESOURCE', 'Invalid validation of resource', 'invalid', 'The resource contains extra fields', 'zzz'),
      errorIssue('INVALID_RESOURCE', 'Invalid validation of resource', 'invalid', 'The resource contains extra fields', 'aaa'),
    ]);
  });

  it('a body of many stray fields is answered with at most 20 issues, the first sent', async () => {
    const strays = Array.from({ length: 60 }, (_, i) => `stray${String(i).padStart(2, '0')}`);
    const sent = { ...pointerBody('ORD01', nextNhsNumber()), ...Object.fromEntries(strays.map((key) => [key, 1])) };
    const response = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', producer, { body: sent });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.issue, strays.slice(0, 20).map((field) =>
      errorIssue('INVALID_RESOURCE', 'Invalid validation of resource', 'invalid', 'The resource contains extra fields', field)));
  });

  it('a consumer query: the spec\'s parameters in its order (a missing subject first), then unknown ones in the order sent; GET and POST _search alike', async () => {
    const params = { zzz: '1', 'next-page-token': 'x', 'custodian:identifier': 'bad', aaa: '2' };
    const query = new URLSearchParams(params).toString();
    const got = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${query}`, consumer);
    assert.equal(got.status, 400);
    assert.deepEqual(got.body.issue, [
      errorIssue(...INVALID_PARAMETER, 'Invalid query parameter (subject:identifier: field required)', 'subject:identifier'),
      errorIssue(...INVALID_PARAMETER, `Invalid query parameter (custodian:identifier: ${CUSTODIAN_REGEX})`, 'custodian:identifier'),
      errorIssue(...INVALID_PARAMETER, 'Invalid query parameter (zzz: extra fields not permitted)', 'zzz'),
      errorIssue(...INVALID_PARAMETER, 'Invalid query parameter (aaa: extra fields not permitted)', 'aaa'),
    ]);
    const posted = await call(spine, 'POST', '/consumer/FHIR/R4/DocumentReference/_search', consumer,
      { body: { ...params, 'subject:identifier': 'bad', 'next-page-token': 7 }, contentType: 'application/json' });
    assert.equal(posted.status, 400);
    assert.deepEqual(posted.body.issue, [
      errorIssue(...NOT_WELL_FORMED, `Request body could not be parsed (subject:identifier: ${SUBJECT_REGEX})`, 'subject:identifier'),
      errorIssue(...NOT_WELL_FORMED, `Request body could not be parsed (custodian:identifier: ${CUSTODIAN_REGEX})`, 'custodian:identifier'),
      errorIssue(...NOT_WELL_FORMED, 'Request body could not be parsed (next-page-token: str type expected)', 'next-page-token'),
      errorIssue(...NOT_WELL_FORMED, 'Request body could not be parsed (zzz: extra fields not permitted)', 'zzz'),
      errorIssue(...NOT_WELL_FORMED, 'Request body could not be parsed (aaa: extra fields not permitted)', 'aaa'),
    ]);
  });

  it('the same faults sent in another order are listed in the same order', async () => {
    const forward = await call(spine, 'GET', '/consumer/FHIR/R4/DocumentReference?aaa=1&custodian:identifier=bad&subject:identifier=bad', consumer);
    const backward = await call(spine, 'GET', '/consumer/FHIR/R4/DocumentReference?subject:identifier=bad&custodian:identifier=bad&aaa=1', consumer);
    assert.deepEqual(backward.body.issue, forward.body.issue);
    assert.deepEqual(forward.body.issue.map((issue: { expression: string[] }) => issue.expression[0]), ['subject:identifier', 'custodian:identifier', 'aaa']);
  });
});
