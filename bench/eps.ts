/**
 * EPS bench (`npm run bench -- eps`): a prescription's whole cycle, as England's prescribing and
 * dispensing systems drive it, against the compiled server as deployed (the mixed workload's rig:
 * `openspine serve`, production settings, every access audited, on the seeded PDS store's
 * PostgreSQL):
 *
 *   the GP's system (a clinician's user-restricted token, NHSD-Session-URID): `$prepare`, then the
 *   order signed over `$prepare`'s SignedInfo with the bench prescriber's key, whose certificate is
 *   registered in the directory (verified: not the sandbox's bypass) → the pharmacy's system (its
 *   own application's token): `Task/$release` by the short-form id → a complete dispense
 *   notification → the `Claim`.
 *
 * Closed-loop workers (`--connections`, at most 64), each taking one prescription at a time through
 * its five calls. Figures: prescriptions/s (cycles that reached the claim), p50/p95/p99 of each
 * call and of all, errors, and CPU per prescription in the server, PostgreSQL and the load client
 * (from /proc at the edges of the measured run). Target: ≥ 250 prescriptions/s, p99 < 100 ms per call.
 */
import { mkdirSync } from 'node:fs';
import type { Bench } from './run.js';
// The same seeded store as the PDS and mixed benches (the prescriptions' patients are its patients).
export { prepare } from './pds.js';
import type { BenchOptions } from './options.js';
import type { Ceilings } from './ceiling.js';
import { ensureSeeded } from './pds.js';
import { requireBuild } from './support/platform.js';
import { withMixedRig, type MixedRig } from './support/mixed-rig.js';
import { log, type BenchLine } from './support/report.js';
import { withLock } from './support/lock.js';
import type { PhaseResult, RequestType } from './support/mixed-client.js';

const CALLS: RequestType[] = ['eps_prepare', 'eps_order', 'eps_release', 'eps_dispense', 'eps_claim'];
const TARGET_PRESCRIPTIONS_PER_SECOND = 250;
const TARGET_P99_MS = 100;

const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null);
const ms = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export const bench: Bench = async (options, ceilings) => {
  requireBuild();
  mkdirSync(options.pdsDataDir, { recursive: true });
  return withLock(`${options.pdsDataDir}.lock`, async () => {
    const lines: BenchLine[] = [];
    const seeded = await ensureSeeded(options);
    if (seeded) lines.push({ ...seeded, bench: 'eps' });
    return withMixedRig(options, async (rig) => [...lines, ...await runEps(options, ceilings, rig)]);
  });
};

async function runEps(options: BenchOptions, ceilings: Ceilings, rig: MixedRig): Promise<BenchLine[]> {
  const { client, workers, measured, servers } = rig;
  const processes = servers.length > 1 ? `, ${servers.length} Spine processes` : '';
  log(`eps: warming up, ${workers} workers`);
  await client.send<PhaseResult>({ cmd: 'run', name: 'eps warm-up', seconds: Math.max(5, Math.round(options.seconds / 2)), mix: { eps_cycle: 1 } });
  log(`eps: the cycle, ${options.seconds} s`);
  const { result: r, cpuMs, machineBusy, rssMb } = await measured({ cmd: 'run', name: 'eps', seconds: options.seconds, mix: { eps_cycle: 1 } });

  const perSecond = r.prescriptions / r.seconds;
  // CPU per request → per prescription: the measured run's requests over the prescriptions it completed.
  const callsPerPrescription = r.requests / Math.max(1, r.prescriptions);
  const perPrescription = { server: cpuMs.server * callsPerPrescription, postgres: cpuMs.postgres * callsPerPrescription, client: cpuMs.client * callsPerPrescription };
  const worstP99 = Math.max(...CALLS.map((c) => r.byType[c]?.p99 ?? Infinity));
  const met = perSecond >= TARGET_PRESCRIPTIONS_PER_SECOND && worstP99 < TARGET_P99_MS && r.errors === 0;
  const byCall = Object.fromEntries(CALLS.map((c) => {
    const f = r.byType[c];
    return [c, f ? { count: f.count, errors: f.errors, p50: round(f.p50), p95: round(f.p95), p99: round(f.p99) } : null];
  }));
  const lines: BenchLine[] = [{
    bench: 'eps', what: `prescriptions, prepare → signed order → release → dispense → claim, ${workers} workers${processes}`,
    value: `${perSecond.toFixed(1)} prescriptions/s (${r.prescriptions} in ${r.seconds.toFixed(1)} s; ${r.rps.toFixed(0)} calls/s); worst p99 per call ${ms(worstP99, 1)} ms; ${r.errors} errors`,
    target: `≥ ${TARGET_PRESCRIPTIONS_PER_SECOND}/s, p99 < ${TARGET_P99_MS} ms per call, 0 errors`, met,
    note: `${(r.rps / ceilings.hello.rps * 100).toFixed(0)}% of Fastify GET, ${(r.rps / ceilings.insert.rps * 100).toFixed(0)}% of Fastify+insert (calls/s); machine ${(machineBusy * 100).toFixed(0)}% busy`
      + `${r.firstErrors.length ? `; first errors: ${r.firstErrors.slice(0, 2).join(' | ')}` : ''}`,
    scenario: {
      name: 'eps', spine_processes: servers.length, rps: r.rps, p50: r.p50, p95: r.p95, p99: r.p99, errors: r.errors, rss_mb: rssMb,
      prescriptions_per_second: round(perSecond, 1),
      by_call: byCall,
      cpu_ms_per_prescription: { server: round(perPrescription.server), postgres: round(perPrescription.postgres), load_client: round(perPrescription.client) },
      cpu_ms_per_call: { server: round(cpuMs.server, 3), postgres: round(cpuMs.postgres, 3), load_client: round(cpuMs.client, 3) },
      machine_busy: round(machineBusy),
    },
  }, {
    bench: 'eps', what: 'all calls', value: `p50 ${ms(r.p50, 1)} ms  p95 ${ms(r.p95, 1)} ms  p99 ${ms(r.p99, 1)} ms  (${r.requests} calls, ${r.errors} failed)`,
  }];
  for (const c of CALLS) {
    const f = r.byType[c];
    if (f) lines.push({ bench: 'eps', what: c, value: `p50 ${ms(f.p50, 1)} ms  p95 ${ms(f.p95, 1)} ms  p99 ${ms(f.p99, 1)} ms  (${f.count} calls, ${f.errors} failed)` });
  }
  lines.push({
    bench: 'eps', what: 'CPU per prescription',
    value: `server ${ms(perPrescription.server)} ms, PostgreSQL ${ms(perPrescription.postgres)} ms, load client ${ms(perPrescription.client)} ms`,
    note: `RSS peak ${rssMb.toFixed(0)} MB`,
  });
  return lines;
}
