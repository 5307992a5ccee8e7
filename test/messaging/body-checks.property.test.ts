import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { checkDeclaredLength } from '../../src/services/messaging/handlers/send.js';
import { checkedGzip, checkGzipBody, readSmallBody } from '../../src/services/messaging/handlers/chunk-body.js';
import { MeshError } from '../../src/services/messaging/mesh-error.js';
import { MAX_CHUNK_BYTES, SEGMENT_BYTES } from '../../src/services/messaging/protocol/limits.js';
import { newMessageId, normaliseMessageId } from '../../src/services/messaging/protocol/message-id.js';

/** 'ok', or the catalogue name of the MESH error the check threw (anything else fails the test). */
async function outcome(check: () => unknown): Promise<string> {
  try {
    await check();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof MeshError, `not a MeshError: ${String(err)}`);
    return `${err.spec.status} ${err.spec.display}`;
  }
}
const CHUNK_TOO_LARGE = '413 A single request may carry at most 100MB';
const NOT_GZIP = '400 Body is not gzip-encoded as its Content-Encoding says';
const INFLATES_TOO_LARGE = '413 A gzip chunk may inflate to at most 1GB';
const INVALID_PARAMETER = '400 Invalid request parameter';

describe('a send\'s declared Content-Length (properties)', () => {
  it('spec: at most 100MB a request; a declared length past that is refused 413 before a byte is read, up to it is left to the body', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.integer({ min: 0, max: MAX_CHUNK_BYTES }), fc.integer({ min: MAX_CHUNK_BYTES + 1, max: 2 ** 53 - 1 }), fc.constantFrom(MAX_CHUNK_BYTES, MAX_CHUNK_BYTES + 1)), async (length) => {
      const expected = length > MAX_CHUNK_BYTES ? CHUNK_TOO_LARGE : 'ok';
      assert.equal(await outcome(() => checkDeclaredLength({ 'content-length': String(length) })), expected, String(length));
    }), { numRuns: 300 });
  });

  it('any Content-Length value (or none) is passed or refused with MESH\'s own error, never a TypeError', async () => {
    const value = fc.oneof(fc.string({ maxLength: 20 }), fc.constant(undefined), fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }));
    await fc.assert(fc.asyncProperty(value, async (length) => {
      assert.ok(['ok', CHUNK_TOO_LARGE].includes(await outcome(() => checkDeclaredLength({ 'content-length': length }))));
    }), { numRuns: 300 });
  });
});

/** Bytes split into the pieces a request body might arrive in. */
const pieces = (bytes: Buffer, cuts: number[]) => {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...at].map((from, i) => bytes.subarray(from, at[i] ?? bytes.length)).filter((p) => p.length > 0);
};
/** A request body as the server reads it. */
async function* streamOf(parts: readonly Buffer[]): AsyncGenerator<Buffer> {
  yield* parts;
}
const data = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.stringMatching(/^[a-z \n]{1,3000}$/).map((s) => new TextEncoder().encode(s)));
const level = fc.integer({ min: 0, max: 9 });

