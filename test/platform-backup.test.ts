import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { createMigratedTestDatabase, createTestDatabase, startTestSpine } from './support/spine.js';
import { createAppAndToken } from './support/identity.js';
import { CLI, openspine } from './support/cli.js';
import { BackupReader } from '../src/platform/db/backup.js';
import { createDb } from '../src/platform/db/pool.js';
import { migrateSets } from '../src/platform/runtime.js';
import { migrationSetsOf } from '../src/services/migration-sets.js';
import { SERVICE_NAMES } from '../src/platform/config.js';

/** Every table's rows (as text, in order) and every sequence's state: what a restore must give back. */
async function contents(url: string): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string; kind: string }>(`
      SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'S') AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         AND n.nspname NOT LIKE 'pg\\_%' AND NOT (n.nspname = 'platform' AND c.relname = 'migrations') ORDER BY 1`);
    const found = new Map<string, string>();
    for (const { name, kind } of tables) {
      // A sequence by where it stands (its log_cnt, WAL bookkeeping, starts again at a setval).
      const rows = kind === 'S' ? `(SELECT last_value, is_called FROM ${name})` : name;
      const { rows: [row] } = await client.query<{ text: string | null }>(`SELECT string_agg(t::text, E'\\n' ORDER BY t::text) AS text FROM ${rows} t`);
      found.set(name, row!.text ?? '');
    }
    return found;
  } finally {
    await client.end();
  }
}

