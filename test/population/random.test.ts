import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Random, WeightedPicker, parseWeightedTable } from '../../src/services/demographics/population/random.js';
import { SyntheticNhsNumbers } from '../../src/services/demographics/population/nhs-numbers.js';
import { isValidNhsNumber } from '../../src/platform/nhs-number.js';

const name = fc.stringMatching(/^[A-Z][a-z' -]{0,14}[a-z]$/);

describe('population randomness and frequency tables', () => {
  it('parses a frequency table back into the names and weights it was written from', () => {
    fc.assert(fc.property(fc.array(fc.tuple(name, fc.integer({ min: 1, max: 10_000 })), { minLength: 1, maxLength: 40 }), (entries) => {
      const table = entries.map(([n, w]) => `${n} ${w}`).join(',\n  ');
      assert.deepEqual(parseWeightedTable(table), entries);
    }));
  });

  it('weights names without a figure by rank, most popular first', () => {
    fc.assert(fc.property(fc.uniqueArray(name, { minLength: 2, maxLength: 30 }), (names) => {
      const parsed = parseWeightedTable(names.join(', '));
      assert.deepEqual(parsed.map(([n]) => n), names);
      for (let i = 1; i < parsed.length; i++) assert.ok(parsed[i]![1] < parsed[i - 1]![1]);
    }));
  });

  it('draws whole numbers within bounds and repeats its stream for a seed', () => {
    fc.assert(fc.property(fc.integer(), fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1000 }), (seed, min, span) => {
      const a = new Random(seed);
      const b = new Random(seed);
      for (let i = 0; i < 50; i++) {
        const x = a.int(min, min + span);
        assert.ok(Number.isInteger(x) && x >= min && x <= min + span);
        assert.equal(b.int(min, min + span), x);
      }
    }));
  });

  it('never picks a zero-weight item and picks in proportion to weight', () => {
    fc.assert(fc.property(fc.integer(), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 8 }).filter((w) => w.some((x) => x > 0)), (seed, weights) => {
      const picker = new WeightedPicker(weights.map((w, i) => [i, w] as const));
      const random = new Random(seed);
      const counts = weights.map(() => 0);
      const draws = 4000;
      for (let i = 0; i < draws; i++) counts[picker.pick(random)]! += 1;
      const total = weights.reduce((s, w) => s + w, 0);
      weights.forEach((w, i) => {
        if (w === 0) assert.equal(counts[i], 0);
        else assert.ok(Math.abs(counts[i]! / draws - w / total) < 0.06, `item ${i}: ${counts[i]} of ${draws} for weight ${w}/${total}`);
      });
    }), { numRuns: 40 });
  });

  it('hands out valid, ascending, never-repeated synthetic NHS numbers', () => {
    const numbers = new SyntheticNhsNumbers();
    let previous = '';
    for (let i = 0; i < 20_000; i++) {
      const n = numbers.next();
      assert.ok(isValidNhsNumber(n) && n.startsWith('999'), n);
      assert.ok(n > previous);
      previous = n;
    }
  });

  it('leaves the top of the 999 block to POST /Patient and continues in the 998 block', () => {
    const numbers = new SyntheticNhsNumbers();
    let n = numbers.next();
    let count = 1;
    while (n.startsWith('999')) {
      assert.ok(n < '9999000000', `${n} is below the allocator's reserve`);
      n = numbers.next();
      count += 1;
    }
    assert.ok(n.startsWith('998') && isValidNhsNumber(n), n);
    assert.ok(count > 800_000 && count < 830_000, `${count} numbers before the 998 block`);
  });
});
