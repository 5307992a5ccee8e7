import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { acceptsGzip, downloadCoding } from '../../src/services/messaging/protocol/content-coding.js';
import { MB1, MB2, V2, mesh, meshAuthorization } from './support/mesh-client.js';
import { rawGet } from './support/raw-http.js';

describe('MESH compression on download', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const send = async (body: Buffer | string, headers: Record<string, string> = {}) => {
    const response = await mesh(spine.url, `/${MB1}/outbox`, {
      method: 'POST', version: 2, body: body as BodyInit,
      headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', ...headers },
    });
    assert.equal(response.status, 202, await response.clone().text());
    return ((await response.json()) as { message_id: string }).message_id;
  };
  const get = (id: string, headers: Record<string, string>, chunk?: number) =>
    rawGet(`${spine.url}/messageexchange/${MB2}/inbox/${id}${chunk ? `/${chunk}` : ''}`, { authorization: meshAuthorization(MB2), ...headers });
  const text = 'A letter that compresses well. '.repeat(200);

  it('a v2 client that accepts gzip gets an uncompressed message gzipped on the fly, flagged mex-Content-Compressed: Y', async () => {
    const id = await send(text);
    const response = await get(id, { accept: V2, 'accept-encoding': 'gzip, deflate' });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-encoding'], 'gzip');
    assert.equal(response.headers['mex-content-compressed'], 'Y');
    assert.equal(response.headers['content-length'], String(response.body.length));
    assert.ok(response.body.length < Buffer.byteLength(text) / 10);
    assert.equal(gunzipSync(response.body).toString(), text);
  });

  it('without gzip in Accept-Encoding, or as a v1 client, the message comes as stored with mex-Content-Compressed: N (the spec\'s example)', async () => {
    const id = await send(text);
    for (const headers of [{ accept: V2 }, { accept: V2, 'accept-encoding': 'gzip;q=0, deflate' }, { accept: 'application/json', 'accept-encoding': 'gzip' }, { 'accept-encoding': 'gzip' }] as Array<Record<string, string>>) {
      const response = await get(id, headers);
      assert.equal(response.status, 200, JSON.stringify(headers));
      assert.equal(response.headers['content-encoding'], undefined, JSON.stringify(headers));
      assert.equal(response.headers['mex-content-compressed'], 'N');
      assert.equal(response.headers['content-length'], String(Buffer.byteLength(text)));
      assert.equal(response.body.toString(), text);
    }
  });

  it('a gzip-stored message goes out as stored to a client that accepts gzip and decompressed to one that does not', async () => {
    const zipped = gzipSync(text);
    const id = await send(zipped, { 'content-encoding': 'gzip' });
    for (const headers of [{ accept: V2, 'accept-encoding': 'gzip' }, { accept: 'application/json', 'accept-encoding': 'x-gzip' }, { accept: V2, 'accept-encoding': '*' }]) {
      const response = await get(id, headers);
      assert.equal(response.headers['content-encoding'], 'gzip', JSON.stringify(headers));
      assert.equal(response.headers['mex-content-compressed'], 'Y');
      assert.ok(response.body.equals(zipped), 'byte for byte as uploaded');
    }
    for (const headers of [{ accept: V2 }, { accept: 'application/json' }, { accept: V2, 'accept-encoding': 'br, deflate' }] as Array<Record<string, string>>) {
      const response = await get(id, headers);
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-encoding'], undefined, JSON.stringify(headers));
      assert.equal(response.headers['mex-content-compressed'], 'N', 'not flagged compressed by the sender, not gzip-encoded now');
      assert.equal(response.headers['content-length'], String(Buffer.byteLength(text)));
      assert.equal(response.body.toString(), text);
    }
  });

  it('the sender\'s own mex-Content-Compressed flag is kept when the body is decompressed for the client', async () => {
    const id = await send(gzipSync('flagged'), { 'content-encoding': 'gzip', 'mex-content-compressed': 'Y' });
    const response = await get(id, { accept: V2 });
    assert.equal(response.body.toString(), 'flagged');
    assert.equal(response.headers['mex-content-compressed'], 'Y');
  });

  it('each chunk of a chunked gzip message is decompressed on its own for a client without gzip: 206 then 200', async () => {
    const parts = ['first half, ', 'second half.'];
    const first = await mesh(spine.url, `/${MB1}/outbox`, {
      method: 'POST', version: 2, body: gzipSync(parts[0]!),
      headers: { 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': '1:2', 'content-encoding': 'gzip' },
    });
    const { message_id: id } = await first.json() as { message_id: string };
    const second = await mesh(spine.url, `/${MB1}/outbox/${id}/2`, { method: 'POST', version: 2, body: gzipSync(parts[1]!), headers: { 'mex-chunk-range': '2:2', 'content-encoding': 'gzip' } });
    assert.equal(second.status, 202);
    const one = await get(id, { accept: V2 });
    const two = await get(id, { accept: V2 }, 2);
    assert.deepEqual([one.status, two.status], [206, 200]);
    assert.equal(one.body.toString() + two.body.toString(), parts.join(''));
  });

  it('chunks larger than one storage row are re-coded as a stream, sent chunked, intact both ways', async () => {
    const big = Buffer.from(Array.from({ length: 90_000 }, (_, i) => `line ${i} of a long report\n`).join(''));
    assert.ok(big.length > 2 * 1024 * 1024);
    const plainId = await send(big);
    const zippedOnTheFly = await get(plainId, { accept: V2, 'accept-encoding': 'gzip' });
    assert.equal(zippedOnTheFly.headers['content-encoding'], 'gzip');
    assert.equal(zippedOnTheFly.headers['content-length'], undefined);
    assert.equal(zippedOnTheFly.headers['transfer-encoding'], 'chunked');
    assert.ok(gunzipSync(zippedOnTheFly.body).equals(big));

    const noisy = randomBytes(3 * 1024 * 1024);
    const gzipId = await send(gzipSync(noisy), { 'content-encoding': 'gzip' });
    const inflated = await get(gzipId, { accept: V2 });
    assert.equal(inflated.headers['content-encoding'], undefined);
    assert.equal(inflated.headers['transfer-encoding'], 'chunked');
    assert.ok(inflated.body.equals(noisy));
  });

  it('a small gzip chunk that inflates past 4 MB is streamed, not inflated in memory', async () => {
    const zeros = Buffer.alloc(12 * 1024 * 1024);
    const id = await send(gzipSync(zeros), { 'content-encoding': 'gzip' });
    const response = await get(id, { accept: V2 });
    assert.equal(response.headers['transfer-encoding'], 'chunked');
    assert.ok(response.body.equals(zeros));
  });

  it('a body sent as gzip that does not inflate is refused at upload (400 naming content-encoding), small or streamed, so no recipient gets it cut short', async () => {
    const valid = gzipSync(randomBytes(4 * 1024 * 1024));
    const corrupt = Buffer.from(valid);
    corrupt.fill(0x55, 2_000_000, 2_000_100);
    const bodies: Array<[string, Buffer]> = [
      ['small, not gzip', Buffer.from('plain bytes, mislabelled')],
      ['small, cut short', gzipSync(randomBytes(500_000)).subarray(0, 400_000)],
      ['3 MB, not gzip', randomBytes(3 * 1024 * 1024)],
      ['3 MB, cut short', valid.subarray(0, 3 * 1024 * 1024)],
      ['4 MB, corrupt in the middle', corrupt],
    ];
    const before = await (await mesh(spine.url, `/${MB2}/count`, { version: 2 })).json() as { count: number };
    for (const [label, body] of bodies) {
      for (const version of [1, 2] as const) {
        const response = await mesh(spine.url, `/${MB1}/outbox`, {
          method: 'POST', version, body: body as BodyInit,
          headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'content-encoding': 'gzip' },
        });
        assert.equal(response.status, 400, `${label} v${version}: ${await response.clone().text()}`);
        const error = await response.json() as Record<string, unknown>;
        if (version === 2) {
          const [item] = error.detail as Array<Record<string, unknown>>;
          assert.deepEqual(item!.loc, ['header', 'content-encoding'], label);
          assert.equal(item!.msg, 'Body is not gzip-encoded as its Content-Encoding says');
        } else {
          // v1: the spec's 400 "Validation Error" shape, as for any 400 without a MESH code of its own.
          const [item] = error.detail as Array<Record<string, unknown>>;
          assert.deepEqual(Object.keys(error), ['detail'], label);
          assert.deepEqual(item!.loc, ['header', 'content-encoding'], label);
        }
      }
    }
    // A chunk after the first is checked the same way; the message stays uploading, its good chunk 2 still welcome.
    const first = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 2, body: gzipSync('part one, '),
      headers: { 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': '1:2', 'content-encoding': 'gzip' } });
    const { message_id: id } = await first.json() as { message_id: string };
    const bad = await mesh(spine.url, `/${MB1}/outbox/${id}/2`, { method: 'POST', version: 2, body: randomBytes(2 * 1024 * 1024) as BodyInit, headers: { 'mex-chunk-range': '2:2', 'content-encoding': 'gzip' } });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { message_id?: string }).message_id, id);
    assert.equal((await (await mesh(spine.url, `/${MB2}/count`, { version: 2 })).json() as { count: number }).count, before.count, 'nothing refused was delivered');
    const good = await mesh(spine.url, `/${MB1}/outbox/${id}/2`, { method: 'POST', version: 2, body: gzipSync('part two.'), headers: { 'mex-chunk-range': '2:2', 'content-encoding': 'gzip' } });
    assert.equal(good.status, 202);
    const [one, two] = [await get(id, { accept: V2 }), await get(id, { accept: V2 }, 2)];
    assert.equal(one.body.toString() + two.body.toString(), 'part one, part two.');
    // Valid gzip of every size is still taken (several members too, as gzip(1) concatenates them).
    const members = Buffer.concat([gzipSync('first member, '), gzipSync('second member')]);
    const served = await get(await send(members, { 'content-encoding': 'gzip' }), { accept: V2 });
    assert.equal(served.body.toString(), 'first member, second member');
    const large = await get(await send(valid, { 'content-encoding': 'gzip' }), { accept: V2, 'accept-encoding': 'gzip' });
    assert.ok(large.body.equals(valid));
  });

  it('a gzip body that inflates past 1 GiB (a gzip bomb: 1 MB of gzip, 1 GB of zeros) is refused at upload, 413 MessageTooLarge naming content-encoding, first chunk or later; nothing is delivered', async () => {
    // 65 gzip members of 16 MiB of zeros each: 1.06 MB sent, 1,040 MiB inflated.
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 65 }, () => member));
    assert.ok(bomb.length < 1.1 * 1024 * 1024);
    const before = await (await mesh(spine.url, `/${MB2}/count`, { version: 2 })).json() as { count: number };
    const refused = await mesh(spine.url, `/${MB1}/outbox`, {
      method: 'POST', version: 2, body: bomb as BodyInit,
      headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'content-encoding': 'gzip' },
    });
    assert.equal(refused.status, 413, await refused.clone().text());
    const [item] = (await refused.json() as { detail: Array<Record<string, unknown>> }).detail;
    assert.deepEqual([item!.event, item!.code, item!.msg], ['SEND', 'MessageTooLarge', 'A gzip chunk may inflate to at most 1GB']);
    assert.match(String(item!.diagnostics), /inflates to more than 1073741824 bytes/);
    const v1 = await mesh(spine.url, `/${MB1}/outbox`, {
      method: 'POST', version: 1, body: bomb as BodyInit,
      headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'content-encoding': 'gzip' },
    });
    assert.equal(v1.status, 413);
    assert.deepEqual(await v1.json(), { errorEvent: 'SEND', errorCode: 'MessageTooLarge', errorDescription: 'A gzip chunk may inflate to at most 1GB' });
    // A later chunk too: refused naming its message, which stays uploading and takes a good chunk 2.
    const first = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 2, body: gzipSync('part one, '),
      headers: { 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': '1:2', 'content-encoding': 'gzip' } });
    const { message_id: id } = await first.json() as { message_id: string };
    const later = await mesh(spine.url, `/${MB1}/outbox/${id}/2`, { method: 'POST', version: 2, body: bomb as BodyInit, headers: { 'mex-chunk-range': '2:2', 'content-encoding': 'gzip' } });
    assert.equal(later.status, 413);
    assert.equal(((await later.json()) as { message_id?: string }).message_id, id);
    assert.equal((await (await mesh(spine.url, `/${MB2}/count`, { version: 2 })).json() as { count: number }).count, before.count, 'nothing refused was delivered');
    const good = await mesh(spine.url, `/${MB1}/outbox/${id}/2`, { method: 'POST', version: 2, body: gzipSync('part two.'), headers: { 'mex-chunk-range': '2:2', 'content-encoding': 'gzip' } });
    assert.equal(good.status, 202);
  });
});

