import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isValidNhsNumber, nextNhsNumber, nhsCheckDigit } from './nhs-number.js';

const nineDigits = fc.stringMatching(/^[0-9]{9}$/);

describe('NHS number Modulus 11', () => {
  it('accepts the published examples and rejects a wrong check digit', () => {
    for (const valid of ['9000000009', '9000000017', '9000000025', '9000000033', '9111231130']) {
      assert.equal(isValidNhsNumber(valid), true, valid);
    }
    assert.equal(isValidNhsNumber('9000000000'), false);
    assert.equal(isValidNhsNumber('900000000'), false);
    assert.equal(isValidNhsNumber('90000000091'), false);
    assert.equal(isValidNhsNumber('900000000a'), false);
    // Passes Modulus 11, but is no NHS number.
    assert.equal(nhsCheckDigit('000000000'), 0);
    assert.equal(isValidNhsNumber('0000000000'), false);
  });

  it('a number is valid exactly when its tenth digit is the check digit of the first nine, and it is not ten zeros', () => {
    // Ten zeros, and the numbers next to them, drawn often: a stem of zeros with a few digits changed.
    const nearZero = fc.array(fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 9 })), { maxLength: 2 })
      .map((changes) => changes.reduce((stem, [at, digit]) => stem.slice(0, at) + String(digit) + stem.slice(at + 1), '000000000'));
    fc.assert(fc.property(fc.oneof(nineDigits, nearZero), fc.integer({ min: 0, max: 9 }), (stem, last) => {
      const check = nhsCheckDigit(stem);
      assert.equal(isValidNhsNumber(stem + String(last)), check === last && stem + String(last) !== '0000000000');
    }), { numRuns: 1000 });
  });

  it('changing any single digit of a valid number makes it invalid', () => {
    const validNumbers = nineDigits.filter((stem) => nhsCheckDigit(stem) !== undefined)
      .map((stem) => stem + String(nhsCheckDigit(stem)));
    fc.assert(fc.property(validNumbers, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 }), (number, position, delta) => {
      const digit = (Number(number[position]) + delta) % 10;
      const mutated = number.slice(0, position) + String(digit) + number.slice(position + 1);
      assert.equal(isValidNhsNumber(mutated), false);
    }));
  });

  it('never accepts anything that is not ten digits', () => {
    fc.assert(fc.property(fc.string(), (value) => {
      if (!/^[0-9]{10}$/.test(value)) assert.equal(isValidNhsNumber(value), false);
    }));
  });

  it('nextNhsNumber from the bottom of the range skips ten zeros', () => {
    assert.deepEqual(nextNhsNumber(-1), { stem: 1, nhsNumber: '0000000019' });
  });

  it('nextNhsNumber always yields a valid number above the stem', () => {
    fc.assert(fc.property(fc.integer({ min: 999_000_000, max: 999_999_000 }), (after) => {
      const { stem, nhsNumber } = nextNhsNumber(after);
      assert.ok(stem > after);
      assert.equal(isValidNhsNumber(nhsNumber), true);
      assert.ok(nhsNumber.startsWith(String(stem)));
    }));
  });
});
