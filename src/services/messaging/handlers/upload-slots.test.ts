import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MeshError } from '../mesh-error.js';
import { UploadSlots } from './upload-slots.js';

/** A piece of work that runs until `finish` is called. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  return { work: () => done, finish };
}

describe('MESH upload slots', () => {
  it('a pool of 20 gives 5 slots, 3 for one mailbox; a pool of 1 still gives one', () => {
    const twenty = UploadSlots.forPool(20, 1_000);
    assert.deepEqual([twenty.total, twenty.perMailbox], [5, 3]);
    const one = UploadSlots.forPool(1, 1_000);
    assert.deepEqual([one.total, one.perMailbox], [1, 1]);
  });

  it('one mailbox past its share waits while another takes a free slot at once; a freed slot goes to the waiter', async () => {
    const slots = new UploadSlots(3, 2, 5_000);
    const a1 = held();
    const a2 = held();
    const order: string[] = [];
    const first = slots.run('A', async () => { await a1.work(); order.push('a1'); });
    const second = slots.run('A', async () => { await a2.work(); order.push('a2'); });
    const third = slots.run('A', async () => { order.push('a3'); });
    await slots.run('B', async () => { order.push('b1'); });
    assert.deepEqual(order, ['b1'], 'B was not held behind A\'s waiting upload');
    a1.finish();
    await first;
    await third;
    assert.deepEqual(order, ['b1', 'a1', 'a3']);
    a2.finish();
    await second;
  });

  it('an upload that gets no slot in time is a MESH 503, and the slot count is whole again after failures', async () => {
    const slots = new UploadSlots(1, 1, 50);
    const a = held();
    const running = slots.run('A', a.work);
    await assert.rejects(slots.run('A', async () => 'never'), (err: unknown) => err instanceof MeshError && err.spec.status === 503);
    a.finish();
    await running;
    await assert.rejects(slots.run('A', async () => { throw new Error('upload broke off'); }), /broke off/);
    assert.equal(await slots.run('A', async () => 'ran'), 'ran');
    await sleep(0);
  });
});
