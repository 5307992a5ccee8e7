import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { verifyAuditChain } from '../../src/platform/audit/verify.js';
import { whileAuditAppendsFail } from '../audit/support.js';
import { MB1, MB2, mesh, workflowFor } from './support/mesh-client.js';

/**
 * A send's audit entry commits with the message (platform/audit/README.md): a message that was
 * sent is never answered 503 for want of its entry, which a MESH client would take as "not sent"
 * and send again, delivering it twice.
 */
describe('MESH send: the message and its audit entry commit together', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine?.close(); });

  const send = (body: BodyInit) => mesh(spine.url, `/${MB1}/outbox`, {
    method: 'POST', version: 2, body,
    headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': workflowFor(MB1, MB2) },
  });
  // Without a Content-Length the body streams, and is stored in the send's transaction.
  const streamed = (text: string) => new ReadableStream({ start(controller) { controller.enqueue(new TextEncoder().encode(text)); controller.close(); } });
  const sendEntries = async (messageId: string) => (await spine.ctx.db.query(
    'SELECT app_id, outcome, detail FROM audit.events WHERE action = $1 AND resource = $2', ['message.send', `MeshMessage/${messageId}`])).rows;

  it('a send while the chain cannot be appended is 202 (one statement and streamed alike), and each entry is chained once the chain is back', async () => {
    const db = spine.ctx.db;
    const sent: string[] = [];
    await whileAuditAppendsFail(db, async () => {
      for (const body of [() => 'small body', () => streamed('streamed body')]) {
        const response = await send(body());
        const answer = await response.json() as { message_id: string };
        assert.equal(response.status, 202, JSON.stringify(answer));
        sent.push(answer.message_id);
      }
      assert.deepEqual(await sendEntries(sent[0]!), []);
    });
    await spine.ctx.audit.chainPending();
    for (const [index, messageId] of sent.entries()) {
      const entries = await sendEntries(messageId);
      assert.deepEqual(entries.map((e) => [e.app_id, e.outcome, e.detail.to, e.detail.bytes]), [[MB1, 'success', MB2, index === 0 ? 10 : 13]]);
    }
    const stored = await db.query('SELECT count(*)::int AS n FROM messaging.messages WHERE message_id = ANY($1)', [sent]);
    assert.equal(stored.rows[0].n, 2);
    assert.equal((await verifyAuditChain(db)).intact, true);
  });
});
