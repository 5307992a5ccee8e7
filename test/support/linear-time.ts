import { readdirSync, readFileSync } from 'node:fs';
import { check } from 'recheck';

/**
 * Whether a regular expression runs in linear time on any value, by recheck (a ReDoS checker): its
 * exact analysis (of the pattern's automaton) first; where a pattern is beyond it (a lookahead),
 * its fuzzer, which builds attack strings and counts the steps they take. The fuzzer alone called
 * FHIR's dateTime pattern quadratic, which the exact analysis finds linear, as V8 runs it (2.5 MB
 * of the fuzzer's attack string in 51 ms).
 *
 * recheck's own bounds on the work (the automaton's size, the fuzzer's iterations, string sizes and
 * characters read, from a fixed seed) make each verdict the same on an idle machine and on a loaded
 * one; recheck's wall-clock limits do not (FUZZ_PARAMS): its timeout (with one, FHIR's date pattern, 12 s alone and over 120 s on two
 * shared cores, was 'unknown (timeout)' under load, which failed the check though nothing had
 * changed), so it is off. A pattern whose analysis those bounds would let run for ever is bounded
 * here instead, by what load does not stretch: the CPU time recheck's agent (a child process, so a
 * check never holds this event loop) spends on it (`cpuBudgetMs`). And a run of checks may be given
 * a wall-clock end (`until`) just short of the test runner's own limit, which would kill the file
 * without a word: the pattern in progress then fails the check by name, as do those not reached.
 */
export interface CheckBounds {
  /** CPU time (ms) of recheck's agent one pattern's verdict may take. */
  cpuBudgetMs?: number;
  /** Epoch ms by which the whole run must have ended. */
  until?: number;
  /** Where each check's cost is noted (the agent's CPU ms, wall ms), for the test's report. */
  costs?: Array<{ pattern: string; cpuMs: number; wallMs: number }>;
}

/**
 * The costliest pattern the door compiles, FHIR's dateTime, takes 12 s of the checker's CPU alone and
 * 17 to 18 s on two shared cores at a load of 19 (its wall-clock time there: 40 s); over three times
 * that is a pattern recheck's bounds do not bound.
 */
export const PATTERN_CPU_BUDGET_MS = 60_000;
const POLL_MS = 250;

type Diagnostics = Awaited<ReturnType<typeof check>>;
type Bounded = Diagnostics | { status: 'unbounded'; why: string };

/** recheck's agent: the child process of this one that runs its checks (its native binary, or java with its jar). */
function agentPids(): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return pids.map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('recheck');
    } catch {
      return false;
    }
  });
}

let agents: number[] = [];

/** CPU time (ms) used so far by recheck's agent; undefined where /proc cannot tell (not Linux). */
function agentCpuMs(): number | undefined {
  if (agents.length === 0) agents = agentPids();
  let total: number | undefined;
  for (const pid of agents) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: state, ppid, …, utime (14th), stime (15th), in clock ticks (100 a second).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total = (total ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // An agent that has ended: the next one (if recheck starts another) is looked for again.
      agents = [];
    }
  }
  return total;
}

/**
 * One check, cancelled once it has used `cpuBudgetMs` of the agent's CPU time or passed `until`, and
 * then answered at once. The agent honours the cancel: given FHIR's dateTime pattern and cancelled
 * after 3 s, its CPU time stopped growing within a tenth of a second and the next check answered
 * (seen); were it ever not to, the run still would not wait on it.
 */
async function boundedCheck(pattern: string, flags: string, params: Parameters<typeof check>[2], bounds: CheckBounds): Promise<Bounded> {
  const controller = new AbortController();
  const startedAt = Date.now();
  let why: string | undefined;
  let started: number | undefined;
  let used: number | undefined;
  let cancelled: (() => void) | undefined;
  const cancel = new Promise<'cancelled'>((resolve) => { cancelled = () => resolve('cancelled'); });
  const watch = () => {
    used = agentCpuMs();
    // The agent starts with the first check: its CPU is counted from when it is first seen.
    if (used !== undefined) started ??= used;
    if (why) return;
    if (bounds.cpuBudgetMs !== undefined && used !== undefined && used - started! > bounds.cpuBudgetMs) {
      why = `no verdict within ${bounds.cpuBudgetMs / 1000} s of the checker's CPU time (${params?.checker})`;
    } else if (bounds.until !== undefined && Date.now() >= bounds.until) {
      why = `no verdict before the run's end, short of the test runner's limit (${params?.checker})`;
    }
    if (!why) return;
    controller.abort();
    cancelled!();
  };
  watch();
  const timer = setInterval(watch, POLL_MS);
  const checking = check(pattern, flags, { ...params, signal: controller.signal });
  // Its end, once cancelled, is no longer awaited.
  checking.catch(() => undefined);
  try {
    const first = await Promise.race([checking, cancel]);
    if (first !== 'cancelled') return why ? { status: 'unbounded', why } : first;
    return { status: 'unbounded', why: why! };
  } catch (err) {
    if (why) return { status: 'unbounded', why };
    throw err;
  } finally {
    clearInterval(timer);
    used = agentCpuMs() ?? used;
    bounds.costs?.push({ pattern, cpuMs: (used ?? 0) - (started ?? 0), wallMs: Date.now() - startedAt });
  }
}

/**
 * The fuzzer, from a fixed seed, bounded by the characters its VM reads (attackLimit, incubationLimit,
 * seedingLimit), not by its matching-time limits, which are wall-clock (attack 1 s, incubation 250 ms,
 * seeding 100 ms by default): on loaded shared cores an attack string that a linear pattern reads in
 * time ran past 1 s, and the fuzzer called the door's `^(?=.*\S)[^\u0000-\u001f\u007f-\u009f]+$`
 * '2nd degree polynomial' (a global run of this session; with the limits at 1 ms, '4th degree'),
 * where idle it is safe.
 */
export const FUZZ_PARAMS = { checker: 'fuzz', timeout: null, attackTimeout: null, incubationTimeout: null, seedingTimeout: null, randomSeed: 0 } as const;

export async function verdict(pattern: string, flags = 'u', bounds: CheckBounds = {}): Promise<Bounded> {
  const exact = await boundedCheck(pattern, flags, { checker: 'automaton', timeout: null }, bounds);
  if (exact.status !== 'unknown' || exact.error.kind !== 'unsupported') return exact;
  return boundedCheck(pattern, flags, FUZZ_PARAMS, bounds);
}

/** Each expression that is not found linear, with why; [] when every one is. */
export async function notLinear(expressions: ReadonlyArray<{ pattern: string; flags?: string; at?: string }>, bounds: CheckBounds = { cpuBudgetMs: PATTERN_CPU_BUDGET_MS }): Promise<string[]> {
  const unsafe: string[] = [];
  for (const { pattern, flags, at } of expressions) {
    const diagnostics = await verdict(pattern, flags, bounds);
    if (diagnostics.status === 'safe') continue;
    const why = diagnostics.status === 'vulnerable'
      ? `${diagnostics.complexity.summary} (${diagnostics.checker}), e.g. ${diagnostics.attack.pattern}`
      : diagnostics.status === 'unbounded' ? diagnostics.why : `${diagnostics.status} (${JSON.stringify(diagnostics.error)})`;
    unsafe.push(`/${pattern}/${flags ?? 'u'}${at ? ` (${at})` : ''}: ${why}`);
  }
  return unsafe;
}
