import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sameMessage } from './amendment-targets.js';

/** A string cased character by character as `flips` says (true: upper case). */
const recased = (text: string, flips: boolean[]) =>
  [...text].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c.toLowerCase())).join('');

describe('message identifiers an amendment or withdrawal names', () => {
  it('a UUID names its message however either is cased', () => {
    fc.assert(fc.property(fc.uuid(), fc.array(fc.boolean(), { minLength: 1 }), fc.array(fc.boolean(), { minLength: 1 }),
      (uuid, a, b) => assert.equal(sameMessage(recased(uuid, a), recased(uuid, b)), true)));
  });

  it('another UUID is another message', () => {
    fc.assert(fc.property(fc.uuid(), fc.uuid(), (a, b) => assert.equal(sameMessage(a, b), a === b)));
  });

  it('an identifier that is not a UUID names only itself, exactly as written', () => {
    assert.equal(sameMessage('dispense-notification-a', 'dispense-notification-a'), true);
    assert.equal(sameMessage('dispense-notification-a', 'DISPENSE-NOTIFICATION-A'), false);
    assert.equal(sameMessage('ABC', 'abc'), false);
  });
});
