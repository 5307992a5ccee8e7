import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, mesh, sendMessage } from './support/mesh-client.js';
import { assertMatchesSpec } from './support/spec-schemas.js';

const BY_LOCAL_ID = '/messageexchange/{mailbox_id}/outbox/tracking/{local_id}';

describe('MESH tracking by local id (GET /{mailbox}/outbox/tracking/{local_id}, deprecated)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const track = (mailbox: string, localId: string, version: 1 | 2 = 2) => mesh(spine.url, `/${mailbox}/outbox/tracking/${encodeURIComponent(localId)}`, { version });

  it('finds the sender\'s message by its local id and answers the v1 Tracking shape, whatever the Accept', async () => {
    // The spec's own example local id.
    const localId = 'api-docs-bob-sends-alice-a-chunked-file';
    const id = await sendMessage(spine.url, MB1, MB2, 'tracked', { 'mex-localid': localId, 'mex-subject': 'results' });
    for (const version of [1, 2] as const) {
      const response = await track(MB1, localId, version);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
      const body = await response.json() as Record<string, unknown>;
      assertMatchesSpec(BY_LOCAL_ID, 'get', 200, 'application/json', body);
      assert.equal(body.messageId, id);
      assert.equal(body.dtsId, id);
      assert.equal(body.localId, localId);
      assert.equal(body.status, 'Accepted');
      assert.equal(body.fileSize, 7);
      assert.equal(body.subject, 'results');
      assert.equal(body.sender, MB1);
      assert.equal(body.recipient, MB2);
    }
    await (await mesh(spine.url, `/${MB2}/inbox/${id}/status/acknowledged`, { method: 'PUT', version: 2 })).arrayBuffer();
    assert.equal(((await (await track(MB1, localId)).json()) as { status: string }).status, 'Acknowledged');
    const audit = await spine.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit.events WHERE action = 'message.track' AND resource = $1`, [`MeshMessage/${id}`]);
    assert.equal(audit.rows[0]!.n, 3);
  });

  it('another mailbox learns nothing (404), an unknown local id is 404, both in MESH error shape', async () => {
    await sendMessage(spine.url, MB1, MB2, 'private', { 'mex-localid': 'mine only' });
    const other = await track(MB2, 'mine only', 1);
    assert.equal(other.status, 404);
    assert.deepEqual(await other.json(), { errorEvent: 'RECEIVE', errorCode: '20', errorDescription: 'Message does not exist' });
    const unknown = await track(MB1, 'never used', 2);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { detail: Array<{ code: string }> }).detail[0]!.code, '20');
  });

  it('a local id used twice is 300 Multiple Choices, as the spec documents', async () => {
    await sendMessage(spine.url, MB1, MB2, 'one', { 'mex-localid': 'batch-7' });
    await sendMessage(spine.url, MB1, MB2, 'two', { 'mex-localid': 'batch-7' });
    const response = await track(MB1, 'batch-7', 1);
    assert.equal(response.status, 300);
    assert.deepEqual(await response.json(), { errorEvent: 'REQUEST', errorCode: '300', errorDescription: 'Multiple messages were sent with this local id; track them by message id' });
  });

  it('a local id up to the 300 characters mex-LocalID allows is found; a longer one is a 400 naming local_id', async () => {
    const long = 'L'.repeat(300);
    const id = await sendMessage(spine.url, MB1, MB2, 'long id', { 'mex-localid': long });
    assert.equal(((await (await track(MB1, long)).json()) as { messageId: string }).messageId, id);
    const response = await track(MB1, 'L'.repeat(301), 2);
    assert.equal(response.status, 400);
    assert.deepEqual(((await response.json()) as { detail: Array<{ loc: string[] }> }).detail[0]!.loc, ['path', 'local_id']);
  });
});
