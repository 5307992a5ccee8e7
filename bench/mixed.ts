/**
 * The mixed Spine workload (`npm run bench -- mixed`): PDS reads, exact and fuzzy searches and
 * updates, MESH send → list → download → acknowledge cycles, and NRL consumer searches and producer
 * creates, in the proportions below, against the compiled server as deployed (`openspine serve`, no
 * demo data, production logging) on PostgreSQL with every access audited, driven over real HTTP with
 * real access tokens (the bench's own issuer and application: support/bench-identity.ts) and NHSMESH
 * headers by a load client in a process of its own (support/mixed-client.ts, on support/mixed-rig.ts).
 *
 * Then each request type alone, for its CPU per request in the server, PostgreSQL and the load
 * client (from /proc counters read at the edges of each phase), and from those a capacity model:
 * the cores of API and database the national peak needs, and ten times it, with and without a read
 * replica. The assumptions are written beside the figures.
 */
import { mkdirSync } from 'node:fs';
import type { Bench } from './run.js';
// The same seeded store as the PDS bench, seeded before the ceilings are measured.
export { prepare } from './pds.js';
import type { BenchOptions } from './options.js';
import type { Ceilings } from './ceiling.js';
import { ensureSeeded } from './pds.js';
import { requireBuild } from './support/platform.js';
import { withMixedRig, type CpuMs, type MixedRig } from './support/mixed-rig.js';
import { log, type BenchLine } from './support/report.js';
import { withLock } from './support/lock.js';
import type { Operation, PhaseResult, RequestType } from './support/mixed-client.js';

const UPDATE_PATIENTS = 2_000;

/**
 * Operations per 100 requests. The Spine's traffic is mostly PDS look-ups (a read by NHS number
 * wherever a record is opened, a trace by demographics when the number is unknown, fuzzy when that
 * fails), a few demographic updates, and MESH transfers (each four calls: send, the recipient's
 * list, download and acknowledgement). NRL: a consumer search when a clinician opens a patient's
 * shared records (fewer than PDS reads: not every system looks), and producers publishing pointers
 * far less often (a pointer is written once per care plan, read many times). EPS: a prescription's
 * cycle is five calls (the prescriber's $prepare and signed order, the pharmacy's release, dispense
 * notification and claim); England's ~1.1 billion items a year are ~450 million prescriptions, ~14/s
 * on average against the Spine's ~500 messages/s (1.3 billion a month), about one prescription per
 * 35 Spine messages: 2.5 cycles here, ~11% of the requests.
 */
export const MIX: Record<Operation, number> = {
  pds_read: 46,
  pds_search_exact: 14,
  pds_search_fuzzy: 5,
  pds_update: 4,
  mesh_cycle: 6.25,
  nrl_search: 5,
  nrl_create: 1,
  eps_cycle: 2.5,
  mesh_send: 0, mesh_list: 0, mesh_download: 0, mesh_ack: 0,
  eps_prepare: 0, eps_order: 0, eps_release: 0, eps_dispense: 0, eps_claim: 0,
};

/** An EPS call needs the ones before it: the cycle is measured alone as a whole, its CPU per request shared by its five calls. */
const EPS_TYPES: RequestType[] = ['eps_prepare', 'eps_order', 'eps_release', 'eps_dispense', 'eps_claim'];

/** Each type alone, in an order where each MESH phase has what the one before left (sent → downloaded → acknowledged). */
const ALONE: Array<[RequestType, Operation]> = [
  ['pds_read', 'pds_read'], ['pds_search_exact', 'pds_search_exact'], ['pds_search_fuzzy', 'pds_search_fuzzy'],
  ['pds_update', 'pds_update'], ['mesh_send', 'mesh_send'], ['mesh_list', 'mesh_list'],
  ['mesh_download', 'mesh_download'], ['mesh_ack', 'mesh_ack'], ['nrl_search', 'nrl_search'], ['nrl_create', 'nrl_create'],
];

/** Read-only at the database but for the audit record: what a read replica could take from the primary. */
const REPLICA_READABLE: RequestType[] = ['pds_read', 'pds_search_exact', 'pds_search_fuzzy', 'nrl_search'];

