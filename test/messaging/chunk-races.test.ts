import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, V2, mesh, meshAuthorization } from './support/mesh-client.js';

/** A request body that sends its first bytes at once and the rest only when `release` is called. */
function heldBody(first: string, rest: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
      await gate;
      controller.enqueue(new TextEncoder().encode(rest));
      controller.close();
    },
  });
  return { stream, release };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MESH: the same chunk uploaded twice at once', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const start = async (range: string) => {
    const response = await mesh(spine.url, `/${MB1}/outbox`, {
      method: 'POST', version: 2, body: 'c1',
      headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': range },
    });
    assert.equal(response.status, 202);
    return ((await response.json()) as { message_id: string }).message_id;
  };
  const upload = (id: string, n: number, range: string, body: BodyInit) => fetch(`${spine.url}/messageexchange/${MB1}/outbox/${id}/${n}`, {
    method: 'POST', body, duplex: 'half',
    headers: { authorization: meshAuthorization(MB1), accept: V2, 'content-type': 'application/octet-stream', 'mex-chunk-range': range },
  } as RequestInit);
  const download = async (id: string, n: number) => (await mesh(spine.url, `/${MB2}/inbox/${id}/${n}`, { version: 2 })).text();

  it('two uploads of a middle chunk in flight together both succeed (202) and the chunk holds one copy', async () => {
    const id = await start('1:3');
    const a = heldBody('dupli', 'cate');
    const b = heldBody('dupli', 'cate');
    const pending = [upload(id, 2, '2:3', a.stream), upload(id, 2, '2:3', b.stream)];
    // Both requests are now open on the server, each with half its body sent.
    await sleep(300);
    a.release();
    b.release();
    const responses = await Promise.all(pending);
    assert.deepEqual(responses.map((r) => r.status), [202, 202]);
    for (const response of responses) assert.deepEqual(await response.json(), { message_id: id });
    assert.equal((await upload(id, 3, '3:3', 'c3')).status, 202);
    assert.equal(await download(id, 2), 'duplicate');
    const segments = await spine.ctx.db.query('SELECT count(*)::int AS n FROM messaging.body_segments WHERE message_id = $1 AND chunk_no = 2', [id]);
    assert.equal(segments.rows[0].n, 1);
  });

  it('two uploads of the last chunk in flight together: one accepts the message, the other is MESH 423, never a 500', async () => {
    const id = await start('1:2');
    const a = heldBody('the ', 'end');
    const b = heldBody('the ', 'end');
    const pending = [upload(id, 2, '2:2', a.stream), upload(id, 2, '2:2', b.stream)];
    await sleep(300);
    a.release();
    b.release();
    const responses = await Promise.all(pending);
    assert.deepEqual(responses.map((r) => r.status).sort(), [202, 423]);
    const refused = await responses.find((r) => r.status === 423)!.json() as Record<string, unknown>;
    assert.deepEqual(refused.detail, [{ event: 'SEND', code: 'MessageFinalised', msg: 'Message has been finalised; no more chunks can be uploaded' }]);
    assert.equal(refused.message_id, id);
    const accepted = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM messaging.message_events WHERE message_id = $1 AND status = 'accepted'`, [id]);
    assert.equal(accepted.rows[0].n, 1);
    assert.equal(await download(id, 2), 'the end');
  });

  it('many duplicate uploads of one chunk racing freely all answer 202', async () => {
    const id = await start('1:3');
    const responses = await Promise.all(Array.from({ length: 12 }, () => upload(id, 2, '2:3', 'same bytes')));
    assert.deepEqual(responses.map((r) => r.status), Array(12).fill(202));
    assert.equal((await upload(id, 3, '3:3', 'c3')).status, 202);
    assert.equal(await download(id, 2), 'same bytes');
  });

  it('a chunk re-sent while the last chunk accepts the message is 423 once it is accepted: the bytes delivered never change', async () => {
    const id = await start('1:2');
    const waiting = async (what: string, where: string) => {
      for (let i = 0; i < 200; i += 1) {
        const found = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`, [where]);
        if (found.rows[0].n > 0) return;
        await sleep(25);
      }
      assert.fail(`${what} never waited`);
    };
    // Hold up the last chunk's delivery (its inbox insert) while it holds the message's row lock,
    // so the re-sent first chunk queues for that lock and gets it only once the message is accepted.
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    let held!: () => void;
    const isHeld = new Promise<void>((resolve) => { held = resolve; });
    const holder = spine.ctx.db.tx(async (tx) => {
      await tx.query('LOCK TABLE messaging.inbox IN SHARE MODE');
      held();
      await released;
    });
    await isHeld;
    const last = upload(id, 2, '2:2', 'c2');
    await waiting('the last chunk\'s delivery', '%INSERT INTO messaging.inbox%');
    const resent = upload(id, 1, '1:2', 'changed');
    await waiting('the re-sent chunk', '%FROM messaging.messages%FOR NO KEY UPDATE%');
    release();
    await holder;
    const [lastResponse, resentResponse] = await Promise.all([last, resent]);
    assert.equal(lastResponse.status, 202);
    assert.equal(resentResponse.status, 423, await resentResponse.clone().text());
    assert.equal(await download(id, 1), 'c1');
  });
});
