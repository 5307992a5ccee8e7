import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RoutingCursor } from './relay.js';

describe('where a routing round starts reading the outbox', () => {
  it('at the start first, then at the first id the last round claimed, and at the start again once a second', () => {
    let now = 10_000;
    const cursor = new RoutingCursor(1_000, () => now);
    assert.equal(cursor.next(), 0);
    cursor.routed([41, 42, 57]);
    now += 10;
    assert.equal(cursor.next(), 41);
    // A round that claimed nothing (or rolled back, so reported nothing) leaves it where it was.
    cursor.routed([]);
    now += 10;
    assert.equal(cursor.next(), 41);
    cursor.routed([58, 60]);
    now += 500;
    assert.equal(cursor.next(), 58);
    now += 480;
    assert.equal(cursor.next(), 0, 'a second after the last sweep, from the start again');
    now += 10;
    assert.equal(cursor.next(), 58);
  });
});
