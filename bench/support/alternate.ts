import { combineLoads, type LoadRun } from './load.js';
import { cpuSecondsOf, postgresCpuSeconds } from './cpu.js';

/** CPU of the server, of PostgreSQL and of the load client (this process, autocannon). */
export interface CpuSplit { server: number; postgres: number; client: number }

/** A load run with the CPU seconds it cost each. */
export interface MeasuredRun { figures: LoadRun; cpuSeconds: CpuSplit }

/** Load runs' figures together, with CPU ms per request. */
export interface Combined { figures: LoadRun; cpuMs: CpuSplit }

/** This process's own CPU seconds so far: the load client's, while a load runs. */
export function clientCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Runs `load` and reads, from /proc, the CPU it cost the server `serverPid` and the PostgreSQL of `postmaster`. */
export async function measureRun(serverPid: number, postmaster: number, load: () => Promise<LoadRun>): Promise<MeasuredRun> {
  const before = { server: cpuSecondsOf(serverPid), postgres: postgresCpuSeconds(postmaster), client: clientCpuSeconds() };
  const figures = await load();
  return {
    figures,
    cpuSeconds: {
      server: cpuSecondsOf(serverPid) - before.server,
      postgres: postgresCpuSeconds(postmaster) - before.postgres,
      client: clientCpuSeconds() - before.client,
    },
  };
}

export function combineRuns(runs: readonly MeasuredRun[]): Combined {
  const figures = combineLoads(runs.map((r) => r.figures));
  const per = (pick: (c: CpuSplit) => number) => (runs.reduce((sum, r) => sum + pick(r.cpuSeconds), 0) * 1000) / Math.max(1, figures.requests);
  return { figures, cpuMs: { server: per((c) => c.server), postgres: per((c) => c.postgres), client: per((c) => c.client) } };
}

/**
 * Two loads in turn, `rounds` slices of `seconds / rounds` each (a, b, a, b, …), so that a ratio
 * of their rates compares them on the same machine: on a shared host the neighbours' load moves
 * within minutes, and a ceiling measured a minute before a bench's run can be a third higher or
 * lower than during it (bench/README.md). Both loads are warm before the first slice.
 */
export async function alternate(
  rounds: number, seconds: number,
  a: (seconds: number) => Promise<MeasuredRun>,
  b: (seconds: number) => Promise<MeasuredRun>,
): Promise<[Combined, Combined]> {
  const slice = Math.max(1, Math.round(seconds / rounds));
  const runsA: MeasuredRun[] = [];
  const runsB: MeasuredRun[] = [];
  for (let round = 0; round < rounds; round += 1) {
    runsA.push(await a(slice));
    runsB.push(await b(slice));
  }
  return [combineRuns(runsA), combineRuns(runsB)];
}
