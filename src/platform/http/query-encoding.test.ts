import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { firstUndecodableParameter } from './query-encoding.js';

const percentEncoded = (bytes: Uint8Array) => [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const isUtf8 = (bytes: Uint8Array) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};
// Bytes of every kind: arbitrary, valid UTF-8 of any code point, and the classic faults.
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }).map((s) => new TextEncoder().encode(s)),
  fc.constantFrom([0x00], [0x61, 0x00, 0x62], [0xed, 0xa0, 0x80], [0xff], [0xe2, 0x82], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82, 0xac]).map((b) => Uint8Array.from(b)),
);

describe('a query parameter whose percent-encoding is not UTF-8', () => {
  it('is found, in its value, exactly when the encoded bytes are not UTF-8 or hold a NUL', () => {
    fc.assert(fc.property(bytes, fc.constantFrom('', 'a', '+', '%2B'), (value, around) => {
      const found = firstUndecodableParameter(`x=1&family=${around}${percentEncoded(value)}${around}&y=2`);
      if (isUtf8(value) && !value.includes(0)) assert.equal(found, undefined);
      else assert.deepEqual(found, { name: 'family', value: `${around}${percentEncoded(value)}${around}`, inName: false });
    }), { numRuns: 2000 });
  });

  it('is found in its name, as sent, whether or not it has a value', () => {
    fc.assert(fc.property(bytes.filter((b) => !isUtf8(b) || b.includes(0)), fc.boolean(), (name, withValue) => {
      const sent = percentEncoded(name);
      assert.deepEqual(firstUndecodableParameter(`a=1&${sent}${withValue ? '=2' : ''}`), { name: sent, value: withValue ? '2' : '', inName: true });
    }));
  });

  it('a bad escape (a % without two hex digits) is not percent-encoded UTF-8 either; a name is given as Fastify decodes it', () => {
    assert.deepEqual(firstUndecodableParameter('q=50%'), { name: 'q', value: '50%', inName: false });
    assert.deepEqual(firstUndecodableParameter('q=%zz'), { name: 'q', value: '%zz', inName: false });
    assert.deepEqual(firstUndecodableParameter('a+b%2Bc=%FF'), { name: 'a b+c', value: '%FF', inName: false });
    assert.equal(firstUndecodableParameter('q=a+b%2Bc%20d&r=%E2%82%AC&s'), undefined);
  });
});
