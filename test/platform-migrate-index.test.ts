import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from './support/spine.js';
import { createDb, type Db } from '../src/platform/db/pool.js';
import { isConcurrentIndexBuild, migrate, MigrationError, type MigrationSet } from '../src/platform/db/migrate.js';

/**
 * Index migrations (`concurrentIndex`) on real PostgreSQL: built outside a transaction, which is
 * the only place PostgreSQL builds an index concurrently (without holding off the table's writes),
 * recorded once built, and a failed build's invalid index dropped and built again next time.
 */
const TABLE: MigrationSet = {
  schema: 'idx_test',
  migrations: [{ id: '001_table', sql: 'CREATE TABLE idx_test.rows (id int PRIMARY KEY, code text NOT NULL)' }],
};
const withIndex = (...more: MigrationSet['migrations']): MigrationSet[] => [{ ...TABLE, migrations: [...TABLE.migrations, ...more] }];
const UNIQUE_CODE = { id: '002_code_unique', concurrentIndex: 'rows_code', sql: 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS rows_code ON idx_test.rows (code)' };

describe('index migrations', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: Db;
  before(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { max: 3, connectTimeoutMs: 10_000 });
  });
  after(async () => {
    await db?.close();
    await database?.drop();
  });

  const indexState = async (name: string) => (await db.query<{ valid: boolean }>(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'idx_test' AND c.relname = $1`, [name])).rows.map((r) => (r.valid ? 'valid' : 'invalid'));
  const recorded = async (id: string) =>
    (await db.query(`SELECT 1 FROM platform.migrations WHERE schema_name = 'idx_test' AND id = $1`, [id])).rowCount;

  it('a build that fails leaves its migration pending; the next run drops the invalid index it left and builds it again', async () => {
    await migrate(db, withIndex());
    await db.query(`INSERT INTO idx_test.rows VALUES (1, 'a'), (2, 'a'), (3, 'b')`);
    await assert.rejects(migrate(db, withIndex(UNIQUE_CODE)), (err: unknown) =>
      err instanceof MigrationError && /idx_test\/002_code_unique failed: could not create unique index "rows_code"/.test(err.message));
    assert.equal(await recorded('002_code_unique'), 0);
    assert.deepEqual(await indexState('rows_code'), ['invalid'], 'PostgreSQL leaves a failed concurrent build behind, invalid');

    await db.query(`UPDATE idx_test.rows SET code = 'c' WHERE id = 2`);
    assert.deepEqual(await migrate(db, withIndex(UNIQUE_CODE)), ['idx_test/002_code_unique']);
    assert.deepEqual(await indexState('rows_code'), ['valid']);
    assert.equal(await recorded('002_code_unique'), 1);
    await assert.rejects(db.query(`INSERT INTO idx_test.rows VALUES (4, 'b')`), /duplicate key value violates unique constraint "rows_code"/);
    assert.deepEqual(await migrate(db, withIndex(UNIQUE_CODE)), [], 'applied once');
  });

  it('a build that was done but not recorded (cut off between the two) is recorded without building again', async () => {
    await db.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_id_code ON idx_test.rows (id, code)');
    const built = (await db.query(`SELECT 'idx_test.rows_id_code'::regclass::oid AS oid`)).rows[0].oid;
    const migration = { id: '003_id_code', concurrentIndex: 'rows_id_code', sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_id_code ON idx_test.rows (id, code)' };
    assert.deepEqual(await migrate(db, withIndex(UNIQUE_CODE, migration)), ['idx_test/003_id_code']);
    assert.equal((await db.query(`SELECT 'idx_test.rows_id_code'::regclass::oid AS oid`)).rows[0].oid, built, 'the same index');
  });

  it('an index of the name that is not the one the migration builds is refused, and the migration stays pending', async () => {
    const cases: Array<[string, string, string, RegExp]> = [
      // made by hand on other columns
      ['rows_by_code', 'CREATE INDEX rows_by_code ON idx_test.rows (id)', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_by_code ON idx_test.rows (code)',
        /there as "USING btree \(id\)", where the migration builds "USING btree \(code\)"/],
      // not unique, where the migration's is: IF NOT EXISTS would leave the table without its constraint
      ['rows_code_once', 'CREATE INDEX rows_code_once ON idx_test.rows (code)', 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS rows_code_once ON idx_test.rows (code)',
        /there as "USING btree \(code\)", where the migration builds "UNIQUE USING btree \(code\)"/],
      // partial, where the migration's is whole
      ['rows_code_b', "CREATE INDEX rows_code_b ON idx_test.rows (code) WHERE code = 'b'", 'CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_code_b ON idx_test.rows (code)',
        /there as "USING btree \(code\) WHERE \(code = 'b'::text\)"/],
      // on another table
      ['rows_elsewhere', 'CREATE INDEX rows_elsewhere ON idx_test.other (code)', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_elsewhere ON idx_test.rows (code)',
        /there on another table/],
      // not an index at all
      ['rows_table', 'CREATE TABLE idx_test.rows_table (x int)', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_table ON idx_test.rows (code)',
        /is there and is not an index/],
    ];
    await db.query('CREATE TABLE IF NOT EXISTS idx_test.other (code text)');
    for (const [index, made, sql, why] of cases) {
      await db.query(made);
      const migration = { id: `005_${index}`, concurrentIndex: index, sql };
      await assert.rejects(migrate(db, withIndex(UNIQUE_CODE, migration)), (err: unknown) =>
        err instanceof MigrationError && err.message.startsWith(`migration idx_test/005_${index} failed: `) && why.test(err.message), index);
      assert.equal(await recorded(`005_${index}`), 0, index);
    }
    // The same definition, written otherwise (explicit method, spacing, a quoted table): the same index, recorded.
    await db.query('CREATE INDEX rows_same ON idx_test.rows USING btree (code, id)');
    const same = { id: '006_same', concurrentIndex: 'rows_same', sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_same ON "idx_test"."rows"  ( code,id )' };
    assert.deepEqual(await migrate(db, withIndex(UNIQUE_CODE, same)), ['idx_test/006_same']);
    // The checks left nothing behind: a shape table committed instead of undone would be here (with
    // the check's ROLLBACK made a COMMIT, the second case failed on it); one left in an open
    // transaction fails the build that follows it.
    assert.equal((await db.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'openspine_index_shape%'`)).rows[0].n, 0);
  });

  it('a migration that declares an index but is not one concurrent build of it is refused, and nothing is run', async () => {
    for (const [sql, index] of [
      ['CREATE INDEX rows_plain ON idx_test.rows (code)', 'rows_plain'],
      ['CREATE INDEX CONCURRENTLY rows_plain ON idx_test.rows (code)', 'rows_plain'],
      ['CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_other ON idx_test.rows (code)', 'rows_plain'],
      ['CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_plain ON idx_test.rows (code); DROP TABLE idx_test.rows', 'rows_plain'],
    ] as const) {
      const migration = { id: '004_refused', concurrentIndex: index, sql };
      await assert.rejects(migrate(db, withIndex(UNIQUE_CODE, migration)), (err: unknown) =>
        err instanceof MigrationError && err.message.includes('is one "CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS rows_plain ON …" statement'), sql);
      assert.equal(await recorded('004_refused'), 0, sql);
    }
    assert.deepEqual([await indexState('rows_plain'), await indexState('rows_other')], [[], []]);
    assert.equal((await db.query('SELECT count(*)::int AS n FROM idx_test.rows')).rows[0].n, 3, 'the table is still there');
  });

  it('the text check accepts exactly one concurrent, idempotent build of the named index', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);
    const on = fc.stringMatching(/^[a-z_. ()]{1,40}$/);
    fc.assert(fc.property(name, on, fc.boolean(), (index, target, unique) => {
      assert.ok(isConcurrentIndexBuild(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ${index} ON ${target}`, index));
      assert.ok(!isConcurrentIndexBuild(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${index} ON ${target}`, index));
      assert.ok(!isConcurrentIndexBuild(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${index}x ON ${target}`, index));
      assert.ok(!isConcurrentIndexBuild(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${index} ON ${target}; SELECT 1`, index));
    }));
    fc.assert(fc.property(fc.string(), (index) => {
      // A name that is not a plain lower-case identifier is never taken into the pattern.
      fc.pre(!/^[a-z_][a-z0-9_]*$/.test(index));
      assert.ok(!isConcurrentIndexBuild(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${index} ON t (c)`, index));
    }));
  });

  it('an index already there is checked by a migration role without the TEMP privilege', async () => {
    // Roles are the cluster's, not the test database's: this one is named per run and dropped after.
    const role = `idx_migrator_${randomBytes(4).toString('hex')}`;
    const name = (await db.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name;
    const password = randomBytes(12).toString('hex');
    await db.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER PASSWORD '${password}'`);
    await db.query(`REVOKE TEMPORARY ON DATABASE ${name} FROM PUBLIC`);
    await db.query(`GRANT CREATE ON DATABASE ${name} TO ${role}`);
    for (const owned of ['SCHEMA platform', 'TABLE platform.migrations', 'SCHEMA idx_test', 'TABLE idx_test.rows']) await db.query(`ALTER ${owned} OWNER TO ${role}`);
    await db.query('CREATE INDEX rows_code_id ON idx_test.rows (code, id)');
    const url = new URL(database.url);
    url.username = role;
    url.password = password;
    const migrator = createDb(url.toString(), { max: 1, connectTimeoutMs: 10_000 });
    try {
      await assert.rejects(migrator.query('CREATE TEMPORARY TABLE t (x int)'), /permission denied to create temporary tables/);
      const migration = { id: '007_code_id', concurrentIndex: 'rows_code_id', sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_code_id ON idx_test.rows (code, id)' };
      assert.deepEqual(await migrate(migrator, withIndex(UNIQUE_CODE, migration)), ['idx_test/007_code_id']);
      const differs = { id: '008_id_code', concurrentIndex: 'rows_code_id_2', sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_code_id_2 ON idx_test.rows (id)' };
      await db.query('CREATE INDEX rows_code_id_2 ON idx_test.rows (code)');
      await assert.rejects(migrate(migrator, withIndex(UNIQUE_CODE, migration, differs)), /008_id_code failed: an index of that name is there as "USING btree \(code\)"/);
    } finally {
      await migrator.close();
      await db.query(`REASSIGN OWNED BY ${role} TO CURRENT_USER`);
      await db.query(`DROP OWNED BY ${role}`);
      await db.query(`DROP ROLE ${role}`);
    }
  });
});
