import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, MB3, mesh, workflowFor } from './support/mesh-client.js';

/**
 * Found by probing: a mailbox that tried to download, inspect (HEAD), acknowledge or track another
 * mailbox's message, or upload a chunk into it, was refused (403/404) and nothing was audited, so a
 * privacy officer could not see one mailbox probing another's messages. Each is audited now, as the
 * mailbox that tried, with the refusal's code.
 */
describe('MESH: calls on another mailbox\'s message are audited when refused', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('download, HEAD, chunk download, acknowledge, tracking and a chunk upload by a third mailbox: each refused and audited as a failure', async () => {
    const sent = await mesh(spine.url, `/${MB1}/outbox`, {
      method: 'POST', version: 2, body: 'for MB2 only',
      headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': workflowFor(MB1, MB2), 'mex-chunk-range': '1:2' },
    });
    assert.equal(sent.status, 202);
    const id = ((await sent.json()) as { message_id: string }).message_id;
    // One after another, so the trail's order is theirs.
    const attempts = [
      { call: () => mesh(spine.url, `/${MB3}/inbox/${id}`, { version: 2 }), status: 403 },
      { call: () => mesh(spine.url, `/${MB3}/inbox/${id}`, { method: 'HEAD', version: 2 }), status: 403 },
      { call: () => mesh(spine.url, `/${MB3}/inbox/${id}/2`, { version: 2 }), status: 403 },
      { call: () => mesh(spine.url, `/${MB3}/inbox/${id}/status/acknowledged`, { method: 'PUT', version: 2 }), status: 403 },
      { call: () => mesh(spine.url, `/${MB3}/outbox/tracking?messageID=${id}`, { version: 2 }), status: 404 },
      { call: () => mesh(spine.url, `/${MB3}/outbox/${id}/2`, { method: 'POST', version: 2, body: 'intruder', headers: { 'content-type': 'application/octet-stream', 'mex-chunk-range': '2:2' } }), status: 403 },
    ];
    for (const attempt of attempts) assert.equal((await attempt.call()).status, attempt.status);

    const audited = await spine.ctx.db.query<{ action: string; app_id: string; outcome: string; detail: Record<string, unknown> }>(
      'SELECT action, app_id, outcome, detail FROM audit.events WHERE resource = $1 AND app_id = $2 ORDER BY seq', [`MeshMessage/${id}`, MB3]);
    assert.deepEqual(audited.rows.map((r) => [r.action, r.outcome, r.detail.error]), [
      ['message.download', 'failure', '403'],
      ['message.download', 'failure', '403'],
      ['message.download', 'failure', '403'],
      ['message.acknowledge', 'failure', '403'],
      ['message.track', 'failure', '20'],
      ['message.send-chunk', 'failure', '07'],
    ]);
    assert.equal(audited.rows[1]!.detail.method, 'HEAD');
  });
});
