import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { startTestSpine } from './support/spine.js';
import { migrationSetHash } from './support/migrated-template.js';
import { identityService } from '../src/services/identity/index.js';
import { ALL_SERVICES } from '../src/services/registry.js';
import { platformMigrations } from '../src/platform/migrations.js';

/** A logger at info whose entries the test reads. */
function recordingLog() {
  const entries: Array<{ msg: string; applied?: string[] }> = [];
  const log = pino({ level: 'info' }, new Writable({
    write(chunk, _encoding, done) {
      entries.push(JSON.parse(String(chunk)));
      done();
    },
  }));
  return { log, entries };
}

async function appliedMigrations(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ m: string }>(`SELECT schema_name || '/' || id AS m FROM platform.migrations ORDER BY 1`);
    return rows.map((r) => r.m);
  } finally {
    await client.end();
  }
}

const every = (sets: typeof platformMigrations) => sets.flatMap((set) => set.migrations.map((m) => `${set.schema}/${m.id}`)).sort();

// Each test Spine start migrated a fresh database (every service's migrations), a quarter of a start's
// CPU; now the database is a copy of a template migrated once per test server.
describe('test databases', () => {
  it('a test Spine of every service starts on a database migrated already: its own migration step finds every migration applied', async () => {
    const { log, entries } = recordingLog();
    const spine = await startTestSpine({ log });
    try {
      assert.deepEqual(entries.filter((e) => e.msg === 'migrations applied'), [], 'no migration was left to apply at start');
      assert.deepEqual(await appliedMigrations(spine.databaseUrl), every([...platformMigrations, ...ALL_SERVICES.flatMap((s) => s.migrations)]));
      assert.equal((await fetch(`${spine.url}/_status`)).status, 200);
    } finally {
      await spine.close();
    }
  });

  it('a test Spine of some services starts on an empty database and migrates only theirs, as a deployment of them would', async () => {
    const { log, entries } = recordingLog();
    const spine = await startTestSpine({ log, modules: [identityService], flags: { services: 'identity' } });
    try {
      const expected = every([...platformMigrations, ...identityService.migrations]);
      assert.deepEqual(entries.find((e) => e.msg === 'migrations applied')?.applied?.slice().sort(), expected);
      assert.deepEqual(await appliedMigrations(spine.databaseUrl), expected);
    } finally {
      await spine.close();
    }
  });

  it('the template is named by the migration set: another migration, or a changed text, names another', () => {
    const hash = migrationSetHash();
    assert.match(hash, /^[0-9a-f]{24}$/);
    assert.equal(migrationSetHash(), hash, 'the same set, the same name');
    const set = platformMigrations[0]!;
    const original = set.migrations;
    try {
      set.migrations = [...original, { id: '999_later', sql: 'SELECT 1' }];
      assert.notEqual(migrationSetHash(), hash, 'a migration added');
      set.migrations = [{ ...original[0]!, sql: `${original[0]!.sql} ` }, ...original.slice(1)];
      assert.notEqual(migrationSetHash(), hash, 'a migration\'s text changed');
      set.migrations = [{ ...original[0]!, contract: true }, ...original.slice(1)];
      assert.notEqual(migrationSetHash(), hash, 'a migration made a contract step');
    } finally {
      set.migrations = original;
    }
    assert.equal(migrationSetHash(), hash);
  });
});
