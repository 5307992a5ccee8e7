import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../support/spine.js';
import { createDb, type Db } from '../../src/platform/db/pool.js';
import { migrate, type MigrationSet } from '../../src/platform/db/migrate.js';
import { platformMigrations } from '../../src/platform/migrations.js';
import { ALL_SERVICES } from '../../src/services/registry.js';
import { listPermissions, pointerTypesFor } from '../../src/services/record-locator/store.js';

const STEPS = new Set(['record_locator/004_permissions_upper_case', 'record_locator/005_permissions_upper_case_contract']);
const all: MigrationSet[] = [...platformMigrations, ...ALL_SERVICES.flatMap((m) => m.migrations)];
const before004 = all.map((set) => ({ ...set, migrations: set.migrations.filter((m) => !STEPS.has(`${set.schema}/${m.id}`)) }));

const CRISIS_PLAN = 'http://snomed.info/sct|736253002';
const EMERGENCY_PLAN = 'http://snomed.info/sct|887701000000100';
const END_OF_LIFE = 'http://snomed.info/sct|861421000000109';

/**
 * Permissions set before ODS codes were upper-cased at the door were keyed as sent ('y05868'), and
 * callers are now keyed in upper case: such a grant was never found (403). The expand step copies
 * each to its upper-case key; the contract step removes the rows no caller reaches.
 */
describe('record locator permissions keyed in lower case (migrations 004 and 005)', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: Db;
  before(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { max: 2, connectTimeoutMs: 10_000 });
    await migrate(db, before004);
  });
  after(async () => {
    await db?.close();
    await database?.drop();
  });

  /** A row as the previous release stored it: the organisation as the operator typed it. */
  const grant = (appId: string, organisation: string, types: string[], at: string) => db.query(
    `INSERT INTO record_locator.permissions (app_id, organisation, pointer_types, updated_at) VALUES ($1, $2, $3, $4)`, [appId, organisation, types, at]);

  it('expand makes each lower-case grant reachable under its upper-case key, keeps an upper-case grant as it is, and keeps the old rows until contract', async () => {
    await grant('app-lower', 'y05868', [CRISIS_PLAN], '2026-01-01T00:00:00Z');
    await grant('app-lower', 'y05868.abc', [EMERGENCY_PLAN], '2026-01-01T00:00:00Z');
    // Both spellings: the upper-case row is the one in force, and stays so (not widened by the other's types).
    await grant('app-both', 'x26', [CRISIS_PLAN, EMERGENCY_PLAN], '2026-03-01T00:00:00Z');
    await grant('app-both', 'X26', [END_OF_LIFE], '2026-02-01T00:00:00Z');
    // Two spellings, neither upper case: the latest set wins, as a set overwrites.
    await grant('app-mixed', 'ab1', [CRISIS_PLAN], '2026-01-01T00:00:00Z');
    await grant('app-mixed', 'Ab1', [EMERGENCY_PLAN], '2026-04-01T00:00:00Z');
    // Already upper case, or not a letter to case: untouched.
    await grant('app-upper', 'RR8', [CRISIS_PLAN], '2026-01-01T00:00:00Z');
    assert.deepEqual(await pointerTypesFor(db, 'app-lower', 'Y05868'), [], 'unreachable before the migration');

    const listener = await db.pool.connect();
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.channel));
    await listener.query('LISTEN record_locator_permissions');
    try {
      assert.deepEqual(await migrate(db, all), ['record_locator/004_permissions_upper_case'], 'the contract step waits');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(notified, ['record_locator_permissions'], 'permission caches are told');
    } finally {
      await listener.query('UNLISTEN *');
      listener.release();
    }

    assert.deepEqual(await pointerTypesFor(db, 'app-lower', 'Y05868'), [CRISIS_PLAN]);
    assert.deepEqual(await pointerTypesFor(db, 'app-lower', 'Y05868.ABC'), [EMERGENCY_PLAN]);
    assert.deepEqual(await pointerTypesFor(db, 'app-both', 'X26'), [END_OF_LIFE]);
    assert.deepEqual(await pointerTypesFor(db, 'app-mixed', 'AB1'), [EMERGENCY_PLAN]);
    assert.deepEqual(await pointerTypesFor(db, 'app-upper', 'RR8'), [CRISIS_PLAN]);
    // A process of the previous release, keying its callers as sent, still finds the old rows.
    assert.deepEqual(await pointerTypesFor(db, 'app-lower', 'y05868'), [CRISIS_PLAN]);
    assert.deepEqual(await pointerTypesFor(db, 'app-both', 'x26'), [CRISIS_PLAN, EMERGENCY_PLAN]);
    // Applying again changes nothing.
    assert.deepEqual(await migrate(db, all), []);
  });

  it('contract removes the rows keyed in lower or mixed case and leaves every upper-case grant as it was', async () => {
    // Revoked on the new release between the expand and the contract: it stays revoked.
    await db.query(`DELETE FROM record_locator.permissions WHERE app_id = 'app-lower' AND organisation = 'Y05868.ABC'`);
    assert.deepEqual(await migrate(db, all, { contract: true }), ['record_locator/005_permissions_upper_case_contract']);
    assert.deepEqual((await listPermissions(db)).map((p) => [p.appId, p.organisation, p.pointerTypes]), [
      ['app-both', 'X26', [END_OF_LIFE]],
      ['app-lower', 'Y05868', [CRISIS_PLAN]],
      ['app-mixed', 'AB1', [EMERGENCY_PLAN]],
      ['app-upper', 'RR8', [CRISIS_PLAN]],
    ]);
  });
});
