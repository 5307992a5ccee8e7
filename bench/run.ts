/**
 * `npm run bench -- [names...] [--seconds 10] [--connections 50] [--patients 1000000] [--data-dir .bench/pds]`
 *
 * Runs the selected benches (default: all) against real servers on 127.0.0.1 and prints one table.
 * The machine's ceilings (bare Fastify, bare Fastify + a PostgreSQL primary-key read, bare inserts)
 * are always measured first in the same run, so every figure can be read as a ratio on a noisy machine.
 */
import { existsSync } from 'node:fs';
import { measureCeilings, type Ceilings } from './ceiling.js';
import { parseBenchArgs, type BenchOptions } from './options.js';
import { log, printTable, type BenchLine } from './support/report.js';

export type Bench = (options: BenchOptions, ceilings: Ceilings) => Promise<BenchLine[]>;

/** Each bench in its own file; colleagues' benches (audit, mesh) are picked up when their files exist. */
const BENCHES: Record<string, string> = {
  token: './token.js',
  'trivial-read': './trivial-read.js',
  pds: './pds.js',
  nrl: './nrl.js',
  audit: './audit.js',
  mesh: './mesh.js',
};

async function loadBench(name: string): Promise<Bench | undefined> {
  const file = BENCHES[name]!;
  if (!existsSync(new URL(file.replace(/\.js$/, '.ts'), import.meta.url))) return undefined;
  const module = await import(file) as { bench?: Bench; default?: Bench };
  return module.bench ?? module.default;
}

async function main() {
  const { names, options } = parseBenchArgs(process.argv.slice(2));
  const unknown = names.filter((n) => n !== 'ceiling' && !(n in BENCHES));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ceiling, ${Object.keys(BENCHES).join(', ')}`);
  const selected = names.length > 0 ? names.filter((n) => n !== 'ceiling') : Object.keys(BENCHES);
  const started = Date.now();
  const { ceilings, lines } = await measureCeilings(options);
  for (const name of selected) {
    const bench = await loadBench(name);
    if (!bench) {
      if (names.includes(name)) log(`${name}: no bench file yet, skipped`);
      continue;
    }
    log(`${name}: starting`);
    try {
      lines.push(...await bench(options, ceilings));
    } catch (err) {
      lines.push({ bench: name, what: 'failed', value: (err as Error).message.split('\n')[0]!, met: false });
      log(`${name} failed: ${(err as Error).stack}`);
    }
  }
  printTable(lines);
  process.stdout.write(`\n${selected.length} bench(es) in ${((Date.now() - started) / 1000).toFixed(0)} s; ${options.connections} connections, ${options.seconds} s per run, loopback only\n`);
  process.exitCode = lines.some((l) => l.met === false) ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack}\n`);
  process.exit(1);
});