describe('a gzip body (properties)', () => {
  it('anything gzipped, at any level, is accepted whole; so is a concatenation of gzip members (RFC 1952)', async () => {
    await fc.assert(fc.asyncProperty(data, data, level, fc.boolean(), async (a, b, l, twoMembers) => {
      const body = twoMembers ? Buffer.concat([gzipSync(a, { level: l }), gzipSync(b)]) : gzipSync(a, { level: l });
      assert.equal(await outcome(() => checkGzipBody(body, 'M1')), 'ok');
    }), { numRuns: 150 });
  });

  it('a gzip body cut short anywhere is refused 400 as not gzip', async () => {
    await fc.assert(fc.asyncProperty(data, level, fc.nat(), async (bytes, l, cut) => {
      const gzip = gzipSync(bytes, { level: l });
      const short = gzip.subarray(0, 1 + (cut % (gzip.length - 1)));
      assert.equal(await outcome(() => checkGzipBody(short)), NOT_GZIP, `${short.length} of ${gzip.length} bytes`);
    }), { numRuns: 150 });
  });

  it('a gzip body with any one byte of its magic, method, compressed data or trailer changed is refused 400, unless it still inflates whole to the same data', async () => {
    // Header bytes 3-9 (flags, time, extra flags, OS) are not checked by any gzip reader: left alone.
    // A change in a deflate block's padding bits leaves the same data: zlib's one-shot inflate is the judge.
    await fc.assert(fc.asyncProperty(data, level, fc.nat(), fc.integer({ min: 1, max: 255 }), async (bytes, l, at, flip) => {
      const gzip = Buffer.from(gzipSync(bytes, { level: l }));
      const checked = [0, 1, 2, ...Array.from({ length: gzip.length - 10 }, (_, i) => i + 10)];
      const i = checked[at % checked.length]!;
      gzip[i] = gzip[i]! ^ flip;
      const stillInflates = (() => {
        try {
          return Buffer.from(bytes).equals(gunzipSync(gzip));
        } catch {
          return false;
        }
      })();
      assert.equal(await outcome(() => checkGzipBody(gzip)), stillInflates ? 'ok' : NOT_GZIP, `byte ${i} of ${gzip.length}`);
    }), { numRuns: 300 });
  });

  it('bytes that are not gzip at all are refused 400, never anything else', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
      fc.pre(!(bytes[0] === 0x1f && bytes[1] === 0x8b));
      assert.equal(await outcome(() => checkGzipBody(Buffer.from(bytes))), NOT_GZIP);
    }), { numRuns: 300 });
  });

  it('streamed in any pieces, a body passes through unchanged, and is refused 413 exactly when it inflates past the limit', async () => {
    await fc.assert(fc.asyncProperty(data, fc.array(fc.nat(), { maxLength: 5 }), fc.integer({ min: 0, max: 4000 }), async (bytes, cuts, maxInflated) => {
      const gzip = gzipSync(bytes);
      const out: Buffer[] = [];
      const result = await outcome(async () => { for await (const piece of checkedGzip(pieces(gzip, cuts), 'M1', maxInflated)) out.push(piece); });
      if (bytes.length > maxInflated) return assert.equal(result, INFLATES_TOO_LARGE);
      assert.equal(result, 'ok');
      assert.deepEqual(Buffer.concat(out), gzip);
    }), { numRuns: 200 });
  });
});

describe('a small body read whole against its Content-Length (properties)', () => {
  it('a body of exactly its declared length (1 byte to a segment), in any pieces, is read whole and unchanged', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 5 }), async (bytes, cuts) => {
      const body = Buffer.from(bytes);
      assert.deepEqual(await readSmallBody(streamOf(pieces(body, cuts)), String(body.length)), body);
    }), { numRuns: 200 });
  });

  it('a body that ends before its declared length is refused 400, never stored short', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 2000 }), fc.integer({ min: 1, max: 1000 }), async (bytes, missing) => {
      const declared = Math.min(bytes.length + missing, SEGMENT_BYTES);
      assert.equal(await outcome(() => readSmallBody(streamOf([Buffer.from(bytes)].filter((b) => b.length > 0)), String(declared))), INVALID_PARAMETER);
    }), { numRuns: 200 });
  });

  it('no, a zero, a malformed or a larger-than-a-segment length is not read here (left to the streaming path)', async () => {
    const notSmall = fc.oneof(fc.constant(undefined), fc.constant('0'), fc.integer({ min: SEGMENT_BYTES + 1 }).map(String), fc.string({ maxLength: 12 }).filter((s) => !/^\d+$/.test(s)), fc.array(fc.constant('5'), { minLength: 2, maxLength: 2 }));
    await fc.assert(fc.asyncProperty(notSmall, async (declared) => {
      let read = false;
      const body = (async function* () { read = true; yield Buffer.from('hello'); })();
      assert.equal(await readSmallBody(body, declared), undefined);
      assert.equal(read, false, 'the body was read');
    }), { numRuns: 200 });
  });
});

describe('message ids in paths (properties)', () => {
  const messageId = fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map(newMessageId);
  const recased = (value: string, upper: readonly boolean[]) => [...value].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c.toLowerCase())).join('');

  it('MESH upper-cases message ids: an id MESH gave, in any case, names that id', () => {
    fc.assert(fc.property(messageId, fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }), (id, upper) => {
      assert.equal(normaliseMessageId(id), id);
      assert.equal(normaliseMessageId(recased(id, upper)), id);
    }), { numRuns: 300 });
  });

  it('ids that differ other than in case (any one character changed to any other) never name the same message', () => {
    fc.assert(fc.property(messageId, (id) => {
      for (let i = 0; i < id.length; i++) {
        for (const replacement of '0123456789ABCDEF_-x.') {
          if (id[i]!.toUpperCase() === replacement.toUpperCase()) continue;
          assert.notEqual(normaliseMessageId(`${id.slice(0, i)}${replacement}${id.slice(i + 1)}`), normaliseMessageId(id));
        }
      }
    }), { numRuns: 50 });
  });

  it('any text: normalising it again changes nothing', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: fc.constantFrom(...' \t_aZ0ßﬀı'), maxLength: 12 })), (text) => {
      const normal = normaliseMessageId(text);
      assert.equal(normaliseMessageId(normal), normal);
    }), { numRuns: 500 });
  });
});
