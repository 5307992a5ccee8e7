import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { createTestDatabase } from './support/spine.js';
import { createDb } from '../src/platform/db/pool.js';
import { migrateAll } from '../src/platform/runtime.js';
import { ALL_SERVICES } from '../src/services/registry.js';
import { joinsWithoutNhsNumber, sqlTextsOf, type Classification } from './support/citus.js';

/**
 * Citus-ready (DESIGN.md, deploy/citus.md): every table the migrations make is classified in
 * deploy/citus-tables.json, and each class holds on the migrated catalog: patient-scoped tables
 * carry the NHS number in every key, locators their id, foreign keys only point where Citus
 * allows. deploy/citus.sql is run against the same database with stand-ins for Citus's functions
 * that make Citus's own key checks (Citus itself has no package for this machine, so the script
 * never meets a real coordinator here). And no SQL in the services joins two patient-scoped tables
 * without the NHS number.
 */
const classes = JSON.parse(readFileSync(new URL('../deploy/citus-tables.json', import.meta.url), 'utf8')) as Classification;
const citusSql = readFileSync(new URL('../deploy/citus.sql', import.meta.url), 'utf8');
const DISTRIBUTION = classes.distributionColumn;
const lookups = new Map(Object.entries(classes.lookup));
const local = new Set(Object.keys(classes.local));
const classOf = (table: string) => classes.distributed.includes(table) ? 'distributed'
  : lookups.has(table) ? 'lookup' : classes.reference.includes(table) ? 'reference' : local.has(table) ? 'local' : undefined;

interface Key { table: string; name: string; primary: boolean; columns: string[] }
interface ForeignKey { table: string; name: string; columns: string[]; references: string; referencedColumns: string[] }

