/**
 * `npm run soak -- [--minutes 10] [--window-seconds 60] [--rate N] [--patients 1000000] [--connections 50]`
 *
 * The mixed Spine workload (bench/mixed.ts's mix, on the same rig: the compiled server with
 * production settings over the seeded PDS store, real tokens and NHSMESH headers, a load client in
 * its own process) held for ten minutes at half the peak measured at the start, paced by the load
 * client (open loop). Prints, per window (a minute by default), requests/s, latency and errors, and
 * the server's RSS with its growth since the end of the first window (by then caches and the JIT
 * have settled). Flags RSS growth of 10% or more, latency drift (the last window's p95 more than
 * 1.5 times the first's and at least 5 ms more) and any error; exit code 1 when any is flagged.
 * Not part of CI: it takes as long as it says.
 */
import { mkdirSync } from 'node:fs';
import { parseBenchArgs } from './options.js';
import { ensureSeeded } from './pds.js';
import { MIX } from './mixed.js';
import { requireBuild } from './support/platform.js';
import { withMixedRig, type MixedRig } from './support/mixed-rig.js';
import { withLock } from './support/lock.js';
import { log } from './support/report.js';
import type { PhaseResult } from './support/mixed-client.js';

const RSS_GROWTH_LIMIT = 0.10;
const DRIFT_FACTOR = 1.5;
const DRIFT_MIN_MS = 5;
const PEAK_SECONDS = 20;
const UPDATE_PATIENTS = 2_000;

function number(argv: string[], name: string, fallback: number | undefined): number | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, not '${argv[i + 1]}'`);
  return value;
}

/**
 * Server CPU only: PostgreSQL's is counted over its live processes, and at a gentle rate the pool
 * closes idle connections, whose backends take their CPU with them (support/cpu.ts).
 */
interface Window { index: number; result: PhaseResult; rssMb: number; peakRssMb: number; cpuMs: { server: number } }

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

async function soak(rig: MixedRig, minutes: number, windowSeconds: number, fixedRate: number | undefined) {
  const { client, servers } = rig;
  const prepared = await client.send<{ prepared: number }>({ cmd: 'prepare', updatePatients: UPDATE_PATIENTS });
  log(`soak: ${prepared.prepared} patients to update; warming up ${PEAK_SECONDS} s`);
  await client.send<PhaseResult>({ cmd: 'run', name: 'warm-up', seconds: PEAK_SECONDS, mix: MIX });
  let rate = fixedRate;
  if (rate === undefined) {
    log(`soak: measuring the peak, ${PEAK_SECONDS} s as fast as ${rig.workers} workers go`);
    const peak = await client.send<PhaseResult>({ cmd: 'run', name: 'peak', seconds: PEAK_SECONDS, mix: MIX });
    rate = Math.max(1, Math.round(peak.rps / 2));
    process.stdout.write(`peak: ${f(peak.rps, 0)} req/s (p99 ${f(peak.p99)} ms, ${peak.errors} errors); soaking at half: ${rate} req/s\n`);
  } else {
    process.stdout.write(`soaking at ${rate} req/s (--rate)\n`);
  }
  const windows: Window[] = [];
  const count = Math.max(1, Math.round((minutes * 60) / windowSeconds));
  process.stdout.write(`\n${'window'.padEnd(8)}${'req/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}${'RSS MB'.padStart(8)}${'growth'.padStart(9)}${'server CPU/req ms'.padStart(19)}\n`);
  for (let i = 1; i <= count; i++) {
    const m = await rig.measured({ cmd: 'run', name: `window ${i}`, seconds: windowSeconds, mix: MIX, rate });
    const w: Window = { index: i, result: m.result, rssMb: servers.reduce((sum, server) => sum + server.rssMb(), 0), peakRssMb: m.rssMb, cpuMs: m.cpuMs };
    windows.push(w);
    const growth = (w.rssMb - windows[0]!.rssMb) / windows[0]!.rssMb;
    const r = w.result;
    process.stdout.write(`${String(i).padEnd(8)}${f(r.rps, 0).padStart(8)}${f(r.p50).padStart(9)}${f(r.p95).padStart(9)}${f(r.p99).padStart(9)}${String(r.errors).padStart(8)}${f(w.rssMb, 0).padStart(8)}${`${growth >= 0 ? '+' : ''}${f(growth * 100)}%`.padStart(9)}${f(w.cpuMs.server, 2).padStart(19)}\n`);
  }
  const first = windows[0]!;
  const last = windows[windows.length - 1]!;
  const growth = (last.rssMb - first.rssMb) / first.rssMb;
  const errors = windows.reduce((sum, w) => sum + w.result.errors, 0);
  const drift = last.result.p95 > first.result.p95 * DRIFT_FACTOR && last.result.p95 - first.result.p95 >= DRIFT_MIN_MS;
  const flags = [
    ...(growth >= RSS_GROWTH_LIMIT ? [`RSS grew ${f(growth * 100)}% (${f(first.rssMb, 0)} → ${f(last.rssMb, 0)} MB), limit < ${RSS_GROWTH_LIMIT * 100}%`] : []),
    ...(drift ? [`latency drift: p95 ${f(first.result.p95)} ms in window 1, ${f(last.result.p95)} ms in window ${last.index}`] : []),
    ...(errors > 0 ? [`${errors} errors; first: ${windows.flatMap((w) => w.result.firstErrors).slice(0, 3).join(' | ')}`] : []),
  ];
  const achieved = windows.reduce((sum, w) => sum + w.result.rps, 0) / windows.length;
  process.stdout.write(`\n${count} windows of ${windowSeconds} s at ${rate} req/s (achieved ${f(achieved, 0)}); RSS ${f(first.rssMb, 0)} → ${f(last.rssMb, 0)} MB (${growth >= 0 ? '+' : ''}${f(growth * 100)}%); p95 ${f(first.result.p95)} → ${f(last.result.p95)} ms\n`);
  if (achieved < rate * 0.95) process.stdout.write(`note: the load client reached ${f((achieved / rate) * 100, 0)}% of the set rate (the machine is busy)\n`);
  process.stdout.write(flags.length === 0 ? 'no flags: RSS growth < 10%, latency flat, no errors\n' : flags.map((x) => `FLAG: ${x}\n`).join(''));
  return flags.length === 0;
}

async function main() {
  const argv = process.argv.slice(2);
  const { options } = parseBenchArgs(argv);
  const minutes = number(argv, 'minutes', 10)!;
  const windowSeconds = number(argv, 'window-seconds', 60)!;
  const rate = number(argv, 'rate', undefined);
  requireBuild();
  mkdirSync(options.pdsDataDir, { recursive: true });
  const ok = await withLock(`${options.pdsDataDir}.lock`, async () => {
    const seeded = await ensureSeeded(options);
    if (seeded) log(`soak: ${seeded.what}: ${seeded.value}`);
    return withMixedRig(options, (rig) => soak(rig, minutes, windowSeconds, rate));
  });
  process.exitCode = ok ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(`soak: ${(err as Error).stack}\n`);
  process.exit(1);
});