const NATIONAL_PEAK = 3_500;
/** Cores are sized to run at most this busy at the peak (headroom for bursts, GC, a node lost). */
const TARGET_UTILISATION = 0.7;
/** A streaming replica's CPU to replay the primary's WAL, as a share of the primary's write CPU. */
const REPLAY_SHARE = 0.15;

const ms = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const round = (n: number, digits = 3) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null);

/**
 * Cores for a request rate: API (stateless, scales out), the database primary, and with a read
 * replica the primary's share left after the PDS reads' look-ups move to replicas (their audit
 * record stays on the primary), and the replicas' cores (look-ups plus replaying the primary's WAL).
 */
function capacity(rate: number, shares: Partial<Record<RequestType, number>>, perType: Partial<Record<RequestType, CpuMs>>, auditWriteMs: number) {
  let api = 0;
  let db = 0;
  let offloadable = 0;
  for (const [type, share] of Object.entries(shares) as Array<[RequestType, number]>) {
    const cpu = perType[type];
    if (!cpu) continue;
    api += share * cpu.server;
    db += share * cpu.postgres;
    if (REPLICA_READABLE.includes(type)) offloadable += share * Math.max(0, cpu.postgres - auditWriteMs);
  }
  const cores = (msPerRequest: number) => (rate * msPerRequest) / 1000 / TARGET_UTILISATION;
  const primaryWithReplica = cores(db - offloadable);
  const replicaCores = cores(offloadable) + REPLAY_SHARE * primaryWithReplica;
  return {
    requests_per_second: rate,
    cpu_ms_per_request: { api: round(api), database: round(db), database_offloadable_to_replica: round(offloadable) },
    without_replica: { api_cores: round(cores(api), 1), database_cores: round(cores(db), 1) },
    with_read_replica: { api_cores: round(cores(api), 1), primary_database_cores: round(primaryWithReplica, 1), replica_database_cores: round(replicaCores, 1) },
  };
}

export const bench: Bench = async (options, ceilings) => {
  requireBuild();
  mkdirSync(options.pdsDataDir, { recursive: true });
  // The PDS bench uses the same seeded store: one at a time.
  return withLock(`${options.pdsDataDir}.lock`, () => benchLocked(options, ceilings));
};

async function benchLocked(options: BenchOptions, ceilings: Ceilings): Promise<BenchLine[]> {
  const lines: BenchLine[] = [];
  const seeded = await ensureSeeded(options);
  if (seeded) lines.push({ ...seeded, bench: 'mixed' });
  return withMixedRig(options, async (rig) => {
    lines.push(...await runMixed(options, ceilings, rig));
    return lines;
  });
}