describe('downloadCoding (property)', () => {
  const coding = fc.constantFrom('gzip', 'x-gzip', 'GZIP', 'deflate', 'br', 'identity', '*', 'compress');
  const header = fc.array(fc.tuple(coding, fc.option(fc.constantFrom('0', '0.5', '1', '0.001'), { nil: undefined })), { maxLength: 5 })
    .map((items) => items.map(([c, q]) => (q === undefined ? c : `${c};q=${q}`)).join(', '));

  it('gzip-stored chunks are decompressed exactly when gzip is not accepted; only v2 gets on-the-fly gzip', () => {
    fc.assert(fc.property(fc.constantFrom('' as const, 'gzip' as const), fc.constantFrom(1 as const, 2 as const), fc.option(header, { nil: undefined }), (stored, version, accept) => {
      const result = downloadCoding(stored, version, accept);
      const ok = acceptsGzip(accept);
      if (stored === 'gzip') assert.equal(result, ok ? 'as-stored' : 'gunzip');
      else assert.equal(result, version === 2 && ok ? 'gzip' : 'as-stored');
    }));
  });

  it('acceptsGzip: a gzip or * with a non-zero quality admits it; none, or only other codings, do not', () => {
    assert.equal(acceptsGzip(undefined), false);
    assert.equal(acceptsGzip(''), false);
    assert.equal(acceptsGzip('gzip'), true);
    assert.equal(acceptsGzip('GZip;q=0.5'), true);
    assert.equal(acceptsGzip('x-gzip'), true);
    assert.equal(acceptsGzip('*'), true);
    assert.equal(acceptsGzip('gzip;q=0'), false);
    assert.equal(acceptsGzip('deflate, br'), false);
    fc.assert(fc.property(fc.array(fc.constantFrom('deflate', 'br', 'identity', 'compress'), { maxLength: 4 }), (codings) => {
      assert.equal(acceptsGzip(codings.join(', ')), false);
    }));
  });
});
