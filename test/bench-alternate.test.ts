import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alternate, combineRuns, type MeasuredRun } from '../bench/support/alternate.js';
import { combineLoads, type LoadRun } from '../bench/support/load.js';

/** A run of `seconds` whose answers all took the given latencies, `good` of them as expected. */
function loadRun(seconds: number, latencies: number[], good = latencies.length): LoadRun {
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length, rps: good / seconds, p50: NaN, p95: NaN, p99: NaN,
    failures: latencies.length - good, statusCounts: { 200: good }, seconds, latencies: sorted,
  };
}

test('runs combined: the rate over their time together, percentiles over every response, failures and statuses summed', () => {
  const slow = loadRun(2, Array.from({ length: 100 }, () => 50));
  const fast = loadRun(4, Array.from({ length: 900 }, () => 5), 890);
  const both = combineLoads([slow, fast]);
  assert.equal(both.requests, 1000);
  // 990 good answers in 6 s: not the mean of the two rates (50/s and 222.5/s).
  assert.equal(both.rps, 990 / 6);
  assert.equal(both.p50, 5);
  assert.equal(both.p95, 50);
  assert.equal(both.failures, 10);
  assert.deepEqual(both.statusCounts, { 200: 990 });
  assert.equal(both.seconds, 6);
});

test('CPU per request is the runs\' CPU together over their requests together', () => {
  const run = (requests: number, server: number): MeasuredRun => ({
    figures: loadRun(1, Array.from({ length: requests }, () => 1)), cpuSeconds: { server, postgres: server / 2, client: 0.1 },
  });
  const { cpuMs } = combineRuns([run(1000, 0.2), run(3000, 0.2)]);
  assert.equal(cpuMs.server, (0.4 * 1000) / 4000);
  assert.equal(cpuMs.postgres, (0.2 * 1000) / 4000);
  assert.equal(cpuMs.client, (0.2 * 1000) / 4000);
});

test('two loads alternate slice by slice, each slice a share of the time', async () => {
  const order: string[] = [];
  const load = (name: string) => async (seconds: number): Promise<MeasuredRun> => {
    order.push(`${name}${seconds}`);
    return { figures: loadRun(seconds, [1]), cpuSeconds: { server: 0, postgres: 0, client: 0 } };
  };
  const [a, b] = await alternate(3, 15, load('a'), load('b'));
  assert.deepEqual(order, ['a5', 'b5', 'a5', 'b5', 'a5', 'b5']);
  assert.equal(a.figures.seconds, 15);
  assert.equal(b.figures.requests, 3);
});
