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

describe('MESH sandbox testing routes never answer 5xx to bad input (property, over HTTP)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine.close(); });

  const post = (path: string, body: string) => fetch(`${spine.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('arbitrary JSON bodies for an event or a report get 200, 404 or a MESH 400, and only well-typed ones are acted on', async () => {
    const { message_id: id } = await (await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 2, body: 'x', headers: { 'mex-to': MB2, 'mex-workflowid': 'ANY' } })).json() as { message_id: string };
    const field = fc.oneof(fc.string({ maxLength: 120 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.constantFrom('accepted', 'error', 'undeliverable', MB1));
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ status: field, code: field, event: field, description: field, linked_message_id: field, mailbox_id: field, workflow_id: field }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 50 }),
    );
    await fc.assert(fc.asyncProperty(body, fc.webSegment(), async (json, segment) => {
      // A dot segment ('.', '%2E', '..') is resolved away by the URL parser, leaving a path no route serves.
      const unknownId = segment !== '' && new URL(`http://h/a/${segment}/b`).pathname === `/a/${segment}/b` ? segment : 'X';
      for (const path of [`/admin/message/${id}/event`, `/admin/message/${unknownId}/event`, '/messageexchange/admin/report']) {
        const response = await post(path, json);
        const text = await response.text();
        assert.ok([200, 400, 404].includes(response.status), `${response.status} for ${path} ${json}: ${text}`);
        // A v1 400 in MESH's shape: MESH-coded, or the spec's HTTPValidationError for a body the schema refuses.
        if (response.status === 400) assert.match(text, /errorDescription|"detail":\[\{"loc"/);
        if (response.status === 200 && path.endsWith('/event')) {
          const sent = JSON.parse(json) as Record<string, unknown>;
          assert.ok(['uploading', 'accepted', 'acknowledged', 'undeliverable', 'error'].includes(sent.status as string), json);
          for (const name of ['code', 'event', 'description', 'linked_message_id']) assert.ok(sent[name] === undefined || typeof sent[name] === 'string', json);
        }
      }
    }), { numRuns: 60 });
  });

  it('arbitrary local ids to track by get a 4xx, never a 5xx', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 400 }), async (localId) => {
      const response = await mesh(spine.url, `/${MB1}/outbox/tracking/${encodeURIComponent(localId) || 'x'}`, { version: 2 });
      await response.arrayBuffer();
      assert.ok(response.status < 500, `${response.status} for ${JSON.stringify(localId)}`);
    }), { numRuns: 60 });
  });
});

describe('MESH query parameters given twice (found by the fuzz suite)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('are a MESH 400 naming the parameter, not a 500, on every listing route', async () => {
    for (const path of [`/${MB1}/outbox/rich?max_results=1&max_results=2`, `/${MB2}/inbox?max_results=10&max_results=eq`,
      `/${MB2}/inbox/rich?start_time=2020-01-01&start_time=2021-01-01`, `/${MB1}/outbox/tracking?messageID=a&messageID=b`]) {
      const response = await mesh(spine.url, path, { version: 2 });
      const body = await response.json() as { detail?: Array<{ code: string; msg: string }> };
      assert.equal(response.status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.ok(Array.isArray(body.detail), JSON.stringify(body));
    }
  });
});
