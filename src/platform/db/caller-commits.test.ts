import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lsnValue } from './caller-commits.js';

/** An LSN as PostgreSQL prints it: two hexadecimal halves, upper case, no leading zeros. */
const printed = (value: bigint) => `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
const position = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

describe('WAL positions (LSNs)', () => {
  it('reads the positions PostgreSQL prints, e.g. 16/B374D848 and 0/0', () => {
    assert.equal(lsnValue('16/B374D848'), 0x16b374d848n);
    assert.equal(lsnValue('0/0'), 0n);
    assert.equal(lsnValue('FFFFFFFF/FFFFFFFF'), 2n ** 64n - 1n);
  });

  it('reads back any printed position, so two positions compare as PostgreSQL compares them', () => {
    fc.assert(fc.property(position, position, (a, b) => {
      assert.equal(lsnValue(printed(a)), a);
      assert.equal(lsnValue(printed(a)) > lsnValue(printed(b)), a > b);
    }));
  });
});
