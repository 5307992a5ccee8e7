import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startPds, call, type PdsHarness } from './support/pds.js';
import { SEARCH_PARAMETERS } from '../../src/services/demographics/search/parse-search-params.js';

/** Arbitrary client input never gets a 5xx or a stack trace: it gets a catalogued OperationOutcome. */
describe('PDS never answers bad input with a server error', () => {
  let h: PdsHarness;
  before(async () => {
    h = await startPds();
  });
  after(() => h.close());

  const assertClientAnswer = (res: { status: number; json: any }, what: string) => {
    assert.ok(res.status < 500, `${what} → ${res.status} ${JSON.stringify(res.json)}`);
    if (res.status >= 400) {
      assert.equal(res.json.resourceType, 'OperationOutcome', what);
      assert.ok(!JSON.stringify(res.json).includes('    at '), `${what}: stack trace leaked`);
    }
  };
  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('%', '_', '*', "O'Brien", 'Sm*', '\\', 'ge2010-10-22', 'eq2010-02-30', 'ge0000-01-01', 'eq0000-01-01', '9000000009', 'ÄÖÜ', '   '));

  it('any search query', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...SEARCH_PARAMETERS), fc.string({ maxLength: 8 })), text), { maxLength: 6 }),
      async (pairs) => {
        const query = new URLSearchParams(pairs.filter(([k]) => k.length > 0)).toString();
        assertClientAnswer(await call(h, `Patient?${query}`), query);
      }), { numRuns: 150 });
  });

  it('any id on read, RelatedPerson and PATCH', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.stringMatching(/^[0-9]{1,12}$/), fc.string({ minLength: 1, maxLength: 20 })), async (raw) => {
      const id = encodeURIComponent(raw);
      assertClientAnswer(await call(h, `Patient/${id}`), `read ${raw}`);
      assertClientAnswer(await call(h, `Patient/${id}/RelatedPerson`), `related ${raw}`);
      assertClientAnswer(await call(h, `Patient/${id}`, { method: 'PATCH', headers: { 'if-match': 'W/"1"' }, body: { patches: [] } }), `patch ${raw}`);
    }), { numRuns: 80 });
  });

  it('any PATCH body and If-Match on a real patient', async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.oneof(fc.constant('W/"2"'), fc.string({ maxLength: 10 })), async (patches, ifMatch) => {
      const res = await call(h, 'Patient/9000000017', { method: 'PATCH', headers: { 'if-match': ifMatch, 'content-type': 'application/json-patch+json' }, body: { patches } });
      assertClientAnswer(res, `${ifMatch} ${JSON.stringify(patches)}`);
    }), { numRuns: 150 });
  });

  it('any well-formed list of patches, at any path of the record, with any value', async () => {
    const segment = fc.oneof(fc.constantFrom('name', 'address', 'telecom', 'contact', 'extension', 'generalPractitioner', 'gender', 'birthDate',
      'deceasedDateTime', 'id', 'url', 'use', 'line', 'given', 'family', 'period', 'start', 'end', 'value', '-', '0', '1', '7', '__proto__', ''), fc.string({ maxLength: 4 }));
    const patch = fc.record({
      op: fc.constantFrom('add', 'replace', 'remove', 'test'),
      path: fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`),
      value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('123', '456', 'usual', 'home', '2020-01-01', '2020-01-01T00:00:00+00:00', '0000-01-01', '0000-01-01T00:00:00+00:00')),
    }, { requiredKeys: ['op', 'path'] });
    await fc.assert(fc.asyncProperty(fc.array(patch, { minLength: 1, maxLength: 4 }), async (patches) => {
      // Each run against the current version, so the patches themselves are what is checked.
      const etag = (await call(h, 'Patient/9000000009')).headers.get('etag')!;
      const res = await call(h, 'Patient/9000000009', { method: 'PATCH', headers: { 'if-match': etag, 'content-type': 'application/json-patch+json' }, body: { patches } });
      assertClientAnswer(res, JSON.stringify(patches));
    }), { numRuns: 200 });
  });

  it('any POST body', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ name: fc.jsonValue({ maxDepth: 3 }), gender: fc.jsonValue({ maxDepth: 1 }), birthDate: fc.jsonValue({ maxDepth: 1 }), address: fc.jsonValue({ maxDepth: 3 }) })), async (body) => {
      assertClientAnswer(await call(h, 'Patient', { method: 'POST', body }), JSON.stringify(body));
    }), { numRuns: 150 });
  });
});
