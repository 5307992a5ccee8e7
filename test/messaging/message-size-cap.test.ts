import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, mesh } from './support/mesh-client.js';

// MESH spec, "Outbox workflow": "The upper limit of a single chunked message is 100GB". A test
// cannot send 100 GB, so the Spine runs with the cap lowered to 2 MB (OPENSPINE_MESH_MAX_MESSAGE_MB).
const MB = 1024 * 1024;
const part = (bytes: number, fill: number) => Buffer.alloc(bytes, fill);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A body that sends its first half at once and the second only when `release` is called. */
function heldBody(half: Buffer) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(half);
      await gate;
      controller.enqueue(half);
      controller.close();
    },
  });
  return { stream, release };
}

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

  it('chunks uploaded at once cannot together take the message past the cap: those that would are 413 MessageTooLarge', async () => {
    const sent = await first('1:4', part(0.5 * MB, 1));
    assert.equal(sent.status, 202);
    const { message_id: id } = await sent.json() as { message_id: string };
    // Each of chunks 2–4 (600 KiB) fits beside chunk 1 (512 KiB), any two together too,
    // but not all three (2,312 KiB against 2,048). All three are open on the server, half sent, before any finishes.
    const bodies = [2, 3, 4].map(() => heldBody(part(300 * 1024, 9)));
    const pending = bodies.map((body, i) => chunk(id, i + 2, `${i + 2}:4`, body.stream as unknown as BodyInit));
    await sleep(300);
    for (const body of bodies) body.release();
    const responses = await Promise.all(pending);
    assert.deepEqual(responses.map((r) => r.status).sort(), [202, 202, 413]);
    const refused = await responses.find((r) => r.status === 413)!.json() as { message_id: string; detail: Array<Record<string, string>> };
    assert.equal(refused.message_id, id);
    assert.equal(refused.detail.length, 1);
    assert.equal(refused.detail[0]!.code, 'MessageTooLarge');
    assert.match(refused.detail[0]!.diagnostics!, /^chunk [234] would take the message past its 2MB limit \(chunks already stored: 1753088 bytes\)$/);
    const stored = await spine.ctx.db.query<{ bytes: string; n: number }>(
      'SELECT sum(byte_size)::bigint AS bytes, count(*)::int AS n FROM messaging.chunks WHERE message_id = $1', [id]);
    assert.equal(stored.rows[0]!.n, 3);
    assert.ok(Number(stored.rows[0]!.bytes) <= 2 * MB, `stored ${stored.rows[0]!.bytes} bytes`);
  });
});
