import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, mesh } from './support/mesh-client.js';

// Header values a client can put on the wire: visible Latin-1, spaces and tabs.
const headerValue = fc.string({ maxLength: 600, unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)) });

describe('MESH never answers 5xx to bad input (property, over HTTP)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('arbitrary send headers get a 2xx or a MESH 4xx', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        'mex-to': fc.oneof(fc.constant(MB2), headerValue),
        'mex-workflowid': headerValue,
        'mex-chunk-range': fc.oneof(fc.constant('1:1'), headerValue),
        'mex-subject': headerValue,
        'mex-localid': headerValue,
        'content-encoding': fc.oneof(fc.constant('gzip'), headerValue),
        accept: fc.oneof(fc.constant('application/vnd.mesh.v2+json'), headerValue),
      }, { requiredKeys: [] }),
      fc.string({ maxLength: 100 }),
      async (headers, body) => {
        const response = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', headers: headers as Record<string, string>, body: body || undefined });
        assert.ok(response.status < 500, `${response.status} for ${JSON.stringify(headers)}`);
        if (response.status >= 400) {
          const error = await response.json() as Record<string, unknown>;
          assert.ok('errorDescription' in error || 'detail' in error);
        } else {
          await response.arrayBuffer();
        }
      }), { numRuns: 60 });
  });

  it('arbitrary ids, chunk numbers and query strings get a 4xx, never a 5xx', async () => {
    await fc.assert(fc.asyncProperty(fc.webSegment(), fc.webSegment(), fc.webQueryParameters(), async (id, chunk, query) => {
      for (const path of [`/${MB2}/inbox/${id}`, `/${MB2}/inbox/${id}/${chunk}`, `/${MB2}/inbox?${query}`, `/${MB1}/outbox/tracking?messageID=${id}`, `/${MB1}/outbox/rich?${query}`]) {
        const response = await mesh(spine.url, path, { version: 2 });
        await response.arrayBuffer();
        assert.ok(response.status < 500, `${response.status} for ${path}`);
      }
    }), { numRuns: 40 });
  });
});
