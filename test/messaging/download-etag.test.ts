import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, V2, mesh, meshAuthorization, sendMessage } from './support/mesh-client.js';
import { rawGet } from './support/raw-http.js';

const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');

/**
 * MESH spec, "Download message": the final (200) response carries `etag: "<SHA-1 of its bytes>"`,
 * and the HEAD example shows the same header. A body streamed from storage (over 1 MB) and a HEAD
 * had none; now every 200 download and the HEAD that mirrors it carry one.
 */
describe('MESH download ETag: streamed bodies and HEAD too', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const get = (id: string, headers: Record<string, string> = {}, path = '') =>
    rawGet(`${spine.url}/messageexchange/${MB2}/inbox/${id}${path}`, { authorization: meshAuthorization(MB2), ...headers });
  // Over node:http, not fetch, which would add its own Accept-Encoding.
  const head = (id: string, headers: Record<string, string> = {}) => new Promise<string | undefined>((resolve, reject) => {
    const req = request(`${spine.url}/messageexchange/${MB2}/inbox/${id}`, { method: 'HEAD', headers: { authorization: meshAuthorization(MB2), ...headers } }, (res) => {
      assert.equal(res.statusCode, 200);
      res.resume();
      res.on('end', () => resolve(res.headers.etag));
    });
    req.on('error', reject);
    req.end();
  });

  it('a body streamed from storage as stored carries the SHA-1 of its bytes; its HEAD the same', async () => {
    const big = Buffer.alloc(2.5 * 1024 * 1024 + 3);
    for (let i = 0; i < big.length; i += 1) big[i] = (i * 7) % 253;
    const id = await sendMessage(spine.url, MB1, MB2, big);
    const download = await get(id);
    assert.equal(download.status, 200);
    assert.ok(download.body.equals(big));
    assert.equal(download.headers.etag, `"${sha1(big)}"`);
    assert.equal(await head(id), `"${sha1(big)}"`);
  });

  it('a gzip-stored body streamed as stored: the SHA-1 of the gzip bytes sent; gunzipped for a client that takes no gzip: another tag, stable, and the HEAD says each', async () => {
    const text = Buffer.from('a line of a long report, '.repeat(200_000));
    const zipped = gzipSync(text, { level: 0 });
    assert.ok(zipped.length > 1024 * 1024, 'more than one storage segment');
    const id = await sendMessage(spine.url, MB1, MB2, zipped, { 'content-encoding': 'gzip', 'mex-content-compressed': 'Y' });
    const asStored = await get(id, { accept: V2, 'accept-encoding': 'gzip' });
    assert.equal(asStored.headers['content-encoding'], 'gzip');
    assert.equal(asStored.headers.etag, `"${sha1(zipped)}"`);
    assert.equal(await head(id, { accept: V2, 'accept-encoding': 'gzip' }), `"${sha1(zipped)}"`);

    const plain = await get(id, { accept: V2 });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.ok(plain.body.equals(text));
    const tag = plain.headers.etag as string;
    assert.match(tag, /^"[0-9a-f]{40}-identity"$/);
    assert.notEqual(tag, asStored.headers.etag);
    assert.equal((await get(id, { accept: V2 })).headers.etag, tag);
    assert.equal(await head(id, { accept: V2 }), tag);
    assert.ok(gunzipSync(asStored.body).equals(plain.body));
  });

  it('a small body: the HEAD carries the ETag its download has, as stored and gzipped on the fly', async () => {
    const id = await sendMessage(spine.url, MB1, MB2, 'm you in the future,\n\nBob.\n');
    assert.equal(await head(id), '"866243ab74e0107a4d5835f8d6552e7f20c39ee1"');
    const zipped = await get(id, { accept: V2, 'accept-encoding': 'gzip' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(await head(id, { accept: V2, 'accept-encoding': 'gzip' }), zipped.headers.etag);
  });

  it('a chunked message: the HEAD mirrors its first download, a 206, so carries no ETag', async () => {
    const first = await mesh(spine.url, `/${MB1}/outbox`, {
      method: 'POST', version: 2, body: 'part one, ', headers: { 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': '1:2' },
    });
    const { message_id: id } = await first.json() as { message_id: string };
    assert.equal((await mesh(spine.url, `/${MB1}/outbox/${id}/2`, { method: 'POST', version: 2, body: 'part two', headers: { 'mex-chunk-range': '2:2' } })).status, 202);
    assert.equal((await get(id)).status, 206);
    assert.equal(await head(id), undefined);
  });
});
