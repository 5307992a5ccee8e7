import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { Db } from './pool.js';

export interface Migration {
  /** Ordered by id within its schema: '001_init', '002_history', … */
  id: string;
  sql: string;
  /**
   * A contract step (expand/contract upgrades): it removes what only the previous release's code
   * needs (an old index, a transition trigger). While processes of that release may still run it
   * waits: `serve` and `migrate` skip it on a database migrated before, and `migrate --contract`
   * applies it once every process runs the new release. A fresh database takes it at once.
   */
  contract?: true;
  /**
   * An index built without blocking the table's writes: the migration is one `CREATE [UNIQUE]
   * INDEX CONCURRENTLY IF NOT EXISTS <name> ON …` of this index (its name, in the set's schema),
   * run outside a transaction (PostgreSQL builds concurrently only there). A build that failed or
   * was cut off leaves an invalid index of that name; the next attempt drops it and builds again.
   * A valid index of the name is taken as built only if its definition is the migration's (a build
   * finished but not recorded); any other relation of the name fails the migration.
   * A plain `CREATE INDEX` in a migration's transaction holds off every write to the table until
   * it is built: minutes on a large table.
   */
  concurrentIndex?: string;
}

export interface MigrationSet {
  /** The PostgreSQL schema the set owns, e.g. 'demographics'. */
  schema: string;
  migrations: Migration[];
}

export class MigrationError extends Error {}

// One fixed advisory-lock key for all migrations: two processes starting on one database queue up
// instead of racing to create the same tables.
const MIGRATION_LOCK_KEY = 4_242_001;

const checksum = (sql: string) => createHash('sha256').update(sql).digest('hex');

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

const INDEX_NAME = /^[a-z_][a-z0-9_]*$/;

/** Whether an index migration's text is what it must be: one concurrent, idempotent build of the index it names. */
export function isConcurrentIndexBuild(sql: string, index: string): boolean {
  return INDEX_NAME.test(index)
    && new RegExp(`^\\s*CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+CONCURRENTLY\\s+IF\\s+NOT\\s+EXISTS\\s+${index}\\s+ON\\s[^;]*;?\\s*$`, 'i').test(sql);
}

// What follows `ON` in an index build: the table (optionally ONLY, schema-qualified, quoted or not), then the rest.
const IDENTIFIER = '(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)';
const BUILD_TARGET = new RegExp(`\\sON\\s+(?:ONLY\\s+)?(${IDENTIFIER}(?:\\.${IDENTIFIER})?)([\\s\\S]*)$`, 'i');

/** An index's definition as `pg_get_indexdef` gives it, without its name and table: `UNIQUE USING btree (code) WHERE …`. */
const SHAPE = `(CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END) || substring(pg_get_indexdef(i.indexrelid) FROM 'USING .*$')`;

/** A relation already there under an index migration's name: `valid` is null when it is not an index. */
interface ExistingIndex { valid: boolean | null; table_oid: string | null; shape: string | null }

/**
 * Whether the index of that name that is already there is the one the migration builds: `IF NOT
 * EXISTS` would take any index of the name (one made by hand, on other columns, or not unique
 * where the migration's is) as built. The migration's own build is made on an empty table of the
 * same columns, in a transaction that is undone, and the two definitions compared. The table is
 * made in the migration's schema, where the migrator may create (a temporary one would need the
 * TEMP privilege on the database, which a deployment's migration role may lack); undone, no other
 * session ever sees it.
 */
