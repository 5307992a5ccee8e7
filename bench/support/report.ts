import type { LoadFigures } from './load.js';

/** One line of the bench table. */
export interface BenchLine {
  bench: string;
  what: string;
  figures?: LoadFigures;
  /** A figure that is not a load run (rows/s, seconds, MB). */
  value?: string;
  target?: string;
  /** undefined: no target; true/false: met or not. */
  met?: boolean;
  note?: string;
  /** A scenario for the results file (`scenarios[]` of bench/results/<date>.json). */
  scenario?: Scenario;
  /** Top-level sections this bench adds to the results file (e.g. `capacity`). */
  results?: Record<string, unknown>;
}

/** One workload's figures in the results file; latencies in ms, RSS in MB. */
export interface Scenario {
  name: string;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  rss_mb?: number;
  [more: string]: unknown;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function describeFigures(f: LoadFigures): string {
  return `${fmt(f.rps, 0)} req/s  p50 ${fmt(f.p50)} ms  p95 ${fmt(f.p95)} ms  p99 ${fmt(f.p99)} ms${f.failures ? `  (${f.failures} failed: ${JSON.stringify(f.statusCounts)})` : ''}`;
}

export function printTable(lines: BenchLine[]) {
  const rows = lines.map((l) => [
    l.bench,
    l.what,
    l.figures ? describeFigures(l.figures) : l.value ?? '',
    l.target ? `${l.target} ${l.met === undefined ? '' : l.met ? '✔' : '✘'}` : '',
    l.note ?? '',
  ]);
  const header = ['bench', 'measure', 'result', 'target', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ').trimEnd();
  process.stdout.write(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

export function log(message: string) {
  process.stderr.write(`[bench] ${message}\n`);
}
