import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, gunzipSync } from 'node:zlib';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, MB3, V2, mesh, meshAuthorization } from './support/mesh-client.js';
import { rawGet } from './support/raw-http.js';

describe('MESH chunked messages', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const first = (range: string, body: BodyInit, headers: Record<string, string> = {}) => mesh(spine.url, `/${MB1}/outbox`, {
    method: 'POST', version: 2, body,
    headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': range, ...headers },
  });
  const chunk = (id: string, n: number, range: string | undefined, body: BodyInit, headers: Record<string, string> = {}, from = MB1) =>
    mesh(spine.url, `/${from}/outbox/${id}/${n}`, { method: 'POST', version: 2, body, headers: { 'content-type': 'application/octet-stream', ...(range ? { 'mex-chunk-range': range } : {}), ...headers } });
  const inbox = async (mailbox = MB2) => ((await (await mesh(spine.url, `/${mailbox}/inbox`, { version: 2 })).json()) as { messages: string[] }).messages;

  it('gzip chunks upload separately, appear only when complete, and download byte-for-byte with 206 then 200', async () => {
    const parts = ['first part of a long letter, ', 'second part, ', 'and the end.'].map((t) => gzipSync(Buffer.from(t)));
    const sent = await first('1:3', parts[0]!, { 'content-encoding': 'gzip', 'mex-content-compressed': 'Y' });
    assert.equal(sent.status, 202);
    const { message_id: id } = await sent.json() as { message_id: string };
    assert.ok(!(await inbox()).includes(id), 'an uploading message is not in the inbox');
    assert.equal((await mesh(spine.url, `/${MB2}/inbox/${id}`)).status, 404);
    // Chunks may come in any order.
    assert.equal((await chunk(id, 3, '3:3', parts[2]!, { 'content-encoding': 'gzip' })).status, 202);
    assert.ok(!(await inbox()).includes(id));
    const last = await chunk(id, 2, '2:3', parts[1]!, { 'content-encoding': 'gzip' });
    assert.equal(last.status, 202);
    assert.deepEqual(await last.json(), { message_id: id });
    assert.ok((await inbox()).includes(id));

    const texts: string[] = [];
    for (const n of [1, 2, 3]) {
      const path = n === 1 ? `/messageexchange/${MB2}/inbox/${id}` : `/messageexchange/${MB2}/inbox/${id}/${n}`;
      const response = await rawGet(`${spine.url}${path}`, { authorization: meshAuthorization(MB2), accept: V2, 'accept-encoding': 'gzip' });
      assert.equal(response.status, n < 3 ? 206 : 200);
      assert.equal(response.headers['mex-chunk-range'], `${n}:3`);
      assert.equal(response.headers['mex-total-chunks'], '3');
      assert.equal(response.headers['content-encoding'], 'gzip');
      assert.equal(response.headers['mex-content-compressed'], 'Y');
      assert.deepEqual(response.body, parts[n - 1], 'each chunk is served exactly as uploaded');
      texts.push(gunzipSync(response.body).toString());
    }
    assert.equal(texts.join(''), 'first part of a long letter, second part, and the end.');
    const beyond = await mesh(spine.url, `/${MB2}/inbox/${id}/4`, { version: 2 });
    assert.equal(beyond.status, 404);
    // A HEAD of a chunk is no MESH call (the spec has HEAD for a message): it reads nothing and is no
    // download. The path is MESH's, the method is not: 405 with Allow (method-not-allowed.test.ts).
    const downloads = async () => (await spine.ctx.db.query(`SELECT count(*)::int AS n FROM audit.events WHERE action = 'message.download' AND resource LIKE $1`, [`%${id}%`])).rows[0].n as number;
    const before = await downloads();
    const head = await mesh(spine.url, `/${MB2}/inbox/${id}/2`, { method: 'HEAD', version: 2 });
    assert.equal(head.status, 405);
    assert.equal(head.headers.get('allow'), 'GET');
    assert.equal(await downloads(), before);
  });

  it('chunk errors: bad range or another total 417, beyond the total 406, another sender 403, unknown message 404, finished message 423', async () => {
    const sent = await first('1:2', 'one');
    const { message_id: id } = await sent.json() as { message_id: string };
    for (const range of [undefined, '3:2', '1:2', 'x']) {
      const response = await chunk(id, 2, range, 'two');
      assert.equal(response.status, 417, String(range));
      const body = await response.json() as { message_id: string; detail: Array<{ code: string }> };
      assert.equal(body.message_id, id);
      assert.equal(body.detail[0]!.code, 'InvalidHeaderChunks');
    }
    assert.equal((await chunk(id, 3, '3:3', 'three')).status, 406);
    // A total other than the first chunk's (1:2) is a bad chunk value, not a chunk beyond the total.
    for (const range of ['2:3', '2:9']) {
      const otherTotal = await chunk(id, 2, range, 'two');
      assert.equal(otherTotal.status, 417, range);
      const body = await otherTotal.json() as { message_id: string; detail: unknown[] };
      assert.equal(body.message_id, id);
      assert.deepEqual(body.detail, [{
        event: 'SEND', code: 'InvalidHeaderChunks', msg: 'Invalid chunk values sent in mex-Chunk-Range header',
        diagnostics: `mex-Chunk-Range says ${range.split(':')[1]} chunks; the message was sent as 2`,
      }]);
    }
    assert.equal((await chunk(id, 2, '2:2', 'two', {}, MB3)).status, 403);
    assert.equal((await chunk('20200101000000000000_ABCDEF', 2, '2:2', 'two')).status, 404);
    const encodingChanged = await chunk(id, 2, '2:2', gzipSync('two'), { 'content-encoding': 'gzip' });
    assert.equal(encodingChanged.status, 417);
    assert.equal(((await encodingChanged.json()) as { detail: Array<{ msg: string }> }).detail[0]!.msg, 'cannot change content encoding');
    const empty = await chunk(id, 2, '2:2', '');
    assert.equal(empty.status, 417);
    assert.equal(((await empty.json()) as { detail: Array<{ code: string }> }).detail[0]!.code, '02');
    assert.equal((await chunk(id, 2, '2:2', 'two')).status, 202);
    const again = await chunk(id, 2, '2:2', 'two');
    assert.equal(again.status, 423);
    const download = await mesh(spine.url, `/${MB2}/inbox/${id}/2`);
    assert.equal(await download.text(), 'two');
  });

  it('a chunk total past 100,000 (MAX_CHUNKS: 1:9999999) is 417 InvalidHeaderChunks on the send and nothing is stored; 1:100000 is taken', async () => {
    const outbox = async () => ((await (await mesh(spine.url, `/${MB1}/outbox/rich`, { version: 2 })).json()) as { messages: unknown[] }).messages.length;
    const before = await outbox();
    for (const range of ['1:9999999', '1:100001', '1:999999999']) {
      for (const version of [1, 2] as const) {
        const response = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version, body: 'one',
          headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': range } });
        assert.equal(response.status, 417, range);
        const body = await response.json() as Record<string, unknown> & { detail?: Array<{ code: string; msg: string }> };
        if (version === 1) assert.deepEqual(body, { errorEvent: 'SEND', errorCode: 'InvalidHeaderChunks', errorDescription: 'Invalid chunk values sent in mex-Chunk-Range header' });
        else assert.deepEqual(body.detail!.map(({ code, msg }) => ({ code, msg })), [{ code: 'InvalidHeaderChunks', msg: 'Invalid chunk values sent in mex-Chunk-Range header' }]);
      }
    }
    assert.equal(await outbox(), before, 'nothing refused was stored');
    const most = await first('1:100000', 'one');
    assert.equal(most.status, 202);
    assert.equal(await outbox(), before + 1);
  });

  it('a re-sent chunk replaces the earlier upload of that chunk', async () => {
    const { message_id: id } = await (await first('1:3', 'A')).json() as { message_id: string };
    assert.equal((await chunk(id, 2, '2:3', 'wrong')).status, 202);
    assert.equal((await chunk(id, 2, '2:3', 'B')).status, 202);
    assert.equal((await chunk(id, 3, '3:3', 'C')).status, 202);
    const parts = await Promise.all([1, 2, 3].map(async (n) => (await mesh(spine.url, n === 1 ? `/${MB2}/inbox/${id}` : `/${MB2}/inbox/${id}/${n}`)).text()));
    assert.deepEqual(parts, ['A', 'B', 'C']);
  });

  it('a multi-segment chunk (larger than one storage row) streams back intact', async () => {
    const big = Buffer.alloc(2.5 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i += 1) big[i] = (i * 31) % 251;
    const response = await first('1:1', big);
    assert.equal(response.status, 202);
    const { message_id: id } = await response.json() as { message_id: string };
    const download = await rawGet(`${spine.url}/messageexchange/${MB2}/inbox/${id}`, { authorization: meshAuthorization(MB2) });
    assert.equal(download.status, 200);
    assert.equal(download.headers['content-length'], String(big.length));
    assert.ok(download.body.equals(big));
  });

  it('many concurrent last chunks still accept the message exactly once', async () => {
    const total = 8;
    const { message_id: id } = await (await first(`1:${total}`, 'c1')).json() as { message_id: string };
    const responses = await Promise.all(Array.from({ length: total - 1 }, (_, i) => chunk(id, i + 2, `${i + 2}:${total}`, `c${i + 2}`)));
    assert.deepEqual(responses.map((r) => r.status), Array(total - 1).fill(202));
    assert.equal((await inbox()).filter((m) => m === id).length, 1);
    const events = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM messaging.message_events WHERE message_id = $1 AND status = 'accepted'`, [id]);
    assert.equal(events.rows[0].n, 1);
  });
});