async function existingIndexDiffers(client: PoolClient, schema: string, found: ExistingIndex, sql: string): Promise<string | undefined> {
  const [, table, rest] = BUILD_TARGET.exec(sql) ?? [];
  if (table === undefined || rest === undefined) return 'its table could not be read from the migration';
  const unique = /^\s*CREATE\s+UNIQUE\s/i.test(sql);
  await client.query('BEGIN');
  try {
    const target = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::oid::text AS oid', [table]);
    if (target.rows[0]?.oid !== found.table_oid) return `an index of that name is there on another table`;
    const shapeTable = `${quoted(schema)}.openspine_index_shape`;
    await client.query(`CREATE TABLE ${shapeTable} (LIKE ${table})`);
    await client.query(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX openspine_index_shape_index ON ${shapeTable} ${rest}`);
    const wanted = await client.query<{ shape: string }>(
      `SELECT ${SHAPE} AS shape FROM pg_index i WHERE i.indexrelid = to_regclass($1)`, [`${quoted(schema)}.openspine_index_shape_index`]);
    const shape = wanted.rows[0]!.shape;
    return shape === found.shape ? undefined : `an index of that name is there as "${found.shape}", where the migration builds "${shape}"`;
  } finally {
    await client.query('ROLLBACK');
  }
}

async function buildIndexConcurrently(client: PoolClient, schema: string, migration: Migration, sum: string) {
  const index = migration.concurrentIndex!;
  const failed = (why: string) => new MigrationError(`migration ${schema}/${migration.id} failed: ${why}`);
  if (!isConcurrentIndexBuild(migration.sql, index)) {
    throw failed(`an index migration is one "CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS ${index} ON …" statement`);
  }
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    // IF NOT EXISTS would take any relation of the name as built.
    const there = await client.query<ExistingIndex>(
      `SELECT i.indisvalid AS valid, i.indrelid::text AS table_oid, CASE WHEN i.indexrelid IS NOT NULL THEN ${SHAPE} END AS shape
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_index i ON i.indexrelid = c.oid
        WHERE n.nspname = $1 AND c.relname = $2`, [schema, index]);
    const found = there.rows[0];
    if (found?.valid === null) throw new Error('a relation of that name is there and is not an index; drop or rename it, and migrate again');
    if (found?.valid === false) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${quoted(schema)}.${quoted(index)}`);
    const differs = found?.valid === true ? await existingIndexDiffers(client, schema, found, migration.sql) : undefined;
    if (differs !== undefined) throw new Error(`${differs}; drop or rename it, and migrate again`);
    await client.query(migration.sql);
    // Cut off here, the next start finds the index built and valid, skips the build and records it.
    await client.query('INSERT INTO platform.migrations (schema_name, id, checksum) VALUES ($1, $2, $3)', [schema, migration.id, sum]);
  } catch (err) {
    throw failed((err as Error).message);
  }
}

/**
 * Takes the migration lock, polling for it rather than waiting in `pg_advisory_lock`: a backend
 * waiting there holds a snapshot for as long as it waits, and `CREATE INDEX CONCURRENTLY` in the
 * process that holds the lock waits for every older snapshot to go, so the two deadlocked
 * (PostgreSQL then cancelled the build: "deadlock detected"). Between polls the waiter is outside
 * any transaction, which the build does not wait for.
 */
async function takeMigrationLock(client: PoolClient) {
  for (;;) {
    const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [MIGRATION_LOCK_KEY]);
    if (rows[0]!.got) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface MigrateOptions {
  /** Apply pending contract steps too (every process runs the code that no longer needs what they remove). */
  contract?: boolean;
  /**
   * Apply only these migrations (`schema/id`), as a store that is to hold a backup needs: the
   * backup's, which may leave an upgrade's contract steps pending where a new database takes them.
   */
  only?: ReadonlySet<string>;
}

/**
 * Applies every pending migration, each in its own transaction (an index migration outside one),
 * under a session advisory lock.
 * An applied migration whose text has since changed is refused: history is never rewritten.
 * Contract steps wait for `options.contract` unless the database is new (no code can depend on
 * what they remove); a later expand migration does not wait for them.
 */
export async function migrate(db: Db, sets: MigrationSet[], options: MigrateOptions = {}): Promise<string[]> {
  const client = await db.pool.connect();
  const applied: string[] = [];
  try {
    await takeMigrationLock(client);
    await client.query(`CREATE SCHEMA IF NOT EXISTS platform;
      CREATE TABLE IF NOT EXISTS platform.migrations (
        schema_name text NOT NULL, id text NOT NULL, checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (schema_name, id))`);
    const fresh = (await client.query('SELECT 1 FROM platform.migrations LIMIT 1')).rowCount === 0;
    const contract = fresh || options.contract === true;
    for (const set of sets) {
      const done = await client.query<{ id: string; checksum: string }>(
        'SELECT id, checksum FROM platform.migrations WHERE schema_name = $1', [set.schema]);
      const known = new Map(done.rows.map((r) => [r.id, r.checksum]));
      const ordered = [...set.migrations].sort((a, b) => a.id.localeCompare(b.id));
      for (const migration of ordered) {
        const sum = checksum(migration.sql);
        const previous = known.get(migration.id);
        if (previous !== undefined) {
          if (previous !== sum) {
            throw new MigrationError(`migration ${set.schema}/${migration.id} was changed after it was applied`);
          }
          continue;
        }
        if (options.only && !options.only.has(`${set.schema}/${migration.id}`)) continue;
        if (migration.contract && !contract) continue;
        if (migration.concurrentIndex !== undefined) {
          await buildIndexConcurrently(client, set.schema, migration, sum);
          applied.push(`${set.schema}/${migration.id}`);
          continue;
        }
        await client.query('BEGIN');
        try {
          await client.query(`CREATE SCHEMA IF NOT EXISTS ${set.schema}`);
          await client.query(migration.sql);
          await client.query('INSERT INTO platform.migrations (schema_name, id, checksum) VALUES ($1, $2, $3)',
            [set.schema, migration.id, sum]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new MigrationError(`migration ${set.schema}/${migration.id} failed: ${(err as Error).message}`);
        }
        applied.push(`${set.schema}/${migration.id}`);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}
