import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BASE, startPds, outcomeOf, type PdsHarness } from './support/pds.js';

/**
 * PDS checks a PATCH's If-Match, then its X-Request-ID, then its body: a body that is not even JSON
 * is refused only once the headers before it are right (the platform keeps the parser's refusal for
 * the door, body-parsers.ts).
 */
describe('PDS: header checks come before a body that cannot be parsed', () => {
  let h: PdsHarness;
  before(async () => { h = await startPds(); });
  after(() => h.close());

  const patchRaw = (headers: Record<string, string>, body: string) => fetch(`${h.spine.url}${BASE}/Patient/9000000009`, {
    method: 'PATCH', body,
    headers: { authorization: `Bearer ${h.userBearer}`, 'content-type': 'application/json-patch+json', ...headers },
  }).then(async (r) => ({ status: r.status, json: JSON.parse(await r.text()) }));

  for (const [name, body] of [['not JSON', '{"patches": ['], ['a NUL', '{"patches": [], "x": "\\u0000"}'], ['a lone surrogate', '{"patches": [], "x": "\\ud800"}']]) {
    it(`a PATCH without If-Match whose body holds ${name} is 412 PRECONDITION_FAILED; with If-Match, the body is refused`, async () => {
      const missing = await patchRaw({ 'x-request-id': randomUUID() }, body!);
      assert.equal(missing.status, 412, JSON.stringify(missing.json));
      assert.equal(outcomeOf(missing.json).code, 'PRECONDITION_FAILED');
      const noRequestId = await patchRaw({ 'if-match': 'W/"1"' }, body!);
      assert.equal(noRequestId.status, 400, JSON.stringify(noRequestId.json));
      assert.match(outcomeOf(noRequestId.json).diagnostics, /X-Request-ID/);
      const refused = await patchRaw({ 'if-match': 'W/"1"', 'x-request-id': randomUUID() }, body!);
      assert.equal(refused.status, 400, JSON.stringify(refused.json));
      assert.doesNotMatch(outcomeOf(refused.json).diagnostics, /If-Match|X-Request-ID/);
    });
  }
});
