import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeResults } from '../bench/support/results.js';

const run = (date: string, benches: string[]) => ({ date, benches, machine: { load: date }, ceilings: { fastify_get_rps: date.length } });

test('a later run of another bench keeps the earlier scenarios of the day and adds its own', () => {
  const first = mergeResults(undefined, run('T1', ['ceiling', 'mixed']), [{ name: 'mixed', bench: 'mixed' }, { name: 'pds_read', bench: 'mixed' }], { capacity: { a: 1 } }, ['mixed: mixed Spine workload']);
  const second = mergeResults(first, run('T2', ['ceiling', 'mesh']), [{ name: 'mesh: full cycle', bench: 'mesh' }], {}, []);
  assert.deepEqual(second.scenarios.map((s) => s.name), ['mixed', 'pds_read', 'mesh: full cycle']);
  assert.deepEqual(second.capacity, { a: 1 });
  assert.deepEqual(second.failed, ['mixed: mixed Spine workload']);
  assert.equal(second.date, 'T2');
  assert.deepEqual(second.runs.map((r) => (r as { date: string }).date), ['T1', 'T2']);
});

test('a rerun of a bench replaces its scenarios, sections and failures', () => {
  const first = mergeResults(undefined, run('T1', ['ceiling', 'mixed', 'nrl']), [{ name: 'mixed', bench: 'mixed' }, { name: 'old type', bench: 'mixed' }, { name: 'nrl: search', bench: 'nrl' }], { capacity: { a: 1 } }, ['mixed: x', 'nrl: y']);
  const second = mergeResults(first, run('T2', ['ceiling', 'mixed']), [{ name: 'mixed', bench: 'mixed' }], { capacity: { a: 2 } }, []);
  assert.deepEqual(second.scenarios.map((s) => s.name), ['nrl: search', 'mixed']);
  assert.deepEqual(second.capacity, { a: 2 });
  assert.deepEqual(second.failed, ['nrl: y']);
});

test('a file written before runs were merged becomes the first run, its scenarios replaced by name', () => {
  const old = { date: 'T0', machine: { m: 0 }, run: { connections: 50 }, ceilings: { c: 0 }, scenarios: [{ name: 'mixed' }, { name: 'mesh: cycle' }], capacity: { a: 0 }, failed: [] };
  const merged = mergeResults(old, run('T1', ['ceiling', 'mixed']), [{ name: 'mixed', bench: 'mixed' }], {}, []);
  assert.deepEqual(merged.scenarios.map((s) => s.name), ['mesh: cycle', 'mixed']);
  assert.deepEqual(merged.runs, [{ date: 'T0', machine: { m: 0 }, run: { connections: 50 }, ceilings: { c: 0 } }, run('T1', ['ceiling', 'mixed'])]);
});