async function count(url: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

describe('openspine backup and restore: the whole store, from one snapshot, into a new database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openspine-backup-'));
  const databases: Array<{ url: string; drop(): Promise<void> }> = [];
  let source: { url: string; drop(): Promise<void> };

  before(async () => {
    source = await createMigratedTestDatabase();
    databases.push(source);
    // Rows in most services' tables: the NRL, EPS and directory datasets, synthetic patients with pointers, audited reads.
    for (const args of [['--dataset', 'nrl'], ['--dataset', 'eps'], ['--patients', '200']]) {
      const seeded = await openspine(source.url, 'seed', ...args);
      assert.equal(seeded.code, 0, seeded.stderr);
    }
  });
  after(async () => {
    for (const database of databases) await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const newDatabase = async () => {
    const database = await createTestDatabase();
    databases.push(database);
    return database;
  };

  it('a restore gives back every table\'s rows and every sequence exactly; the restored audit chain verifies', { timeout: 120_000 }, async () => {
    const spine = await startTestSpine({ databaseUrl: source.url });
    const { token } = await createAppAndToken(spine);
    for (let n = 0; n < 5; n++) {
      const read = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, {
        headers: { authorization: `Bearer ${token}`, 'x-request-id': randomUUID() },
      });
      assert.equal(read.status, 200);
    }
    await spine.close();

    const file = join(dir, 'quiet.gz');
    const made = await openspine(source.url, 'backup', '--file', file);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stderr, /^backup: \d+ tables, \d+ rows, \d+ migrations to .*quiet\.gz \(\d+\.\d MB\)/);
    const target = await newDatabase();
    const restored = await openspine(target.url, 'restore', '--file', file);
    assert.equal(restored.code, 0, restored.stderr);

    const before = await contents(source.url);
    const after = await contents(target.url);
    assert.deepEqual([...after.keys()], [...before.keys()]);
    for (const [table, rows] of before) assert.equal(after.get(table), rows, `${table} restored as it was`);
    assert.ok(before.get('record_locator.pointers')!.length > 0 && before.get('audit.events')!.length > 0, 'the store had rows to copy');
    const verified = await openspine(target.url, 'audit', 'verify');
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /audit chain intact: [1-9]\d* records/);
  });

  it('a backup piped from standard output into a restore from standard input gives back the same store', { timeout: 120_000 }, async () => {
    const target = await newDatabase();
    const piped = spawnSync('bash', ['-o', 'pipefail', '-c', `node "${CLI}" backup --file - | DATABASE_URL="$TARGET" node "${CLI}" restore --file -`], {
      env: { ...process.env, DATABASE_URL: source.url, TARGET: target.url, LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 120_000,
    });
    assert.equal(piped.status, 0, piped.stderr);
    assert.match(piped.stderr, /backup: \d+ tables, \d+ rows, \d+ migrations to standard output/);
    assert.match(piped.stdout, /^restore: \d+ tables/);
    const [before, after] = [await contents(source.url), await contents(target.url)];
    for (const [table, rows] of before) assert.equal(after.get(table), rows, `${table} restored as it was`);
  });

  it('a backup taken while the Spine writes is one moment of the store: the restored audit chain verifies', { timeout: 120_000 }, async () => {
    const spine = await startTestSpine({ databaseUrl: source.url });
    const { token } = await createAppAndToken(spine);
    let reading = true;
    let reads = 0;
    const load = (async () => {
      while (reading) {
        const read = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, {
          headers: { authorization: `Bearer ${token}`, 'x-request-id': randomUUID() },
        });
        assert.equal(read.status, 200);
        reads += 1;
      }
    })();
    try {
      while (reads < 20) await new Promise((resolve) => setTimeout(resolve, 20));
      const file = join(dir, 'busy.gz');
      const made = await openspine(source.url, 'backup', '--file', file);
      assert.equal(made.code, 0, made.stderr);
      const during = reads;
      const target = await newDatabase();
      const restored = await openspine(target.url, 'restore', '--file', file);
      assert.equal(restored.code, 0, restored.stderr);
      const verified = await openspine(target.url, 'audit', 'verify');
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      assert.ok(during > 20, 'reads went on while the backup was made');
    } finally {
      reading = false;
      await load;
      await spine.close();
    }
  });

  it('a restore is refused into a database with tables, and from a file cut short or not a backup, changing no row', { timeout: 120_000 }, async () => {
    const file = join(dir, 'whole.gz');
    assert.equal((await openspine(source.url, 'backup', '--file', file)).code, 0);

    const intoSource = await openspine(source.url, 'restore', '--file', file);
    assert.equal(intoSource.code, 1);
    assert.match(intoSource.stderr, /new, empty database only: this one has tables already/);

    // The whole file but its last few hundred bytes (inside the last tables' frames), gzipped again.
    const whole = gunzipSync(readFileSync(file));
    const cut = join(dir, 'cut.gz');
    writeFileSync(cut, gzipSync(whole.subarray(0, whole.length - 300)));
    const target = await newDatabase();
    const fromCut = await openspine(target.url, 'restore', '--file', cut);
    assert.equal(fromCut.code, 1);
    assert.match(fromCut.stderr, /ends early: it is cut short or not a backup/);
    assert.equal(await count(target.url, 'record_locator.pointers'), 0, 'nothing of the cut file was kept');

    // A header naming a table the store does not have (here a catalog table) is refused before any row moves.
    const newline = whole.indexOf(0x0a);
    const header = JSON.parse(whole.subarray(0, newline).toString('utf8')) as { tables: Array<{ schema: string; name: string }> };
    header.tables[0] = { ...header.tables[0]!, schema: 'pg_catalog', name: 'pg_class' };
    const foreign = join(dir, 'foreign.gz');
    writeFileSync(foreign, gzipSync(Buffer.concat([Buffer.from(JSON.stringify(header)), whole.subarray(newline)])));
    const fromForeign = await openspine((await newDatabase()).url, 'restore', '--file', foreign);
    assert.equal(fromForeign.code, 1);
    assert.match(fromForeign.stderr, /names a table this store does not have: pg_catalog\.pg_class/);

    const notBackup = join(dir, 'not.gz');
    writeFileSync(notBackup, gzipSync(Buffer.from('{"resourceType":"Bundle"}\n')));
    const fromOther = await openspine((await newDatabase()).url, 'restore', '--file', notBackup);
    assert.equal(fromOther.code, 1);
    assert.match(fromOther.stderr, /not an OpenSpine backup/);
  });

  it('the header names every table with its columns and rows, parents before the tables that refer to them', async () => {
    const file = join(dir, 'header.gz');
    assert.equal((await openspine(source.url, 'backup', '--file', file)).code, 0);
    const header = await new BackupReader(createReadStream(file).pipe(createGunzip())).header();
    const names = header.tables.map((t) => `${t.schema}.${t.name}`);
    assert.ok(!names.includes('platform.migrations'), 'the migrations\' own record is the target\'s');
    assert.ok(!names.includes('platform.rate_windows'), 'unlogged tables are not copied');
    const client = new pg.Client({ connectionString: source.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ child: string; parent: string }>(`
        SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint
         WHERE contype = 'f' AND conrelid <> confrelid`);
      assert.ok(rows.length > 0, 'the store has foreign keys to order by');
      for (const { child, parent } of rows) {
        assert.ok(names.indexOf(parent) < names.indexOf(child), `${parent} comes before ${child}`);
      }
    } finally {
      await client.end();
    }
    assert.ok(header.migrations.length > 0 && header.migrations.every((m) => /^[a-z_]+\/\S+$/.test(m)));
  });

  it('a store whose upgrade left a contract step pending is restored with it still pending', { timeout: 120_000 }, async () => {
    const PENDING = 'prescriptions/007_documents_as_text_contract';
    const upgraded = await newDatabase();
    const db = createDb(upgraded.url, { max: 2 });
    try {
      const sets = migrationSetsOf(SERVICE_NAMES);
      const every = sets.flatMap((set) => set.migrations.map((m) => `${set.schema}/${m.id}`));
      assert.ok(every.includes(PENDING));
      await migrateSets(db, sets, { only: new Set(every.filter((id) => id !== PENDING)) });
    } finally {
      await db.close();
    }
    assert.equal((await openspine(upgraded.url, 'seed', '--dataset', 'eps')).code, 0);
    const file = join(dir, 'upgraded.gz');
    assert.equal((await openspine(upgraded.url, 'backup', '--file', file)).code, 0);
    const target = await newDatabase();
    const restored = await openspine(target.url, 'restore', '--file', file);
    assert.equal(restored.code, 0, restored.stderr);
    const pending = async (url: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(`SELECT 1 FROM platform.migrations WHERE schema_name || '/' || id = $1`, [PENDING])).rowCount === 0;
      } finally {
        await client.end();
      }
    };
    assert.ok(await pending(target.url), 'the contract step is pending in the restored store, as in the backed-up one');
    const [before, after] = [await contents(upgraded.url), await contents(target.url)];
    for (const [table, rows] of before) assert.equal(after.get(table), rows, `${table} restored as it was`);
  });
});
