/**
 * `node --import tsx bench/support/allocation-summary.ts PROFILE.heapprofile [--top N]`: the bytes a
 * sampled heap profile (`allocation-profile.mjs`) saw allocated, by the function that allocated
 * them and, inclusive of what they called, by the project's functions (`dist/`).
 */
import { readFileSync } from 'node:fs';

interface Frame { functionName: string; url: string; lineNumber: number }
interface SampledNode { callFrame: Frame; selfSize: number; children?: SampledNode[] }

const argv = process.argv.slice(2);
const file = argv[0];
if (!file) throw new Error('usage: allocation-summary.ts PROFILE.heapprofile [--top N]');
const top = Number(argv[argv.indexOf('--top') + 1] || 30);
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: SampledNode };

const nameOf = ({ functionName, url, lineNumber }: Frame) =>
  `${functionName || '(anonymous)'} ${url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}`;
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;

function walk(node: SampledNode, callers: ReadonlySet<string>): number {
  const name = nameOf(node.callFrame);
  self.set(name, (self.get(name) ?? 0) + node.selfSize);
  total += node.selfSize;
  const within = new Set(callers).add(name);
  let bytes = node.selfSize;
  for (const child of node.children ?? []) bytes += walk(child, within);
  // A function counted once per path, however deep it recurses.
  if (!callers.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + bytes);
  return bytes;
}
walk(head, new Set());

const share = (bytes: number) => `${((100 * bytes) / Math.max(1, total)).toFixed(1).padStart(5)}%`;
const list = (entries: Iterable<[string, number]>) => [...entries].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, bytes]) => `${share(bytes)}  ${name}`).join('\n');
console.log(`${(total / 1e6).toFixed(1)} MB sampled\n\nallocated by (self)\n${list(self)}`);
console.log(`\nallocated within the project's functions (inclusive)\n${list([...inclusive].filter(([name]) => name.includes('dist/')))}`);
