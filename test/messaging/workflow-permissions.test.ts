import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { workflowPermission } from '../../src/services/messaging/protocol/workflow-permission.js';
import { MB1, MB2, MB3, V2, allowWorkflow, mesh, sendMessage } from './support/mesh-client.js';
import { assertMatchesSpec } from './support/spec-schemas.js';

const OUTBOX = '/messageexchange/{mailbox_id}/outbox';

const send = (spine: TestSpine, from: string, to: string, workflowId: string, version: 1 | 2, extra: Record<string, string> = {}) =>
  mesh(spine.url, `/${from}/outbox`, { method: 'POST', version, body: 'payload', headers: { 'content-type': 'text/plain', 'mex-to': to, 'mex-workflowid': workflowId, ...extra } });

describe('MESH workflow permissions (the directory says who may send and receive each workflow)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const storedCount = async () => (await spine.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messaging.messages')).rows[0]!.n;

  it('a sender the workflow does not list is refused with 417 DTS 16, in v1 and v2 shapes, and nothing is stored', async () => {
    const before = await storedCount();
    const v1 = await send(spine, MB2, MB1, 'TEST_WORKFLOW', 1);
    assert.equal(v1.status, 417);
    const v1Body = await v1.json();
    assert.deepEqual(v1Body, { errorEvent: 'SEND', errorCode: '16', errorDescription: 'Sender is not allowed to send messages of this type' });
    assertMatchesSpec(OUTBOX, 'post', 417, 'application/json', v1Body);
    const v2 = await send(spine, MB2, MB1, 'TEST_WORKFLOW', 2);
    assert.equal(v2.status, 417);
    const v2Body = await v2.json() as { internal_id: string; detail: Array<Record<string, unknown>> };
    assertMatchesSpec(OUTBOX, 'post', 417, V2, v2Body);
    assert.deepEqual(v2Body.detail.map(({ event, code, msg }) => ({ event, code, msg })), [{ event: 'SEND', code: '16', msg: 'Sender is not allowed to send messages of this type' }]);
    assert.equal(await storedCount(), before);
  });

  it('an unknown workflow id is refused as DTS 16 too (no mailbox may send it)', async () => {
    const response = await send(spine, MB1, MB2, 'NO_SUCH_WORKFLOW', 1);
    assert.equal(response.status, 417);
    assert.equal(((await response.json()) as { errorCode: string }).errorCode, '16');
  });

  it('a recipient the workflow does not list is refused with 417 DTS 17, even for the first chunk of a chunked message', async () => {
    for (const extra of [{}, { 'mex-chunk-range': '1:3' }] as Array<Record<string, string>>) {
      const response = await send(spine, MB1, MB3, 'TEST_WORKFLOW', 1, extra);
      assert.equal(response.status, 417);
      assert.deepEqual(await response.json(), { errorEvent: 'SEND', errorCode: '17', errorDescription: 'Workflow ID not registered for mailbox' });
    }
    const inbox = await (await mesh(spine.url, `/${MB3}/inbox`, { version: 2 })).json() as { messages: string[] };
    assert.deepEqual(inbox.messages, []);
  });

  it('an unregistered recipient is still DTS 12, checked before the workflow', async () => {
    const response = await send(spine, MB2, 'X99NOBODY', 'NO_SUCH_WORKFLOW', 1);
    assert.equal(response.status, 417);
    assert.equal(((await response.json()) as { errorCode: string }).errorCode, '12');
  });

  it('the listed sender reaches the listed recipient; a workflow added to the directory is usable at once', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, 'allowed', { 'mex-workflowid': 'TEST_WORKFLOW' });
    const download = await mesh(spine.url, `/${MB2}/inbox/${id}`, { version: 2 });
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('mex-workflowid'), 'TEST_WORKFLOW');
    await download.arrayBuffer();
    await allowWorkflow(spine, 'NEW_AGREEMENT', MB3, MB1);
    assert.equal((await send(spine, MB3, MB1, 'NEW_AGREEMENT', 2)).status, 202);
    assert.equal((await send(spine, MB3, MB2, 'NEW_AGREEMENT', 2)).status, 417);
  });
});

describe('MESH workflow permissions in sandbox mode', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine.close(); });

  it('any workflow id is accepted between any mailboxes, as the MESH sandbox accepts it', async () => {
    for (const [from, to, workflowId] of [[MB2, MB3, 'ANY_WORKFLOW_AT_ALL'], [MB3, MB1, 'TEST_WORKFLOW'], [MB2, MB2, 'TEST_WORKFLOW2']] as const) {
      const response = await send(spine, from, to, workflowId, 2);
      assert.equal(response.status, 202, `${from} → ${to} ${workflowId}`);
      const { message_id: id } = await response.json() as { message_id: string };
      const download = await mesh(spine.url, `/${to}/inbox/${id}`, { version: 2 });
      assert.equal(download.status, 200);
      assert.equal(download.headers.get('mex-workflowid'), workflowId);
      await download.arrayBuffer();
    }
  });
});

describe('workflowPermission (property)', () => {
  const mailbox = fc.constantFrom('A', 'B', 'C', 'D');
  const workflow = fc.record({ senders: fc.uniqueArray(mailbox), receivers: fc.uniqueArray(mailbox) });

  it('allows exactly a listed sender to a listed recipient; the sender is judged first', () => {
    fc.assert(fc.property(fc.option(workflow, { nil: undefined }), mailbox, mailbox, (w, sender, recipient) => {
      const verdict = workflowPermission(w, sender, recipient);
      const senderOk = w?.senders.includes(sender) ?? false;
      const recipientOk = w?.receivers.includes(recipient) ?? false;
      assert.equal(verdict, !senderOk ? 'sender-not-allowed' : !recipientOk ? 'recipient-not-registered' : 'allowed');
    }));
  });
});
