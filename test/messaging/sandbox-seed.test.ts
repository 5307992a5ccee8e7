import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { messagingService } from '../../src/services/messaging/index.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { MB1, MB2, V2, mesh, meshAuthorization, sendMessage } from './support/mesh-client.js';
import { rawGet } from './support/raw-http.js';

describe('MESH sandbox mode: datasets and admin reset', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine.close(); });

  it('the mesh-sandbox dataset loads the canned messages, idempotently', async () => {
    const summary = await messagingService.datasets!['mesh-sandbox']!(spine.ctx, {});
    assert.equal(summary, '3 mailboxes, 3 workflows, 3 messages');
    assert.equal(await messagingService.datasets!['mesh-sandbox']!(spine.ctx, {}), '3 mailboxes, 3 workflows, 0 messages');
    const inbox1 = await (await mesh(spine.url, `/${MB1}/inbox`, { version: 2 })).json() as { messages: string[] };
    assert.deepEqual(inbox1.messages, ['SIMPLE_MESSAGE']);
    assert.equal((await mesh(spine.url, `/${MB1}/inbox/UNDELIVERED_MESSAGE`)).status, 410);
    const simple = await mesh(spine.url, `/${MB1}/inbox/SIMPLE_MESSAGE`);
    assert.equal((await simple.arrayBuffer()).byteLength, 662);
    const first = await rawGet(`${spine.url}/messageexchange/${MB2}/inbox/CHUNKED_MESSAGE_GZ`, { authorization: meshAuthorization(MB2), accept: V2, 'accept-encoding': 'gzip' });
    assert.equal(first.status, 206);
    assert.equal(first.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(first.body).length, 331);
    // A client that does not accept gzip gets the chunk decompressed.
    const plain = await rawGet(`${spine.url}/messageexchange/${MB2}/inbox/CHUNKED_MESSAGE_GZ`, { authorization: meshAuthorization(MB2), accept: V2 });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.ok(plain.body.equals(gunzipSync(first.body)));
  });

  it('mesh-files loads mailboxes and workflows from JSONL in the sandbox format, and refuses a bad line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-files-'));
    try {
      writeFileSync(join(dir, 'mailboxes.jsonl'), '{"mailbox_id": "x26new1", "mailbox_name": "NEW", "billing_entity": "England", "ods_code": "X26", "org_code": "X26", "password": "secret"}\n');
      writeFileSync(join(dir, 'workflows.jsonl'), '{"workflow_id": "NEW_WORKFLOW", "senders": ["X26NEW1"], "receivers": ["X26ABC1"]}\n');
      const summary = await messagingService.datasets!['mesh-files']!(spine.ctx, { mailboxes: join(dir, 'mailboxes.jsonl'), workflows: join(dir, 'workflows.jsonl') });
      assert.equal(summary, '1 mailboxes, 1 workflows');
      const mailbox = await directoryApi(spine.ctx.db).getMailbox('X26NEW1');
      assert.equal(mailbox?.password, 'secret');
      assert.deepEqual((await directoryApi(spine.ctx.db).getWorkflow('NEW_WORKFLOW'))?.receivers, ['X26ABC1']);
      writeFileSync(join(dir, 'bad.jsonl'), '{"mailbox_id": 12}\n');
      await assert.rejects(messagingService.datasets!['mesh-files']!(spine.ctx, { mailboxes: join(dir, 'bad.jsonl') }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('DELETE /messageexchange/admin/reset empties every mailbox in sandbox mode', async () => {
    await sendMessage(spine.url, MB1, MB2, 'to be reset');
    const reset = await fetch(`${spine.url}/messageexchange/admin/reset`, { method: 'DELETE' });
    assert.equal(reset.status, 200);
    for (const mailbox of [MB1, MB2]) {
      const inbox = await (await mesh(spine.url, `/${mailbox}/inbox`, { version: 2 })).json() as { messages: string[] };
      assert.deepEqual(inbox.messages, []);
    }
    const left = await spine.ctx.db.query('SELECT (SELECT count(*) FROM messaging.messages)::int AS m, (SELECT count(*) FROM messaging.body_segments)::int AS s');
    assert.deepEqual(left.rows[0], { m: 0, s: 0 });
  });
});

describe('MESH admin reset outside sandbox mode', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('is 404', async () => {
    const reset = await fetch(`${spine.url}/messageexchange/admin/reset`, { method: 'DELETE' });
    assert.equal(reset.status, 404);
  });
});
