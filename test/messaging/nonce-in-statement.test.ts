import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, V2, allowWorkflow, meshAuthorization, sendMessage } from './support/mesh-client.js';

/**
 * Send, list, download and acknowledge claim their nonce inside their own statement (not in the
 * authentication hook): a replayed token must still be refused on each, with nothing done, and
 * the same token sent at once many times must succeed exactly once.
 */
describe('MESH nonces claimed in the request statement', () => {
  let spine: TestSpine;
  before(async () => {
    spine = await startTestSpine();
    for (const workflowId of ['REPLAY_SEND', 'REPLAY_STREAM', 'RACE']) await allowWorkflow(spine, workflowId, MB1, MB2);
  });
  after(async () => { await spine.close(); });

  const call = (path: string, authorization: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${spine.url}/messageexchange${path}`, { method: init.method ?? 'GET', body: init.body, headers: { accept: V2, authorization, ...init.headers } });

  async function assertReplayRefused(response: Response) {
    assert.equal(response.status, 403);
    const body = await response.json() as { detail: Array<{ msg: string }> };
    assert.equal(body.detail[0]!.msg, 'Error Duplicated Authentication Token');
  }

  const outboxEvents = async (type: string, messageId: string) => (await spine.ctx.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM platform.outbox WHERE event_type = $1 AND payload->>'messageId' = $2`, [type, messageId])).rows[0]!.n;

  it('a replayed send stores nothing the second time', async () => {
    const token = meshAuthorization(MB1);
    const send = () => call(`/${MB1}/outbox`, token, { method: 'POST', body: 'once only', headers: { 'content-type': 'text/plain', 'mex-to': MB2, 'mex-workflowid': 'REPLAY_SEND' } });
    const first = await send();
    assert.equal(first.status, 202);
    const { message_id: id } = await first.json() as { message_id: string };
    await assertReplayRefused(await send());
    const rows = await spine.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messaging.messages WHERE workflow_id = 'REPLAY_SEND'`);
    assert.equal(rows.rows[0]!.n, 1);
    assert.equal(await outboxEvents('mesh-message-accepted', id), 1);
  });

  it('a replayed streamed send (no Content-Length: the body is not held in memory) is refused too', async () => {
    const token = meshAuthorization(MB1);
    const send = () => fetch(`${spine.url}/messageexchange/${MB1}/outbox`, {
      method: 'POST', duplex: 'half',
      body: new ReadableStream({ start(controller) { controller.enqueue(new TextEncoder().encode('streamed once')); controller.close(); } }),
      headers: { accept: V2, authorization: token, 'content-type': 'text/plain', 'mex-to': MB2, 'mex-workflowid': 'REPLAY_STREAM' },
    } as RequestInit);
    const first = await send();
    assert.equal(first.status, 202);
    const { message_id: id } = await first.json() as { message_id: string };
    await assertReplayRefused(await send());
    const rows = await spine.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messaging.messages WHERE workflow_id = 'REPLAY_STREAM'`);
    assert.equal(rows.rows[0]!.n, 1);
    const got = await call(`/${MB2}/inbox/${id}`, meshAuthorization(MB2));
    assert.equal(await got.text(), 'streamed once');
  });

  it('a replayed list, download or acknowledge is refused; the genuine calls work', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, 'replay me');
    const listToken = meshAuthorization(MB2);
    const listed = await call(`/${MB2}/inbox`, listToken);
    assert.equal(listed.status, 200);
    assert.ok(((await listed.json()) as { messages: string[] }).messages.includes(id));
    await assertReplayRefused(await call(`/${MB2}/inbox`, listToken));

    const downloadToken = meshAuthorization(MB2);
    const got = await call(`/${MB2}/inbox/${id}`, downloadToken);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'replay me');
    await assertReplayRefused(await call(`/${MB2}/inbox/${id}`, downloadToken));
    await assertReplayRefused(await call(`/${MB2}/inbox/${id}/1`, downloadToken));

    const ackToken = meshAuthorization(MB2);
    assert.equal((await call(`/${MB2}/inbox/${id}/status/acknowledged`, ackToken, { method: 'PUT' })).status, 200);
    await assertReplayRefused(await call(`/${MB2}/inbox/${id}/status/acknowledged`, ackToken, { method: 'PUT' }));
    assert.equal(await outboxEvents('mesh-message-acknowledged', id), 1);
  });

  it('a replayed token is refused before the message is looked at (unknown ids too)', async () => {
    const token = meshAuthorization(MB2);
    assert.equal((await call(`/${MB2}/inbox/20200101000000000000_NOSUCH`, token)).status, 404);
    await assertReplayRefused(await call(`/${MB2}/inbox/20200101000000000000_NOSUCH`, token));
  });

  it('one token sent many times at once succeeds exactly once on each route', async () => {
    const ids = await Promise.all([1, 2].map((n) => sendMessage(spine.url, MB1, MB2, `race ${n}`)));
    const routes: Array<{ path: string; method: string; ok: number; mailbox: string; body?: string; headers?: Record<string, string> }> = [
      { path: `/${MB1}/outbox`, method: 'POST', ok: 202, mailbox: MB1, body: 'race', headers: { 'content-type': 'text/plain', 'mex-to': MB2, 'mex-workflowid': 'RACE' } },
      { path: `/${MB2}/inbox`, method: 'GET', ok: 200, mailbox: MB2 },
      { path: `/${MB2}/inbox/${ids[0]}`, method: 'GET', ok: 200, mailbox: MB2 },
      { path: `/${MB2}/inbox/${ids[1]}/status/acknowledged`, method: 'PUT', ok: 200, mailbox: MB2 },
    ];
    for (const route of routes) {
      const token = meshAuthorization(route.mailbox);
      const statuses = await Promise.all(Array.from({ length: 12 }, async () => {
        const response = await call(route.path, token, { method: route.method, body: route.body, headers: route.headers });
        await response.arrayBuffer();
        return response.status;
      }));
      assert.equal(statuses.filter((s) => s === route.ok).length, 1, `${route.method} ${route.path}: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 403).length, 11);
    }
    const raced = await spine.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messaging.messages WHERE workflow_id = 'RACE'`);
    assert.equal(raced.rows[0]!.n, 1);
  });
});
