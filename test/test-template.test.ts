import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startOwnPostgres, type OwnPostgres } from './support/spine.js';
import { forgetTemplate, migratedTemplate, migrationSetHash, withDatabase } from './support/migrated-template.js';
import { ALL_SERVICES } from '../src/services/registry.js';
import { platformMigrations } from '../src/platform/migrations.js';

/**
 * The migrated template test databases are copied from (support/migrated-template.ts), on a
 * PostgreSQL of this test's own: its paths drop and build templates, which on the runner's shared
 * server would pull one from under the other test files copying it.
 */
async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

const templates = async (admin: string) => (await sql<{ datname: string }>(admin,
  `SELECT datname FROM pg_database WHERE datname LIKE 'openspine\\_tpl%' ORDER BY 1`)).map((r) => r.datname);
const every = [...platformMigrations, ...ALL_SERVICES.flatMap((s) => s.migrations)].flatMap((set) => set.migrations.map((m) => `${set.schema}/${m.id}`)).sort();

describe('the migrated template', () => {
  let own: OwnPostgres;
  let admin: string;
  before(async () => {
    own = await startOwnPostgres();
    admin = own.server.connectionString;
  });
  after(async () => { await own?.close(); });

  it('is built once by callers racing for it, in place of another migration set\'s template and a build cut off half-way; a copy has every migration', async () => {
    await sql(admin, 'CREATE DATABASE openspine_tpl_0123456789abcdef01234567');
    await sql(admin, 'CREATE DATABASE openspine_tplbuild_cutoff');
    // Two processes' calls, each its own entry (the same server by another URL): one builds under the lock, the other waits and copies it.
    const [a, b] = await Promise.all([migratedTemplate(admin), migratedTemplate(`${admin}${admin.includes('?') ? '&' : '?'}application_name=second`)]);
    const name = `openspine_tpl_${migrationSetHash()}`;
    assert.deepEqual([a, b], [name, name]);
    assert.deepEqual(await templates(admin), [name], 'the stale template and the cut-off build are gone');
    await sql(admin, `CREATE DATABASE template_copy TEMPLATE ${name}`);
    const applied = await sql<{ m: string }>(withDatabase(admin, 'template_copy'), `SELECT schema_name || '/' || id AS m FROM platform.migrations ORDER BY 1`);
    assert.deepEqual(applied.map((r) => r.m), every);
  });

  it('dropped by another run, it is built again once forgotten', async () => {
    const name = await migratedTemplate(admin);
    await sql(admin, `DROP DATABASE ${name}`);
    assert.equal(await migratedTemplate(admin), name, 'remembered: not looked for again');
    assert.deepEqual(await templates(admin), []);
    forgetTemplate(admin);
    assert.equal(await migratedTemplate(admin), name);
    assert.deepEqual(await templates(admin), [name]);
  });
});