async function runMixed(options: BenchOptions, ceilings: Ceilings, rig: MixedRig): Promise<BenchLine[]> {
  const lines: BenchLine[] = [];
  const { client, workers, measured, cpuNow } = rig;
  const prepared = await client.send<{ prepared: number; skipped: number }>({ cmd: 'prepare', updatePatients: UPDATE_PATIENTS });
  log(`mixed: ${prepared.prepared} patients to update (${prepared.skipped} superseded skipped); warming up`);
  await client.send<PhaseResult>({ cmd: 'run', name: 'warm-up', seconds: Math.max(5, Math.round(options.seconds / 2)), mix: MIX });

  // What the processes burn with no requests (timers, background workers, PostgreSQL's own): part of every phase's CPU.
  const idleBefore = cpuNow();
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const idleAfter = cpuNow();
  const idleCores = { server: (idleAfter.server - idleBefore.server) / 3, postgres: (idleAfter.postgres - idleBefore.postgres) / 3 };

  // The types alone first: they also finish warming the server up. Measured first, the mix cost
  // ~70% more CPU per request than after them (V8 still optimising after a short warm-up).
  const alone: Partial<Record<RequestType, Awaited<ReturnType<typeof measured>>>> = {};
  const aloneSeconds = Math.max(3, Math.round(options.seconds / 2));
  for (const [type, op] of ALONE) {
    log(`mixed: ${type} alone, ${aloneSeconds} s`);
    alone[type] = await measured({ cmd: 'run', name: type, seconds: aloneSeconds, mix: { [op]: 1 } });
  }
  log(`mixed: eps_cycle alone, ${aloneSeconds} s`);
  const epsAlone = await measured({ cmd: 'run', name: 'eps_cycle', seconds: aloneSeconds, mix: { eps_cycle: 1 } });
  log(`mixed: the mix, ${workers} workers, ${options.seconds} s`);
  const mixed = await measured({ cmd: 'run', name: 'mixed', seconds: options.seconds, mix: MIX });

  const m = mixed.result;
  const shares = Object.fromEntries(Object.entries(m.byType).map(([type, f]) => [type, f!.count / Math.max(1, m.requests)])) as Partial<Record<RequestType, number>>;
  const mixText = Object.entries(shares).map(([type, share]) => `${type} ${(share! * 100).toFixed(1)}%`).join(', ');
  const perType = Object.fromEntries([...Object.entries(alone).map(([type, a]) => [type, a!.cpuMs]), ...EPS_TYPES.map((type) => [type, epsAlone.cpuMs])]) as Partial<Record<RequestType, CpuMs>>;
  const predicted = Object.entries(shares).reduce((sum, [type, share]) => {
    const cpu = perType[type as RequestType];
    return cpu ? { server: sum.server + share! * cpu.server, postgres: sum.postgres + share! * cpu.postgres } : sum;
  }, { server: 0, postgres: 0 });
  // The audit record of a PDS read is what keeps it on the primary: its database CPU beyond a bare primary-key read.
  const auditWriteMs = Math.max(0, (perType.pds_read?.postgres ?? 0) - ceilings.cpuMs.pkRead.postgres);
  const model = {
    assumptions: [
      `one Spine message at the national peak (${NATIONAL_PEAK}/s) = one API request of this mix (a MESH transfer is four requests, so a MESH-only peak needs four times the MESH share)`,
      `cores sized to run at most ${TARGET_UTILISATION * 100}% busy at that rate`,
      'CPU per request measured with each request type alone, weighted by the mix; API CPU scales out across stateless servers',
      `a read replica takes the PDS reads' and searches' and the NRL searches' database look-ups; their audit record (estimated as the PDS read's PostgreSQL CPU beyond the bare primary-key read ceiling's, ${ms(auditWriteMs, 3)} ms) and all MESH calls (each claims a nonce and changes message state) stay on the primary`,
      `a replica spends ${REPLAY_SHARE * 100}% of the primary's database CPU replaying its WAL (assumed, not measured)`,
      'measured on a machine shared with other work: CPU per request is what a request costs, not what the machine could give',
    ],
    per_type_cpu_ms: Object.fromEntries(Object.entries(perType).map(([type, c]) => [type, { server: round(c!.server), postgres: round(c!.postgres), load_client: round(c!.client) }])),
    idle_cores: { server: round(idleCores.server), postgres: round(idleCores.postgres) },
    mixed_cpu_ms_measured: { server: round(mixed.cpuMs.server), postgres: round(mixed.cpuMs.postgres), load_client: round(mixed.cpuMs.client) },
    mixed_cpu_ms_predicted_from_types: { server: round(predicted.server), postgres: round(predicted.postgres) },
    national_peak: capacity(NATIONAL_PEAK, shares, perType, auditWriteMs),
    ten_times_peak: capacity(NATIONAL_PEAK * 10, shares, perType, auditWriteMs),
  };

  const scenarioOf = (name: string, r: PhaseResult, rssMb: number, cpu: CpuMs, machineBusy: number) => ({
    name, rps: r.rps, p50: r.p50, p95: r.p95, p99: r.p99, errors: r.errors, rss_mb: rssMb,
    cpu_ms_per_request: { server: round(cpu.server), postgres: round(cpu.postgres), load_client: round(cpu.client) },
    machine_busy: round(machineBusy, 2),
  });
  const vs = (rps: number) => `${(rps / ceilings.hello.rps * 100).toFixed(0)}% of Fastify GET, ${(rps / ceilings.pkRead.rps * 100).toFixed(0)}% of Fastify+PK read, ${(rps / ceilings.insert.rps * 100).toFixed(0)}% of Fastify+insert`;
  const fig = (r: PhaseResult) => ({ requests: r.requests, rps: r.rps, p50: r.p50, p95: r.p95, p99: r.p99, failures: r.errors, statusCounts: {} });
  lines.push({
    bench: 'mixed', what: `mixed Spine workload, ${workers} workers`, figures: fig(m),
    target: '≥ 3500/s, p99 < 50 ms, 0 errors', met: m.rps >= 3500 && m.p99 < 50 && m.errors === 0,
    note: `${vs(m.rps)}; RSS peak ${mixed.rssMb.toFixed(0)} MB${m.firstErrors.length ? `; first errors: ${m.firstErrors.slice(0, 2).join(' | ')}` : ''}`,
    scenario: {
      ...scenarioOf('mixed', m, mixed.rssMb, mixed.cpuMs, mixed.machineBusy),
      mix: Object.fromEntries(Object.entries(shares).map(([t, s]) => [t, round(s!, 3)])),
      by_type: Object.fromEntries(Object.entries(m.byType).map(([t, f]) => [t, { count: f!.count, errors: f!.errors, p50: round(f!.p50, 2), p95: round(f!.p95, 2), p99: round(f!.p99, 2) }])),
    },
    results: { capacity: model },
  });
  lines.push({ bench: 'mixed', what: 'the mix (requests)', value: mixText });
  lines.push({
    bench: 'mixed', what: 'CPU per mixed request', value: `server ${ms(mixed.cpuMs.server)} ms, PostgreSQL ${ms(mixed.cpuMs.postgres)} ms, load client ${ms(mixed.cpuMs.client)} ms`,
    note: `from the types alone: server ${ms(predicted.server)} ms, PostgreSQL ${ms(predicted.postgres)} ms; idle: server ${ms(idleCores.server, 3)}, PostgreSQL ${ms(idleCores.postgres, 3)} cores; machine ${(mixed.machineBusy * 100).toFixed(0)}% busy`,
  });
  for (const [type, a] of Object.entries(alone) as Array<[RequestType, NonNullable<(typeof alone)[RequestType]>]>) {
    lines.push({
      bench: 'mixed', what: `${type} alone`, figures: fig(a.result),
      note: `CPU/req server ${ms(a.cpuMs.server)} ms, PostgreSQL ${ms(a.cpuMs.postgres)} ms, client ${ms(a.cpuMs.client)} ms${a.result.firstErrors.length ? `; ${a.result.firstErrors[0]}` : ''}`,
      scenario: scenarioOf(type, a.result, a.rssMb, a.cpuMs, a.machineBusy),
    });
  }
  lines.push({
    bench: 'mixed', what: 'eps_cycle alone (5 calls)', figures: fig(epsAlone.result),
    note: `CPU/req server ${ms(epsAlone.cpuMs.server)} ms, PostgreSQL ${ms(epsAlone.cpuMs.postgres)} ms, client ${ms(epsAlone.cpuMs.client)} ms; ${epsAlone.result.prescriptions} prescriptions${epsAlone.result.firstErrors.length ? `; ${epsAlone.result.firstErrors[0]}` : ''}`,
    scenario: scenarioOf('eps_cycle', epsAlone.result, epsAlone.rssMb, epsAlone.cpuMs, epsAlone.machineBusy),
  });
  for (const [label, c] of [['national peak', model.national_peak], ['10× national peak', model.ten_times_peak]] as const) {
    lines.push({
      bench: 'mixed', what: `cores for the ${label} (${c.requests_per_second}/s)`,
      value: `API ${c.without_replica.api_cores} + DB ${c.without_replica.database_cores}; with a read replica: DB primary ${c.with_read_replica.primary_database_cores} + replica ${c.with_read_replica.replica_database_cores}`,
    });
  }
  return lines;
}
