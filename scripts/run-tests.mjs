#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's test runner. Unless
// OPENSPINE_TEST_DATABASE_URL names a PostgreSQL server, it starts one embedded PostgreSQL for the
// whole run; each test file then creates and drops its own database on it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;

function findTests(dir, found = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, found);
    else if (name.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found;
}

// The standing suites take minutes: `npm run test:reliability` (test/reliability/: crash, fuzz, …)
// and `npm run test:resilience` (test/resilience/: failover with Patroni and HAProxy) run them (CI
// does, after `npm test`); a bare run leaves them out.
const STANDING = ['test/reliability/', 'test/resilience/'];
const filter = process.argv.slice(2);
const files = [...findTests(join(root, 'src')), ...findTests(join(root, 'test'))]
  .filter((f) => (filter.length === 0 ? !STANDING.some((dir) => f.startsWith(dir)) : filter.some((pattern) => f.includes(pattern))))
  .sort();

// A file of the standing suites (a whole failover estate, crash and fuzz runs) may take longer than
// one of the suite's; OPENSPINE_TEST_TIMEOUT_MS overrides either limit.
const standingRun = files.length > 0 && files.every((f) => STANDING.some((dir) => f.startsWith(dir)));
const fileTimeoutMs = process.env.OPENSPINE_TEST_TIMEOUT_MS ?? (standingRun ? 900_000 : 300_000);

// Tests run the CLI as an operator does (`dist/cli/main.js`), and this script starts PostgreSQL
// from dist: a source file newer than the last build (an edit, a checkout) builds first, so a test
// never runs yesterday's code. A build that fails stops the run with tsc's output.
function newestChange(dir, suffix) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) newest = Math.max(newest, newestChange(path, suffix));
    else if (name.endsWith(suffix)) newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}
const built = existsSync(join(root, 'dist')) ? newestChange(join(root, 'dist'), '.js') : 0;
if (newestChange(join(root, 'src'), '.ts') > built) {
  console.log('run-tests: src/ is newer than dist/: building first (npm run build)');
  const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

let server;
const env = { ...process.env };
if (!env.OPENSPINE_TEST_DATABASE_URL) {
  const { startEmbeddedPostgres } = await import(pathToFileURL(join(root, 'dist/platform/db/embedded.js')).href);
  const dataDir = join(tmpdir(), `openspine-test-pg-${process.pid}`);
  server = await startEmbeddedPostgres(dataDir);
  env.OPENSPINE_TEST_DATABASE_URL = server.connectionString;
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
}

// test/support/prompt-assertions.ts: a failing assert.ok without a message fails at once (Node's
// message for it, parsed from the source, takes minutes under tsx).
const child = spawn(process.execPath, [
  '--import', 'tsx',
  '--import', pathToFileURL(join(root, 'test/support/prompt-assertions.ts')).href,
  '--test',
  '--test-reporter=spec',
  `--test-concurrency=${env.OPENSPINE_TEST_CONCURRENCY ?? 3}`,
  `--test-timeout=${fileTimeoutMs}`,
  ...files,
], { cwd: root, env, stdio: 'inherit' });

const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
if (server) await server.stop();
process.exit(code);
