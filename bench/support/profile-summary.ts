/**
 * `node --import tsx bench/support/profile-summary.ts PROFILE.cpuprofile [--from S] [--to S] [--top N] [--match REGEX]`
 *
 * Summarises a V8 CPU profile written by a bench's server (`MESH_BENCH_PROFILE=dir`,
 * `MIXED_BENCH_PROFILE=dir`): the busy share per second (to find the load phase and leave out
 * start-up, whose schema compilation and module loading are not per request), then, within
 * `--from`/`--to` seconds, the self time by function and by file, and the inclusive time of the
 * functions matching `--match`.
 *
 * V8 samples on a wall-clock timer: a thread that the kernel has descheduled is still sampled in
 * the frame it stopped in. On a busy machine a `writev` to PostgreSQL's socket wakes the backend
 * and the writer is often preempted right there, so `writev` collects time that was not CPU. The
 * shares below are therefore given with `writev` (and idle) left out; compare them with the CPU
 * the bench reads from /proc, not with the sampled total.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

const NOT_CPU = new Set(['(idle)', 'writev']);
const pct = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(1).padStart(5)}%`;

function main() {
  const argv = process.argv.slice(2);
  const file = argv.find((a) => a.endsWith('.cpuprofile'));
  if (!file) throw new Error('give a .cpuprofile file');
  const from = Number(flag(argv, 'from') ?? 0) * 1e6;
  const to = Number(flag(argv, 'to') ?? Infinity) * 1e6;
  const top = Number(flag(argv, 'top') ?? 30);
  const match = new RegExp(flag(argv, 'match') ?? 'dist/');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = (n: ProfileNode) => n.callFrame.url.replace(/^file:\/\/.*\/(dist|src|bench)\//, '$1/').replace(/^.*node_modules\/((@[^/]+\/)?[^/]+)\//, '$1:');
  const nameOf = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${where(n)}:${n.callFrame.lineNumber}`;
  const fileOf = (n: ProfileNode) => (n.callFrame.url ? where(n) : n.callFrame.functionName);

  let clock = 0;
  let inWindow = 0;
  let notCpu = 0;
  const perSecond = new Map<number, number>();
  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, t: number) => map.set(key, (map.get(key) ?? 0) + t);
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    clock += dt;
    const node = nodes.get(id)!;
    const busy = node.callFrame.functionName !== '(idle)';
    if (busy) perSecond.set(Math.floor(clock / 1e6), (perSecond.get(Math.floor(clock / 1e6)) ?? 0) + dt);
    if (clock < from || clock > to) return;
    inWindow += dt;
    if (NOT_CPU.has(node.callFrame.functionName)) {
      notCpu += dt;
      return;
    }
    add(self, nameOf(node), dt);
    add(byFile, fileOf(node), dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const key = nameOf(nodes.get(cur)!);
      if (!seen.has(key)) add(inclusive, key, dt);
      seen.add(key);
    }
  });
  const cpu = inWindow - notCpu;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`busy share per second: ${[...perSecond].map(([s, t]) => `${s}:${Math.round(t / 1e4)}%`).join(' ')}`);
  out(`window ${(inWindow / 1e6).toFixed(1)} s sampled; idle and writev ${(notCpu / 1e6).toFixed(1)} s left out; shares of the remaining ${(cpu / 1e6).toFixed(1)} s`);
  const list = (title: string, map: Map<string, number>, filter: (k: string) => boolean = () => true) => {
    out(`\n${title}`);
    for (const [k, t] of [...map].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) out(`${pct(t, cpu)}  ${k}`);
  };
  list('self, by function', self);
  list('self, by file or package', byFile);
  list(`inclusive, functions matching ${match}`, inclusive, (k) => match.test(k));
}

main();
