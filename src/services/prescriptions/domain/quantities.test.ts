import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dispensedTotals, hundredths, overClaimed, overSupplied, sameUnit, suppliedBy } from './quantities.js';

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

  it('a notification supplies only items it types supplied, in the prescribed unit, and nothing when nothing is dispensed; an item it gives no quantity of in that unit is unmeasured', () => {
    const prescribed = { a: TABLETS, b: TABLETS, c: TABLETS };
    const quantities = { a: [{ value: 2.5, unit: 'tablet' }, { value: 1, unit: 'pack' }], b: [{ value: 3, unit: 'tablet' }] };
    assert.deepEqual(suppliedBy(prescribed, quantities, { a: 'partially-dispensed', b: 'owing' }, false), { supplied: { a: 250 }, unmeasured: ['a'] });
    assert.deepEqual(suppliedBy(prescribed, quantities, { b: 'fully-dispensed', c: 'fully-dispensed' }, false), { supplied: { b: 300 }, unmeasured: ['c'] });
    assert.deepEqual(suppliedBy(prescribed, quantities, { a: 'fully-dispensed', b: 'fully-dispensed' }, true), { supplied: {}, unmeasured: [] });
    assert.deepEqual(suppliedBy(undefined, quantities, { a: 'fully-dispensed' }, false), { supplied: {}, unmeasured: [] });
  });

  it("what was dispensed of an item is known only when every notification in force measured it (and kept what it left unmeasured)", () => {
    const prescribed = { a: TABLETS, b: TABLETS };
    assert.deepEqual(dispensedTotals(prescribed, [{ a: 500 }, { a: 250, b: 100 }], [[], []]), { a: 750, b: 100 });
    assert.deepEqual(dispensedTotals(prescribed, [{ a: 500 }, { b: 100 }], [[], ['a']]), { b: 100 });
    assert.deepEqual(dispensedTotals(prescribed, [{ a: 500 }, { b: 100 }], [null, []]), {}, 'a notification recorded before unmeasured items were kept');
    assert.deepEqual(dispensedTotals(prescribed, [undefined], [[]]), {}, 'a notification recorded before quantities were kept');
    assert.deepEqual(dispensedTotals(undefined, [{ a: 1 }], [[]]), {});
  });

  it('a claim is for no more than was dispensed, in the unit dispensed; an item not known is not held to it', () => {
    const prescribed = { a: TABLETS, b: TABLETS };
    assert.equal(overClaimed(prescribed, { a: 2000 }, { a: [{ value: 15, unit: 'tablet', code: '428673006' }, { value: 5, unit: 'tablet' }] }), undefined);
    assert.deepEqual(overClaimed(prescribed, { a: 2000 }, { a: [{ value: 15, code: '428673006' }, { value: 5.01, code: '428673006' }] }),
      { item: 'a', prescribed: TABLETS, dispensed: 2000, claimed: 2001 });
    const packs = { value: 1, unit: 'pack', code: '3318611000001103' };
    assert.deepEqual(overClaimed(prescribed, { a: 2000 }, { a: [packs] }), { item: 'a', prescribed: TABLETS, dispensed: 2000, foreign: packs });
    assert.equal(overClaimed(prescribed, { a: 2000 }, { a: [{ ...packs, value: 0 }] }), undefined, 'nothing claimed');
    assert.equal(overClaimed(prescribed, { a: 2000 }, { b: [{ value: 999, code: '428673006' }] }), undefined, 'b: not known');
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

  it('for any quantities of two decimals, a claim is refused exactly when its lines together claim more than was dispensed', () => {
    const amount = fc.integer({ min: 0, max: 5000 }).map((h) => h / 100);
    fc.assert(fc.property(fc.integer({ min: 0, max: 5000 }), fc.array(amount, { maxLength: 4 }), (dispensed, lines) => {
      const over = overClaimed({ a: TABLETS }, { a: dispensed }, { a: lines.map((value) => ({ value, unit: 'tablet', code: '428673006' })) });
      assert.equal(over !== undefined, lines.reduce((sum, q) => sum + Math.round(q * 100), 0) > dispensed);
    }), { numRuns: 1000 });
  });
});
