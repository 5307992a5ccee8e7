import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, V2, mesh, meshAuthorization, sendMessage } from './support/mesh-client.js';

/** Starts an upload, sends part of the body, then drops the connection, as a crashing client would. */
function interruptedUpload(url: string, headers: Record<string, string>, sendBytes: number, declaredBytes: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(declaredBytes) } });
    req.on('error', () => resolve());
    req.on('response', () => resolve());
    req.write(Buffer.alloc(sendBytes, 0x61), () => setTimeout(() => { req.destroy(); resolve(); }, 200));
  });
}

async function settle(spine: TestSpine) {
  // Give the server a moment to notice the dropped socket and roll back.
  for (let i = 0; i < 50; i += 1) {
    const open = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`);
    if (open.rows[0].n === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('MESH crash safety', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const counts = async () => {
    const result = await spine.ctx.db.query(`SELECT (SELECT count(*) FROM messaging.messages)::int AS messages,
      (SELECT count(*) FROM messaging.body_segments)::int AS segments, (SELECT count(*) FROM messaging.chunks)::int AS chunks,
      (SELECT count(*) FROM messaging.inbox)::int AS inbox`);
    return result.rows[0] as { messages: number; segments: number; chunks: number; inbox: number };
  };

  it('a send interrupted mid-stream leaves no message, no chunk and no body behind', async () => {
    const before = await counts();
    await interruptedUpload(`${spine.url}/messageexchange/${MB1}/outbox`, {
      authorization: meshAuthorization(MB1), accept: V2, 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW',
    }, 3 * 1024 * 1024, 10 * 1024 * 1024);
    await settle(spine);
    assert.deepEqual(await counts(), before);
    const inbox = await (await mesh(spine.url, `/${MB2}/inbox`, { version: 2 })).json() as { messages: string[] };
    assert.equal(inbox.messages.length, before.inbox);
  });

  it('an interrupted last chunk leaves the message uploading and invisible; a retry completes it', async () => {
    const first = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 2, body: 'part one', headers: { 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': '1:2' } });
    const { message_id: id } = await first.json() as { message_id: string };
    await interruptedUpload(`${spine.url}/messageexchange/${MB1}/outbox/${id}/2`, {
      authorization: meshAuthorization(MB1), accept: V2, 'mex-chunk-range': '2:2',
    }, 2 * 1024 * 1024, 5 * 1024 * 1024);
    await settle(spine);
    const chunks = await spine.ctx.db.query('SELECT chunk_no FROM messaging.chunks WHERE message_id = $1', [id]);
    assert.deepEqual(chunks.rows.map((r) => r.chunk_no), [1]);
    const segments = await spine.ctx.db.query('SELECT count(*)::int AS n FROM messaging.body_segments WHERE message_id = $1 AND chunk_no = 2', [id]);
    assert.equal(segments.rows[0].n, 0);
    assert.equal((await mesh(spine.url, `/${MB2}/inbox/${id}`)).status, 404);
    const retry = await mesh(spine.url, `/${MB1}/outbox/${id}/2`, { method: 'POST', version: 2, body: 'part two', headers: { 'mex-chunk-range': '2:2' } });
    assert.equal(retry.status, 202);
    assert.equal(await (await mesh(spine.url, `/${MB2}/inbox/${id}/2`)).text(), 'part two');
  });

  it('an accepted message survives a restart of the server, in the inbox exactly once', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, 'durable');
    await spine.stop();
    const again = await startTestSpine({ databaseUrl: spine.databaseUrl });
    try {
      const inbox = await (await mesh(again.url, `/${MB2}/inbox`, { version: 2 })).json() as { messages: string[] };
      assert.equal(inbox.messages.filter((m) => m === id).length, 1);
      assert.equal(await (await mesh(again.url, `/${MB2}/inbox/${id}`)).text(), 'durable');
      assert.equal((await mesh(again.url, `/${MB2}/inbox/${id}/status/acknowledged`, { method: 'PUT' })).status, 200);
      const after = await (await mesh(again.url, `/${MB2}/inbox`, { version: 2 })).json() as { messages: string[] };
      assert.ok(!after.messages.includes(id), 'an acknowledged message never reappears');
    } finally {
      await again.stop();
    }
  });
});
