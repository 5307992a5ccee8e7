import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { userToken } from './support/identity.js';
import { PRESCRIBING } from './prescriptions/cycle.js';
import { call, preparedCycleOrder } from './prescriptions/support.js';
import { MAX_JSON_DEPTH } from '../src/platform/http/body-parsers.js';

/** A FHIR extension holding extensions `levels` deep (two JSON containers a level), as JSON text. */
const extension = (levels: number) =>
  `${'{"url":"https://example.org/x","extension":['.repeat(levels)}{"url":"https://example.org/x","valueString":"v"}${']}'.repeat(levels)}`;

/** `count` path segments down the extensions of an extension: `extension/0/extension/0/…`. */
const downExtensions = (count: number) => Array.from({ length: count }, (_, i) => (i % 2 ? '0' : 'extension')).join('/');

/**
 * JSON nested past the platform's limit (MAX_JSON_DEPTH) is refused at the door by every API, in its
 * own words, naming where it goes too deep. The specs leave extensions open to any depth: before the
 * limit, an EPS order holding one 3,000 deep was taken (200) and its release was a 500 (the answer
 * could not be serialised), and a PDS PATCH adding one 6,000 deep was refused with V8's stack
 * overflow message.
 */
describe('bodies nested past the limit', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine?.close(); });

  it('EPS: an order holding a deep extension is refused, and nothing is stored for a pharmacy to release', async () => {
    const { gp, cycle, order, prepared, nothingToRelease } = await preparedCycleOrder(spine);
    for (const levels of [MAX_JSON_DEPTH, 3_000]) {
      const signed = JSON.stringify(cycle.signedOrder(order, prepared.body)).replace('"extension":[', `"extension":[${extension(levels)},`);
      const refused = await call(spine, 'POST', `${PRESCRIBING}/$process-message`, gp, signed);
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
      assert.match(refused.body.issue[0].diagnostics, new RegExp(`nested more than ${MAX_JSON_DEPTH} deep.*entry/\\d+/resource/extension/0(/extension/0)+`));
    }
    await nothingToRelease();
  });

  it('PDS: a PATCH adding a deep extension is refused, naming the field, not with a stack overflow', async () => {
    const { token } = await userToken(spine, { roleCode: 'R8000' });
    const path = `${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`;
    // (Past 1,000 levels the body is over PDS's 64 KiB write limit, and refused for its size first.)
    for (const levels of [MAX_JSON_DEPTH, 1_000]) {
      const read = await fetch(path, { headers: { authorization: `Bearer ${token}`, 'x-request-id': randomUUID() } });
      const patched = await fetch(path, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'x-request-id': randomUUID(), 'if-match': read.headers.get('etag')!, 'content-type': 'application/json-patch+json' },
        body: `{"patches":[{"op":"add","path":"/extension/-","value":${extension(levels)}}]}`,
      });
      const outcome = await patched.json() as { issue: Array<{ details: { coding: Array<{ code: string }> }; diagnostics: string }> };
      assert.equal(patched.status, 400, JSON.stringify(outcome));
      // PDS's answer to a PATCH body it refuses, with the door's words for the field.
      assert.equal(outcome.issue[0]!.details.coding[0]!.code, 'INVALID_UPDATE', `${levels}`);
      // The first container past the limit: the root, patches, its first, value, then down the extensions.
      assert.equal(outcome.issue[0]!.diagnostics,
        `Invalid update with error - Invalid value - '(nested more than ${MAX_JSON_DEPTH} deep)' in field 'patches/0/value/${downExtensions(MAX_JSON_DEPTH - 3)}'`, `${levels}`);
    }
  });
});
