import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { runInNewContext } from 'node:vm';
import { collectStartupGarbage } from './startup-garbage.js';

describe('collecting the garbage a start leaves', () => {
  it('collects what nothing holds any more, and leaves no gc exposed behind it', async () => {
    // Garbage as a start leaves it: many small objects, one of them watched through a WeakRef.
    const make = () => {
      const built = Array.from({ length: 200_000 }, (_, i) => ({ i, name: `schema-${i}` }));
      return new WeakRef(built);
    };
    const gcBefore = (globalThis as { gc?: unknown }).gc;
    const watched = make();
    // A WeakRef's target is kept to the end of the job that made or read it.
    await nextTurn();
    const before = process.memoryUsage().heapUsed;
    collectStartupGarbage();
    assert.equal(watched.deref(), undefined, 'the unreachable objects were collected');
    assert.ok(process.memoryUsage().heapUsed < before, 'the heap in use shrank');
    assert.equal((globalThis as { gc?: unknown }).gc, gcBefore, 'the global object has a gc only if the process was started with one');
    if (gcBefore === undefined) {
      assert.equal(runInNewContext('typeof gc'), 'undefined', 'a context made afterwards has no gc either: the flag was put back');
    }
  });
});
