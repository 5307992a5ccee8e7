import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { ChunkInflatesTooLarge, meshApi } from '../../src/services/messaging/api.js';
import { MAX_CHUNK_BYTES, MAX_INFLATED_CHUNK_BYTES } from '../../src/services/messaging/protocol/limits.js';
import { pgBodyStore } from '../../src/services/messaging/store/pg-body-store.js';
import { recordChunk } from '../../src/services/messaging/store/chunks.js';
import { MB1, MB2, meshAuthorization, sendMessage } from './support/mesh-client.js';

/**
 * Uploads refuse a gzip chunk that inflates past 1 GiB; a chunk stored without that check (before
 * it existed, or restored from elsewhere) must not make a download, or a service reading the
 * message through MESH's api, inflate without end either.
 */
describe('MESH: a stored gzip chunk is inflated within the bound uploads are held to', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  /** A delivered gzip message whose stored chunk 1 is then replaced by `stored`, as no upload would store it. */
  async function storedUnchecked(stored: Buffer): Promise<string> {
    const id = await sendMessage(spine.url, MB1, MB2, gzipSync('a small letter'), { 'content-encoding': 'gzip' });
    const bodies = pgBodyStore(spine.ctx.db);
    await spine.ctx.db.tx(async (tx) => {
      const written = await bodies.writeChunk(tx, { messageId: id, chunkNo: 1 }, (async function* () { yield stored; })(), MAX_CHUNK_BYTES, { fresh: false });
      await recordChunk(tx, id, { chunkNo: 1, byteSize: written.bytes, segments: written.segments, contentEncoding: 'gzip', sha1: createHash('sha1').update(stored).digest('hex') }, new Date());
    });
    return id;
  }

  it('the api\'s body() stops a chunk that inflates past its bound with ChunkInflatesTooLarge, and reads one within it whole', async () => {
    const twoMiB = Buffer.alloc(2 * 1024 * 1024, 'z');
    const id = await storedUnchecked(gzipSync(twoMiB));
    const read = async (maxInflated: number) => {
      let bytes = 0;
      for await (const piece of meshApi(spine.ctx, MAX_CHUNK_BYTES, maxInflated).body(id)) bytes += piece.length;
      return bytes;
    };
    await assert.rejects(read(1024 * 1024), (err: unknown) => err instanceof ChunkInflatesTooLarge && err.maxInflated === 1024 * 1024);
    assert.equal(await read(2 * 1024 * 1024), twoMiB.length);
    assert.equal(await read(MAX_INFLATED_CHUNK_BYTES), twoMiB.length);
  });

  it('a download to a client without gzip stops inflating past 1 GiB: the answer is cut short, never the whole bomb', async () => {
    // 65 gzip members of 16 MiB of zeros each: 1.06 MB stored, 1,040 MiB inflated.
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
    const id = await storedUnchecked(Buffer.concat(Array.from({ length: 65 }, () => member)));
    const answer = await new Promise<{ status: number; bytes: number; complete: boolean }>((resolve, reject) => {
      const req = request(`${spine.url}/messageexchange/${MB2}/inbox/${id}`, { headers: { authorization: meshAuthorization(MB2), accept: 'application/vnd.mesh.v2+json' } }, (res) => {
        let bytes = 0;
        res.on('data', (piece: Buffer) => { bytes += piece.length; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, complete: res.complete }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, bytes, complete: false }));
        res.on('aborted', () => resolve({ status: res.statusCode ?? 0, bytes, complete: false }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.complete, false, `${answer.bytes} bytes, complete`);
    assert.ok(answer.bytes <= MAX_INFLATED_CHUNK_BYTES, `${answer.bytes} bytes`);
    // The server goes on serving.
    const again = await fetch(`${spine.url}/messageexchange/_ping`);
    assert.equal(again.status, 200);
  });
});
