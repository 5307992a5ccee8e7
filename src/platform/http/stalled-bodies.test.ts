import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StalledBodies } from './stalled-bodies.js';

describe('stalled bodies', () => {
  it('a limit of 160 keeps 160 places, 40 for one address; a tiny limit still keeps 4, 1 for one address', () => {
    assert.deepEqual([StalledBodies.forLimit(160).max, StalledBodies.forLimit(160).perAddress], [160, 40]);
    assert.deepEqual([StalledBodies.forLimit(1).max, StalledBodies.forLimit(1).perAddress], [4, 1]);
  });

  it('never holds more than its places, nor more than its share for one address, whatever the order of entries and leaves', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5 })), { maxLength: 200 }), (steps) => {
      const stalled = new StalledBodies(6, 2);
      const held = new Map<string, number>();
      for (const [entering, n] of steps) {
        const address = `10.0.0.${n}`;
        if (entering) {
          if (stalled.enter(address)) held.set(address, (held.get(address) ?? 0) + 1);
        } else if ((held.get(address) ?? 0) > 0) {
          stalled.leave(address);
          held.set(address, held.get(address)! - 1);
        }
        const total = [...held.values()].reduce((a, b) => a + b, 0);
        assert.equal(stalled.size, total);
        assert.ok(total <= 6);
        assert.ok([...held.values()].every((h) => h <= 2));
      }
    }));
  });
});
