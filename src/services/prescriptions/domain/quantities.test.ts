import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hundredths, overSupplied, sameUnit, suppliedBy } from './quantities.js';

const TABLETS = { value: 20, unit: 'tablet', code: '428673006' };

describe('quantities supplied against prescribed (quantities.ts)', () => {
  it('one unit: the same system and code where both have a code (the tablet unit of presentation as either SNOMED code), else the same unit text (either case, a plural s aside)', () => {
    assert.ok(sameUnit({ value: 1, unit: 'tablet', code: '732936001' }, TABLETS));
    assert.ok(sameUnit({ value: 1, code: '732936001', system: 'http://snomed.info/sct' }, TABLETS), 'by code, whatever its text');
    assert.ok(sameUnit({ value: 1, unit: 'Tablets' }, TABLETS));
    assert.ok(sameUnit({ value: 1, unit: 'dose', code: '428673006' }, TABLETS));
    assert.ok(!sameUnit({ value: 1, unit: 'pack', code: '3318611000001103' }, TABLETS));
    assert.ok(!sameUnit({ value: 1, unit: 'tablet', code: '258773002' }, TABLETS), 'a millilitre code is not a tablet, whatever its text says');
    assert.ok(!sameUnit({ value: 1, unit: 'tablet', system: 'http://unitsofmeasure.org', code: '428673006' }, TABLETS), 'one code in two systems is two units');
    assert.ok(!sameUnit({ value: 1, unit: 'mL', system: 'http://unitsofmeasure.org', code: 'mL' }, { value: 1, unit: 'ml', code: '258773002' }), 'no conversion between systems');
    assert.ok(!sameUnit({ value: 1 }, { value: 1 }));
  });

  it('a notification supplies only items it types supplied, in the prescribed unit, and nothing when nothing is dispensed', () => {
    const prescribed = { a: TABLETS, b: TABLETS };
    const quantities = { a: [{ value: 2.5, unit: 'tablet' }, { value: 1, unit: 'pack' }], b: [{ value: 3, unit: 'tablet' }] };
    assert.deepEqual(suppliedBy(prescribed, quantities, { a: 'partially-dispensed', b: 'owing' }, false), { a: 250 });
    assert.deepEqual(suppliedBy(prescribed, quantities, { a: 'fully-dispensed', b: 'fully-dispensed' }, true), {});
    assert.deepEqual(suppliedBy(undefined, quantities, { a: 'fully-dispensed' }, false), {});
  });

  it('for any quantities of two decimals, over-supply is exactly the sum exceeding the prescription', () => {
    const amount = fc.integer({ min: 0, max: 5000 }).map((h) => h / 100);
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }).map((h) => h / 100), fc.array(amount, { maxLength: 6 }), amount, (ordered, earlier, now) => {
      const prescribed = { a: { value: ordered, unit: 'ml' } };
      const over = overSupplied(prescribed, earlier.map((q) => ({ a: hundredths(q) })), { a: hundredths(now) });
      const total = [...earlier, now].reduce((sum, q) => sum + Math.round(q * 100), 0);
      assert.equal(over !== undefined, total > Math.round(ordered * 100));
    }), { numRuns: 1000 });
  });
});
