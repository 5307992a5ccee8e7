import { resolve } from 'node:path';

/** Flags every bench shares (`npm run bench -- [names...] [--seconds 10] ...`). */
export interface BenchOptions {
  /** Seconds per load run. */
  seconds: number;
  connections: number;
  /** Where benches keep reusable state (seeded data dirs, the ceiling table); git-ignored. */
  benchDir: string;
  /** PDS population size and its data dir (reused across runs when already seeded). */
  patients: number;
  pdsDataDir: string;
  /** Where `npm run bench` writes `<date>.json` (bench/results; a scratch dir for trial runs). */
  resultsDir?: string;
  /** Said in the results file, e.g. that the machine was shared during the run. */
  note?: string;
  /**
   * Spine server processes on the mixed rig (`mixed`, `eps`, `soak`), all on the one database; the
   * load client sends its calls to each in turn (API processes are stateless). Default 1.
   */
  spineProcesses: number;
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function positive(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, not '${raw}'`);
  return n;
}

export function parseBenchArgs(argv: string[]): { names: string[]; options: BenchOptions } {
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i]!.startsWith('--')) i += 1;
    else names.push(argv[i]!);
  }
  const benchDir = resolve(flag(argv, 'bench-dir') ?? '.bench');
  const patients = positive(flag(argv, 'patients'), 'patients', 1_000_000);
  return {
    names,
    options: {
      seconds: positive(flag(argv, 'seconds'), 'seconds', 10),
      connections: positive(flag(argv, 'connections'), 'connections', 50),
      benchDir,
      patients,
      // One seeded store per population size, so a small trial run never clashes with the full one.
      pdsDataDir: resolve(flag(argv, 'data-dir') ?? (patients === 1_000_000 ? `${benchDir}/pds` : `${benchDir}/pds-${patients}`)),
      resultsDir: resolve(flag(argv, 'results') ?? 'bench/results'),
      note: flag(argv, 'note'),
      spineProcesses: positive(flag(argv, 'spine-processes'), 'spine-processes', 1),
    },
  };
}
