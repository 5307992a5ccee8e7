import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { checkedGzip } from './chunk-body.js';
import { MeshError } from '../mesh-error.js';

/** The bytes `checkedGzip` passes on, or the error it ends with. */
async function run(pieces: Buffer[], maxInflated?: number): Promise<{ bytes: Buffer } | { error: unknown }> {
  const out: Buffer[] = [];
  try {
    for await (const piece of checkedGzip(pieces, undefined, maxInflated)) out.push(piece);
    return { bytes: Buffer.concat(out) };
  } catch (error) {
    return { error };
  }
}

const split = (bytes: Buffer, cuts: number[]): Buffer[] => {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...at].map((start, i) => bytes.subarray(start, [...at, bytes.length][i])).filter((p) => p.length > 0);
};

describe('checkedGzip (property)', () => {
  it('passes any gzip body through unchanged, however it is cut into pieces', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.array(fc.nat(), { maxLength: 6 }), async (data, cuts) => {
      const zipped = gzipSync(data);
      const result = await run(split(zipped, cuts));
      assert.ok('bytes' in result, String((result as { error: unknown }).error));
      assert.ok(result.bytes.equals(zipped));
    }));
  });

  it('refuses, as a MESH 400, exactly the bodies gunzip refuses: random bytes, cut short, corrupted', async () => {
    const mangled = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 512 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.uint8Array({ maxLength: 2048 }), fc.nat()).map(([d, n]) => { const z = gzipSync(d); return z.subarray(0, n % z.length); }),
      fc.tuple(fc.uint8Array({ maxLength: 2048 }), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([d, n, x]) => { const z = Buffer.from(gzipSync(d)); const i = n % z.length; z[i] = z[i]! ^ x; return z; }),
    );
    await fc.assert(fc.asyncProperty(mangled, fc.array(fc.nat(), { maxLength: 4 }), async (body, cuts) => {
      let inflates = true;
      try { gunzipSync(body); } catch { inflates = false; }
      const result = await run(split(body, cuts));
      if (inflates && body.length > 0) {
        assert.ok('bytes' in result && result.bytes.equals(body));
      } else {
        assert.ok('error' in result && result.error instanceof MeshError, 'refused');
        assert.equal((result.error as MeshError).spec.status, 400);
      }
    }));
  });

  it('passes a body that inflates to at most the bound, and refuses one that inflates past it as a MESH 413, however it is cut', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.integer({ min: 0, max: 5000 }), fc.array(fc.nat(), { maxLength: 6 }), async (data, bound, cuts) => {
      const zipped = gzipSync(data);
      const result = await run(split(zipped, cuts), bound);
      if (data.length <= bound) {
        assert.ok('bytes' in result && result.bytes.equals(zipped));
      } else {
        assert.ok('error' in result && result.error instanceof MeshError, 'refused');
        assert.equal((result.error as MeshError).spec.status, 413);
      }
    }));
  });
});
