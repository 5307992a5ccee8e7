// The CPU of `openspine` CLI calls as tests make them (test/support/cli.ts: the built CLI, in a
// child process): `node --import tsx scripts/measure-cli.ts [runs]`, after a build. Prints each
// command's user+system CPU (from /usr/bin/time), the median of `runs`, on an embedded PostgreSQL
// of its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { CLI } from '../test/support/cli.js';

const dataDir = mkdtempSync(join(tmpdir(), 'openspine-measure-cli-'));
const server = await startEmbeddedPostgres(dataDir);
process.env.OPENSPINE_TEST_DATABASE_URL = server.connectionString;
const { createTestDatabase } = await import('../test/support/spine.js');
const database = await createTestDatabase();

/** One call's user+system CPU in ms. */
function cpuMs(args: string[]): number {
  const run = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, CLI, ...args], {
    env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'silent' }, encoding: 'utf8',
  });
  const line = /cpu (\S+) (\S+)\s*$/.exec(run.stderr);
  if (run.status !== 0 || !line) throw new Error(`openspine ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  return (Number(line[1]) + Number(line[2])) * 1000;
}

const runs = Number(process.argv[2] ?? 5);
const commands = [
  ['--help'],
  ['directory', 'postcode-areas', 'set', '--kind', 'icb-sub-location', '--ods', '15F', '--prefixes', 'LS1,LS2'],
  ['directory', 'postcode-areas', 'lookup', '--postcode', 'LS1 6AE'],
  ['nrl', 'permissions', 'list', '--app', 'some-app'],
];
for (const args of commands) {
  const times = Array.from({ length: runs }, () => cpuMs(args)).sort((a, b) => a - b);
  console.log(`openspine ${args.join(' ').padEnd(72)} median ${times[Math.floor(runs / 2)]!.toFixed(0).padStart(5)} ms  (${times.map((t) => t.toFixed(0)).join(' ')})`);
}
await database.drop();
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
