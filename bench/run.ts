/**
 * `npm run bench -- [names...] [--seconds 10] [--connections 50] [--patients 1000000] [--data-dir .bench/pds]
 *   [--results bench/results] [--note 'machine shared with …']`
 *
 * Runs the selected benches (default: all) against real servers on 127.0.0.1, prints one table and
 * writes the figures to `<results>/<date>.json`.
 * The machine's ceilings (bare Fastify, bare Fastify + a PostgreSQL primary-key read, bare inserts)
 * are always measured first in the same run, so every figure can be read as a ratio on a noisy machine.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureCeilings, type Ceilings } from './ceiling.js';
import { parseBenchArgs, type BenchOptions } from './options.js';
import { log, printTable, type BenchLine, type Scenario } from './support/report.js';
import { machineDescription } from './support/cpu.js';
import { mergeResults, type PreviousResults } from './support/results.js';

export type Bench = (options: BenchOptions, ceilings: Ceilings) => Promise<BenchLine[]>;

/** Each bench in its own file; colleagues' benches (audit, mesh) are picked up when their files exist. */
const BENCHES: Record<string, string> = {
  token: './token.js',
  'trivial-read': './trivial-read.js',
  pds: './pds.js',
  nrl: './nrl.js',
  audit: './audit.js',
  mesh: './mesh.js',
  eps: './eps.js',
  mixed: './mixed.js',
  events: './events.js',
  'opt-out': './opt-out.js',
  export: './export.js',
};

/** What a bench needs ready before the ceilings are measured (a seeded store), so its figures sit next to them in time. */
export type Prepare = (options: BenchOptions) => Promise<BenchLine[]>;

async function loadBench(name: string): Promise<{ bench: Bench; prepare?: Prepare } | undefined> {
  const file = BENCHES[name]!;
  if (!existsSync(new URL(file.replace(/\.js$/, '.ts'), import.meta.url))) return undefined;
  const module = await import(file) as { bench?: Bench; default?: Bench; prepare?: Prepare };
  const bench = module.bench ?? module.default;
  return bench ? { bench, prepare: module.prepare } : undefined;
}

/** The scenario of a load-run line that names none of its own (ratios are the caller's to add). */
function scenarioOf(line: BenchLine): Scenario | undefined {
  if (line.scenario) return line.scenario;
  if (!line.figures || line.bench === 'ceiling') return undefined;
  const f = line.figures;
  return { name: `${line.bench}: ${line.what}`, rps: f.rps, p50: f.p50, p95: f.p95, p99: f.p99, errors: f.failures };
}

const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null);

/**
 * bench/results/<date>.json: the machine, the ceilings, every scenario with its ratio to each
 * ceiling (the figure that holds on a shared, noisy machine), and what benches add (capacity).
 */
function writeResults(options: BenchOptions, machine: ReturnType<typeof machineDescription>, ceilings: Ceilings, lines: BenchLine[], seconds: number, benches: string[]): string {
  const ceilingFigures = {
    fastify_get_rps: round(ceilings.hello.rps, 0),
    fastify_pg_read_rps: round(ceilings.pkRead.rps, 0),
    fastify_pg_insert_rps: round(ceilings.insert.rps, 0),
    pg_insert_rows_per_second_20_clients: round(ceilings.insertsPerSecond, 0),
    cpu_ms_per_request: Object.fromEntries(Object.entries(ceilings.cpuMs).map(([name, c]) => [name, { server: round(c.server, 3), postgres: round(c.postgres, 3) }])),
  };
  const measuredAt = new Date().toISOString();
  const scenarios = lines.map((l) => [l, scenarioOf(l)] as const).filter((e): e is readonly [BenchLine, Scenario] => e[1] !== undefined).map(([line, s]) => ({
    bench: line.bench,
    ...s,
    measured_at: measuredAt,
    rps: round(s.rps, 0), p50: round(s.p50), p95: round(s.p95), p99: round(s.p99),
    ...(s.rss_mb !== undefined ? { rss_mb: round(s.rss_mb, 0) } : {}),
    ratio_to_ceilings: {
      fastify_get: round(s.rps / ceilings.hello.rps, 3),
      fastify_pg_read: round(s.rps / ceilings.pkRead.rps, 3),
      fastify_pg_insert: round(s.rps / ceilings.insert.rps, 3),
    },
  }));
  const extra = Object.assign({}, ...lines.map((l) => l.results ?? {})) as Record<string, unknown>;
  const date = measuredAt.slice(0, 10);
  const run = {
    date: measuredAt,
    benches,
    machine: { ...machine, ...(options.note ? { note: options.note } : {}) },
    run: { connections: options.connections, seconds_per_run: options.seconds, patients: options.patients, took_seconds: Math.round(seconds) },
    ceilings: ceilingFigures,
  };
  const dir = options.resultsDir ?? 'bench/results';
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${date}.json`);
  const previous = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as PreviousResults : undefined;
  const failed = lines.filter((l) => l.met === false).map((l) => `${l.bench}: ${l.what}`);
  writeFileSync(file, `${JSON.stringify(mergeResults(previous, run, scenarios, extra, failed), null, 2)}\n`);
  return file;
}

async function main() {
  const { names, options } = parseBenchArgs(process.argv.slice(2));
  const unknown = names.filter((n) => n !== 'ceiling' && !(n in BENCHES));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ceiling, ${Object.keys(BENCHES).join(', ')}`);
  const selected = names.length > 0 ? names.filter((n) => n !== 'ceiling') : Object.keys(BENCHES);
  const started = Date.now();
  const machine = machineDescription();
  const loaded = new Map<string, { bench: Bench; prepare?: Prepare }>();
  const prepared: BenchLine[] = [];
  for (const name of selected) {
    const found = await loadBench(name);
    if (!found) {
      if (names.includes(name)) log(`${name}: no bench file yet, skipped`);
      continue;
    }
    loaded.set(name, found);
    if (found.prepare) prepared.push(...await found.prepare(options));
  }
  const { ceilings, lines } = await measureCeilings(options);
  lines.push(...prepared);
  for (const [name, { bench }] of loaded) {
    log(`${name}: starting`);
    try {
      lines.push(...await bench(options, ceilings));
    } catch (err) {
      lines.push({ bench: name, what: 'failed', value: (err as Error).message.split('\n')[0]!, met: false });
      log(`${name} failed: ${(err as Error).stack}`);
    }
  }
  printTable(lines);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`\n${selected.length} bench(es) in ${seconds.toFixed(0)} s; ${options.connections} connections, ${options.seconds} s per run, loopback only\n`);
  process.stdout.write(`results: ${writeResults(options, machine, ceilings, lines, seconds, ['ceiling', ...loaded.keys()])}\n`);
  process.exitCode = lines.some((l) => l.met === false) ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack}\n`);
  process.exit(1);
});