describe('the schema is ready for Citus', () => {
  let database: { url: string; drop(): Promise<void> };
  let client: pg.Client;
  let tables: string[];
  let keys: Key[];

  before(async () => {
    database = await createTestDatabase();
    const db = createDb(database.url, { max: 1, connectTimeoutMs: 10_000 });
    await migrateAll(db, [...ALL_SERVICES]);
    await db.close();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    tables = (await client.query<{ name: string }>(`
      SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
       ORDER BY 1`)).rows.map((r) => r.name);
    // Every unique index (primary keys included); an expression column counts as no column.
    keys = (await client.query<Key>(`
      SELECT n.nspname || '.' || t.relname AS table, i.relname AS name, x.indisprimary AS primary,
             array(SELECT coalesce(a.attname::text, '(expression)') FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                   LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE x.indisunique AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`)).rows;
  });
  after(async () => {
    await client?.end();
    await database?.drop();
  });

  it('classifies every table exactly once, and names no table that does not exist', () => {
    const classified = [...classes.distributed, ...lookups.keys(), ...classes.reference, ...local];
    const twice = classified.filter((t, i) => classified.indexOf(t) !== i);
    assert.deepEqual(twice, [], 'classified more than once');
    assert.deepEqual(tables.filter((t) => classOf(t) === undefined), [],
      'tables missing from deploy/citus-tables.json: say whether each is patient-scoped (distributed), a locator, reference data or local');
    assert.deepEqual(classified.filter((t) => !tables.includes(t)), [], 'classified tables that the migrations do not make');
  });

  it('keys every patient-scoped table by NHS number: the primary key and every unique index include it', async () => {
    for (const table of classes.distributed) {
      const { rows } = await client.query<{ notnull: boolean }>(
        `SELECT attnotnull AS notnull FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped`, [table, DISTRIBUTION]);
      assert.equal(rows[0]?.notnull, true, `${table}.${DISTRIBUTION} must exist and be NOT NULL`);
      const own = keys.filter((k) => k.table === table);
      assert.ok(own.some((k) => k.primary), `${table} has no primary key`);
      for (const key of own) assert.ok(key.columns.includes(DISTRIBUTION), `${table}: ${key.name} (${key.columns.join(', ')}) does not include ${DISTRIBUTION}`);
    }
  });

  it('keys every locator by its id alone, so ids stay unique across patients', () => {
    for (const [table, column] of lookups) {
      const own = keys.filter((k) => k.table === table);
      assert.deepEqual(own.find((k) => k.primary)?.columns, [column], `${table}'s primary key must be (${column})`);
      for (const key of own) assert.ok(key.columns.includes(column), `${table}: ${key.name} does not include ${column}`);
    }
  });

  it('has foreign keys only where Citus allows them', async () => {
    const { rows } = await client.query<ForeignKey>(`
      SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.confrelid::regclass::text AS references,
             array(SELECT attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute ON attrelid = c.conrelid AND attnum = k.n ORDER BY o) AS columns,
             array(SELECT attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute ON attrelid = c.confrelid AND attnum = k.n ORDER BY o) AS "referencedColumns"
        FROM pg_constraint c WHERE c.contype = 'f'`);
    assert.ok(rows.length > 0, 'the schema has foreign keys to check');
    for (const fk of rows) {
      const from = classOf(fk.table);
      const to = classOf(fk.references);
      const what = `${fk.table} -> ${fk.references} (${fk.name})`;
      if (to === 'reference') continue; // any table may refer to a copy every node holds
      if (from === 'local' && to === 'local') continue;
      if (from === 'distributed' && to === 'distributed') {
        const at = fk.columns.indexOf(DISTRIBUTION);
        assert.ok(at >= 0 && fk.referencedColumns[at] === DISTRIBUTION, `${what}: must match ${DISTRIBUTION} to ${DISTRIBUTION}`);
        continue;
      }
      assert.fail(`${what}: Citus has no foreign key from a ${from} table to a ${to} table`);
    }
  });

  it('deploy/citus.sql distributes, references and keeps local exactly the classified tables, past Citus\'s key checks', async () => {
    await client.query('BEGIN');
    try {
      await client.query(STAND_INS);
      await client.query('SET LOCAL search_path = citus_stand_in, public');
      await client.query(citusSql);
      const { rows } = await client.query<{ kind: string; table: string; column: string | null; colocate: string | null }>(
        'SELECT kind, table_name::text AS table, column_name AS column, colocate FROM citus_stand_in.calls ORDER BY seq');
      const of = (kind: string) => rows.filter((r) => r.kind === kind);
      assert.deepEqual(of('reference').map((r) => r.table).sort(), [...classes.reference].sort());
      const distributed = of('distributed');
      const [first, ...rest] = classes.distributed;
      assert.deepEqual(distributed.filter((r) => r.column === DISTRIBUTION).map((r) => r.table).sort(), [...classes.distributed].sort());
      for (const r of distributed.filter((d) => d.column === DISTRIBUTION)) {
        assert.equal(r.colocate, r.table === first ? 'default' : first, `${r.table} is co-located with ${first}`);
      }
      assert.ok(rest.length > 0);
      assert.deepEqual(distributed.filter((r) => r.column !== DISTRIBUTION).map((r) => [r.table, r.column, r.colocate]).sort(),
        [...lookups].map(([t, c]) => [t, c, 'none']).sort());
      const notLocal = of('local').map((r) => r.table).filter((t) => !local.has(t));
      assert.deepEqual(notLocal, [], 'only local tables are added to the metadata as local');
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('the stand-ins refuse what Citus refuses: a unique index without the distribution column', async () => {
    await client.query('BEGIN');
    try {
      await client.query(STAND_INS);
      await client.query('SET LOCAL search_path = citus_stand_in, public');
      await client.query('CREATE TABLE public.bad (nhs_number text NOT NULL, id text NOT NULL, PRIMARY KEY (nhs_number, id))');
      await client.query('CREATE UNIQUE INDEX bad_id ON public.bad (id)');
      await assert.rejects(client.query(`SELECT create_distributed_table('public.bad', 'nhs_number')`), /bad_id/);
    } finally {
      await client.query('ROLLBACK');
    }
  });
});

describe('SQL that joins patient-scoped tables carries the NHS number in the join', () => {
  const texts = sqlTextsOf(new URL('../src/services/', import.meta.url).pathname);

  it('in every statement of every service', () => {
    const problems = texts.flatMap(({ file, sql }) => joinsWithoutNhsNumber(sql, classes.distributed).map((p) => `${file}: ${p}`));
    assert.deepEqual(problems, []);
    // The check has something to check: the services do join patient-scoped tables.
    const multi = texts.filter(({ sql }) => joinsWithoutNhsNumber.tablesIn(sql, classes.distributed).length >= 2);
    assert.ok(multi.length >= 3, `found ${multi.length} statements naming two patient-scoped tables`);
  });

  it('flags a join on anything but the NHS number, and passes the joins and semi-joins that carry it', () => {
    const patientTables = ['demographics.patients', 'demographics.historic_names', 'record_locator.pointers'];
    const bad = [
      'SELECT 1 FROM demographics.patients p JOIN demographics.historic_names h ON h.family = p.family',
      'SELECT p.nhs_number FROM demographics.patients p, record_locator.pointers r WHERE r.id = $1',
      'SELECT 1 FROM demographics.patients JOIN record_locator.pointers USING (id)',
      'SELECT 1 FROM demographics.patients p JOIN demographics.historic_names h ON h.family = p.family WHERE p.nhs_number = $1 AND h.nhs_number = $2',
    ];
    const good = [
      'SELECT 1 FROM demographics.patients p JOIN demographics.historic_names h ON h.nhs_number = p.nhs_number',
      'SELECT 1 FROM demographics.patients p JOIN demographics.historic_names AS h ON p.nhs_number = h.nhs_number AND h.family = p.family',
      'SELECT 1 FROM demographics.patients JOIN demographics.historic_names USING (nhs_number)',
      `p.nhs_number IN (SELECT c.nhs_number FROM demographics.patients c WHERE c.family = $1
        UNION ALL SELECT h.nhs_number FROM demographics.historic_names h WHERE h.family = $1)`,
      'SELECT 1 FROM demographics.patients p WHERE p.nhs_number = $1',
      'INSERT INTO demographics.patients (nhs_number) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM demographics.patients WHERE nhs_number = $1)',
    ];
    for (const sql of bad) assert.notDeepEqual(joinsWithoutNhsNumber(sql, patientTables), [], sql);
    for (const sql of good) assert.deepEqual(joinsWithoutNhsNumber(sql, patientTables), [], sql);
  });
});

/**
 * Stand-ins for the Citus functions deploy/citus.sql calls, with the checks Citus makes before it
 * distributes a table: the table exists (regclass), the column exists, and every primary key and
 * unique index includes the distribution column. Each call is recorded for the test to compare.
 */
const STAND_INS = `
  CREATE SCHEMA citus_stand_in;
  CREATE TABLE citus_stand_in.calls (seq serial, kind text, table_name regclass, column_name text, colocate text);
  CREATE FUNCTION citus_stand_in.create_reference_table(t regclass) RETURNS void LANGUAGE sql AS $$
    INSERT INTO citus_stand_in.calls (kind, table_name) VALUES ('reference', t) $$;
  CREATE FUNCTION citus_stand_in.citus_add_local_table_to_metadata(t regclass, cascade_via_foreign_keys boolean DEFAULT false)
    RETURNS void LANGUAGE sql AS $$ INSERT INTO citus_stand_in.calls (kind, table_name) VALUES ('local', t) $$;
  CREATE FUNCTION citus_stand_in.create_distributed_table(t regclass, col text, colocate_with text DEFAULT 'default')
    RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      column_number smallint;
      bad text;
    BEGIN
      SELECT attnum INTO column_number FROM pg_attribute WHERE attrelid = t AND attname = col AND NOT attisdropped;
      IF column_number IS NULL THEN RAISE EXCEPTION 'column "%" of relation "%" does not exist', col, t; END IF;
      SELECT string_agg(i.relname, ', ') INTO bad FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       WHERE x.indrelid = t AND x.indisunique AND NOT (column_number = ANY (x.indkey::smallint[]));
      IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'cannot create constraint on "%": unique constraints must include the partition column (%)', t, bad;
      END IF;
      IF colocate_with NOT IN ('default', 'none') AND NOT EXISTS (
          SELECT 1 FROM citus_stand_in.calls WHERE kind = 'distributed' AND table_name = colocate_with::regclass) THEN
        RAISE EXCEPTION 'relation % should be a distributed table to co-locate with', colocate_with;
      END IF;
      INSERT INTO citus_stand_in.calls (kind, table_name, column_name, colocate) VALUES ('distributed', t, col, colocate_with);
    END $$;`;
