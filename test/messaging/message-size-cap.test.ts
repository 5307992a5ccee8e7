import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, mesh } from './support/mesh-client.js';

// MESH spec, "Outbox workflow": "The upper limit of a single chunked message is 100GB". A test
// cannot send 100 GB, so the Spine runs with the cap lowered to 2 MB (OPENSPINE_MESH_MAX_MESSAGE_MB).
const MB = 1024 * 1024;
const part = (bytes: number, fill: number) => Buffer.alloc(bytes, fill);

describe('MESH total message size cap', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ env: { OPENSPINE_MESH_MAX_MESSAGE_MB: '2' } }); });
  after(async () => { await spine.close(); });

  const first = (range: string, body: BodyInit) => mesh(spine.url, `/${MB1}/outbox`, {
    method: 'POST', version: 2, body,
    headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': range },
  });
  const chunk = (id: string, n: number, range: string, body: BodyInit) =>
    mesh(spine.url, `/${MB1}/outbox/${id}/${n}`, { method: 'POST', version: 2, body, headers: { 'content-type': 'application/octet-stream', 'mex-chunk-range': range } });

  const expectTooLarge = async (response: Response, id: string) => {
    assert.equal(response.status, 413);
    const body = await response.json() as { message_id: string; internal_id: string; detail: unknown[] };
    assert.equal(body.message_id, id);
    assert.equal(typeof body.internal_id, 'string');
    assert.deepEqual(body.detail, [{
      event: 'SEND', code: 'MessageTooLarge', msg: 'Message larger than MESH accepts in all its chunks',
      diagnostics: 'chunk 3 would take the message past its 2MB limit (chunks already stored: 1572864 bytes)',
    }]);
  };

  it('a chunk that would take the message past the cap is 413 MessageTooLarge; the chunks before it stand and a smaller chunk completes it', async () => {
    const sent = await first('1:3', part(0.75 * MB, 1));
    assert.equal(sent.status, 202);
    const { message_id: id } = await sent.json() as { message_id: string };
    assert.equal((await chunk(id, 2, '2:3', part(0.75 * MB, 2))).status, 202);
    // Re-sending chunk 2 replaces it: its earlier copy does not count twice.
    assert.equal((await chunk(id, 2, '2:3', part(0.75 * MB, 2))).status, 202);

    const declared = await chunk(id, 3, '3:3', part(0.75 * MB, 3));
    await expectTooLarge(declared, id);
    // Streamed without a Content-Length, it is stopped at the cap as it arrives.
    const streamed = await chunk(id, 3, '3:3', Readable.toWeb(Readable.from([part(0.3 * MB, 3), part(0.3 * MB, 3), part(0.3 * MB, 3)])) as unknown as BodyInit);
    await expectTooLarge(streamed, id);
    const inbox = async () => ((await (await mesh(spine.url, `/${MB2}/inbox`, { version: 2 })).json()) as { messages: string[] }).messages;
    assert.ok(!(await inbox()).includes(id), 'a refused chunk does not complete the message');

    assert.equal((await chunk(id, 3, '3:3', part(0.5 * MB, 3))).status, 202);
    assert.ok((await inbox()).includes(id));
  });
});
