import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { startPeriodic } from './periodic.js';

describe('periodic background jobs', () => {
  it('run one at a time, go on after a failure, and stop only once the run in progress has ended', async () => {
    let active = 0;
    let mostAtOnce = 0;
    let runs = 0;
    let finished = 0;
    const worker = startPeriodic(pino({ level: 'silent' }), 'test job', 5, async () => {
      runs++;
      active++;
      mostAtOnce = Math.max(mostAtOnce, active);
      await sleep(30);
      active--;
      finished++;
      if (runs % 2 === 1) throw new Error('every other run fails');
    });
    while (runs < 4) await sleep(5);
    await worker.stop();
    assert.equal(mostAtOnce, 1, 'a slow run never overlaps the next');
    assert.equal(finished, runs, 'stop waited for the run in progress');
    const stoppedAt = runs;
    await sleep(50);
    assert.equal(runs, stoppedAt, 'no run after stop');
  });
});
