import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { createDb } from '../../src/platform/db/pool.js';
import { platformMigrations } from '../../src/platform/migrations.js';
import { migrateAll } from '../../src/platform/runtime.js';
import { ALL_SERVICES } from '../../src/services/registry.js';

// A test Spine's database is copied from a template every service's migrations were applied to
// once per test server, where each start ran all of them again (a quarter of a start's CPU, most of
// it PostgreSQL's). The Spine's own migration step still runs on the copy and finds every migration
// applied with its checksum.

/** The advisory lock (in the admin database) one builder holds: other processes wait, then copy its template. */
const TEMPLATE_LOCK_KEY = 4_242_017;
const TEMPLATE_PREFIX = 'openspine_tpl_';
const BUILDING_PREFIX = 'openspine_tplbuild_';

/**
 * What a fresh migration produces: every migration (schema, id, text, contract and index marks) and
 * the migrator itself, whose behaviour shapes the result too. A change to either names another
 * template, so a stale one is never copied.
 */
export function migrationSetHash(): string {
  const sets = [...platformMigrations, ...ALL_SERVICES.flatMap((m) => m.migrations)];
  const hash = createHash('sha256').update(JSON.stringify(sets.map((set) => ({
    schema: set.schema,
    migrations: set.migrations.map((m) => [m.id, m.sql, m.contract ?? false, m.concurrentIndex ?? null]),
  }))));
  hash.update(readFileSync(new URL('../../src/platform/db/migrate.ts', import.meta.url)));
  return hash.digest('hex').slice(0, 24);
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

const databaseExists = async (client: pg.Client, name: string) =>
  (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;

/** Polls rather than waits in pg_advisory_lock: a waiting backend would hold a snapshot for as long as it waits. */
async function takeLock(client: pg.Client) {
  for (;;) {
    const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [TEMPLATE_LOCK_KEY]);
    if (rows[0]!.got) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Builds the template under a fresh name and renames it into place once migrated: the template's
 * name exists only once it is complete (a builder killed half-way leaves a `…build…` database,
 * which the next builder drops). Templates of other migration sets are dropped too; one another
 * run is copying at that moment stays (the drop fails, and is left for a later build).
 */
async function buildTemplate(client: pg.Client, admin: string, name: string) {
  const others = await client.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE (starts_with(datname, $1) OR starts_with(datname, $2)) AND datname <> $3`,
    [TEMPLATE_PREFIX, BUILDING_PREFIX, name]);
  for (const { datname } of others.rows) {
    await client.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => undefined);
  }
  const building = `${BUILDING_PREFIX}${randomBytes(6).toString('hex')}`;
  await client.query(`CREATE DATABASE ${building}`);
  try {
    const db = createDb(withDatabase(admin, building), { max: 1 });
    await migrateAll(db, [...ALL_SERVICES]).finally(() => db.close());
    await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
  } catch (err) {
    await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`).catch(() => undefined);
    throw err;
  }
}

const templates = new Map<string, Promise<string>>();

/** The name of the migrated template on the server at `admin`, built by the first process that needs it. */
export function migratedTemplate(admin: string): Promise<string> {
  let template = templates.get(admin);
  if (!template) {
    template = (async () => {
      const name = `${TEMPLATE_PREFIX}${migrationSetHash()}`;
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        if (await databaseExists(client, name)) return name;
        await takeLock(client);
        try {
          if (!(await databaseExists(client, name))) await buildTemplate(client, admin, name);
          return name;
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
        }
      } finally {
        await client.end();
      }
    })();
    templates.set(admin, template);
    // A failed build is tried again by the next caller rather than remembered.
    template.catch(() => templates.delete(admin));
  }
  return template;
}

/** Forgets the template of `admin` (another run dropped it): the next call looks again, and builds it if need be. */
export function forgetTemplate(admin: string) {
  templates.delete(admin);
}
