/**
 * Preloaded into a bench's server (`BENCH_SPINE_NODE_ARGS="--import $PWD/bench/support/allocation-profile.mjs"`
 * from the repository's root: an absolute path): V8's sampling heap profiler, counting objects the collector
 * has since freed too (a CPU profile shows the collector's share, not who made the garbage). It
 * starts `ALLOCATION_PROFILE_FROM` seconds after the server starts (default 20: past start-up) and
 * is written when the server is stopped, to `ALLOCATION_PROFILE_OUT` (default
 * /tmp/allocation-<pid>.heapprofile). Read it with `allocation-summary.ts`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const startAfterMs = Number(process.env.ALLOCATION_PROFILE_FROM ?? 20) * 1000;
const out = process.env.ALLOCATION_PROFILE_OUT ?? `/tmp/allocation-${process.pid}.heapprofile`;
const session = new Session();
session.connect();
const post = (method, params = {}) => new Promise((resolve, reject) => {
  session.post(method, params, (err, result) => (err ? reject(err) : resolve(result)));
});

let sampling = false;
async function write() {
  if (!sampling) return;
  sampling = false;
  const { profile } = await post('HeapProfiler.stopSampling');
  writeFileSync(out, JSON.stringify(profile));
}
// Before the server's own handler, which closes it: the profile is written as it shuts down.
for (const signal of ['SIGTERM', 'SIGINT']) process.prependListener(signal, () => { void write(); });

setTimeout(async () => {
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  sampling = true;
}, startAfterMs).unref();
