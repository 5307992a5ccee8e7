import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { recordedItem, withItemsAsRecorded } from './item-names.js';
import type { Items } from './items.js';

/** Flips the case of each letter where `flips` says so. */
const recased = (id: string, flips: boolean[]) => [...id].map((c, i) => (flips[i % flips.length] ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c)).join('');

describe('items named in a message', () => {
  it('a UUID names its item however either is cased; any other id only exactly; an unknown id stays as named', () => {
    fc.assert(fc.property(fc.uuid(), fc.array(fc.boolean(), { minLength: 1, maxLength: 36 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 36 }), fc.string({ minLength: 1, maxLength: 12 }),
      (uuid, orderFlips, messageFlips, other) => {
        const recorded = recased(uuid, orderFlips);
        const items: Items = { [recorded]: 'with-dispenser', [`x-${other}`]: 'with-dispenser' };
        assert.equal(recordedItem(items, recased(uuid, messageFlips)), recorded);
        assert.equal(recordedItem(items, `x-${other}`), `x-${other}`);
        if (`x-${other}`.toUpperCase() !== `x-${other}`) assert.equal(recordedItem(items, `x-${other}`.toUpperCase()), `x-${other}`.toUpperCase(), 'not a UUID: exactly');
        const event = withItemsAsRecorded(items, { type: 'claim', dispenser: 'FA565', at: new Date(0), items: [uuid.toUpperCase()], itemTypes: { [uuid.toUpperCase()]: ['fully-dispensed'] } });
        assert.deepEqual(event.type === 'claim' && [event.items, event.itemTypes], [[recorded], { [recorded]: ['fully-dispensed'] }]);
      }));
  });
});
