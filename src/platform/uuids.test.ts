import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validate, version } from 'uuid';
import { isUuid, timeOrderedUuid } from './uuids.js';

const millisecondOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('UUIDs in text', () => {
  it('are 8-4-4-4-12 hex digits of any case and version, and nothing else', () => {
    fc.assert(fc.property(fc.uuid(), fc.boolean(), (id, upper) => assert.ok(isUuid(upper ? id.toUpperCase() : id))));
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (text) => {
      fc.pre(!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(text));
      assert.equal(isUuid(text), false);
    }));
    for (const near of ['', '00000000-0000-0000-0000-00000000000', '00000000-0000-0000-0000-0000000000000', '0000000000000000000000000000000000', 'g0000000-0000-0000-0000-000000000000', ' 00000000-0000-0000-0000-000000000000']) {
      assert.equal(isUuid(near), false, near);
    }
  });
});

describe('time-ordered UUIDs', () => {
  it('are version 7 with the RFC variant, carry their millisecond, and each sorts after the one before, whatever the clock does', () => {
    const start = Date.now() + 1_000_000;
    fc.assert(fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 300 }), (steps) => {
      let previous = timeOrderedUuid(start);
      let clock = start;
      for (const step of steps) {
        clock += step;
        const id = timeOrderedUuid(clock);
        assert.ok(validate(id), id);
        assert.equal(version(id), 7);
        assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.ok(id > previous, `${id} after ${previous}`);
        // A clock that went back does not take the ids back with it.
        assert.ok(millisecondOf(id) >= clock, `${id} carries at least ${clock}`);
        previous = id;
      }
    }));
  });

  it('are all different over more ids than one draw of random bytes covers', () => {
    const ids = Array.from({ length: 5_000 }, () => timeOrderedUuid());
    assert.equal(new Set(ids).size, ids.length);
    // The random tails differ too: the pool is drawn afresh, not replayed.
    assert.equal(new Set(ids.map((id) => id.slice(-12))).size, ids.length);
  });
});
