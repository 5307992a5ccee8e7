import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from './support/cli.js';
import { createTestDatabase } from './support/spine.js';
import { ALL_SERVICES } from '../src/services/registry.js';
import { migrationSetsOf, SERVICE_MIGRATIONS } from '../src/services/migration-sets.js';
import { SERVICE_NAMES } from '../src/platform/config.js';

const TRACE = fileURLToPath(new URL('./support/module-trace.mjs', import.meta.url));

/** Runs the built CLI as test/support/cli.ts does, and lists every module it loaded. */
function traced(databaseUrl: string, dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string; modules: string[] }> {
  const file = join(dir, `trace-${Math.random().toString(36).slice(2)}.txt`);
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TRACE, CLI, ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', OPENSPINE_MODULE_TRACE: file }, timeout: 120_000,
    }, (err, stdout, stderr) => resolve({
      code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr,
      modules: readFileSync(file, 'utf8').split('\n').filter(Boolean),
    }));
  });
}

// Each call of the CLI is a process of its own, which paid for loading every service (their routes,
// compiled schemas, the synthetic population's faker), the HTTP server and its plugins, whatever
// the command: ~1.7–2.4 s of CPU a call, where the command's own work was a few milliseconds.
const NOT_FOR_A_STORE_COMMAND = [
  /\/dist\/services\/[^/]+\/index\.js$/,
  /\/dist\/services\/registry\.js$/,
  /\/dist\/platform\/http\/server\.js$/,
  /\/node_modules\/@faker-js\//,
  /\/node_modules\/fastify\//,
  /\/node_modules\/ajv\//,
];
const offending = (modules: string[]) => modules.filter((url) => NOT_FOR_A_STORE_COMMAND.some((pattern) => pattern.test(url)));

describe('the openspine command loads what a command uses', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  before(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'openspine-cli-load-'));
  });
  after(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help lists every command without loading any service, the HTTP server or a schema compiler', async () => {
    const result = await traced(database.url, dir, '--help');
    assert.equal(result.code, 0, result.stderr);
    for (const command of ['serve', 'migrate', 'seed', 'apps', 'token', 'audit', 'nrl', 'directory']) {
      assert.match(result.stdout, new RegExp(`\\n  ${command}\\b`), `--help lists ${command}`);
    }
    assert.deepEqual(offending(result.modules), []);
  });

  it('a store command on an empty database migrates it (every service\'s migrations) and works, loading no service module', async () => {
    const set = await traced(database.url, dir, 'directory', 'postcode-areas', 'set', '--kind', 'icb-sub-location', '--ods', '15f', '--prefixes', 'LS1,LS2');
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(JSON.parse(set.stdout), { kind: 'icb-sub-location', odsCode: '15F', prefixes: 2 });
    assert.deepEqual(offending(set.modules), []);
    const lookup = await traced(database.url, dir, 'directory', 'postcode-areas', 'lookup', '--postcode', 'LS1 6AE');
    assert.equal(lookup.code, 0, lookup.stderr);
    assert.deepEqual(JSON.parse(lookup.stdout), { 'icb-sub-location': '15F' });
    assert.deepEqual(offending(lookup.modules), []);
    // Every service's migrations were applied: `migrate` finds nothing left to do.
    const migrate = await traced(database.url, dir, 'migrate');
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.equal(migrate.stdout, 'database is up to date\n');
    assert.deepEqual(offending(migrate.modules), []);
  });

  it('the migrations a command applies without the services are the services\' own, in the registry\'s order', () => {
    assert.deepEqual(SERVICE_MIGRATIONS.map(([name]) => name), ALL_SERVICES.map((s) => s.name));
    assert.deepEqual(SERVICE_MIGRATIONS.map(([name]) => name), [...SERVICE_NAMES]);
    for (const service of ALL_SERVICES) {
      const sets = migrationSetsOf([service.name]);
      assert.equal(sets.length, service.migrations.length, service.name);
      sets.forEach((set, i) => assert.equal(set, service.migrations[i], `${service.name}: the very same migration set`));
    }
    assert.deepEqual(migrationSetsOf([...SERVICE_NAMES]), ALL_SERVICES.flatMap((s) => s.migrations));
  });
});
