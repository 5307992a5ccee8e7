import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase } from './support/spine.js';
import { createDb, type Db } from '../src/platform/db/pool.js';
import { migrate, type MigrationSet } from '../src/platform/db/migrate.js';

/**
 * Two processes starting at once both migrate: one takes the migration lock, the other waits for it.
 * An index built concurrently waits for every transaction whose snapshot is older than its own to
 * end; a waiter blocked inside pg_advisory_lock since before the build began holds one for as long as
 * it waits, so the two would wait for each other until PostgreSQL broke the cycle ("deadlock
 * detected"). The waiter polls instead (migrate.ts takeMigrationLock), outside any transaction
 * between polls.
 */
const TABLE = { id: '001_table', sql: 'CREATE TABLE idx_race.rows (id int PRIMARY KEY, code text NOT NULL)' };
const SETS: MigrationSet[] = [{
  schema: 'idx_race',
  migrations: [
    TABLE,
    // Holds the first process in its migrations long enough for the second to be waiting at the lock before the build.
    { id: '002_pause', sql: 'SELECT pg_sleep(1.5)' },
    { id: '003_code', concurrentIndex: 'rows_code', sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS rows_code ON idx_race.rows (code)' },
  ],
}];

describe('index migrations: two processes migrating at once', () => {
  let database: { url: string; drop(): Promise<void> };
  let first: Db;
  let second: Db;
  before(async () => {
    database = await createTestDatabase();
    first = createDb(database.url, { max: 2, connectTimeoutMs: 10_000 });
    second = createDb(database.url, { max: 2, connectTimeoutMs: 10_000 });
  });
  after(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  it('one waits for the lock from before the other\'s concurrent index build: the build finishes, once, valid', async () => {
    await migrate(first, [{ schema: 'idx_race', migrations: [TABLE] }]);
    const building = migrate(first, SETS);
    const pausing = async () => (await second.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query = 'SELECT pg_sleep(1.5)'`)).rowCount === 1;
    for (let i = 0; i < 200 && !(await pausing()); i++) await sleep(10);
    assert.ok(await pausing(), 'the first process holds the lock, in its migrations');
    const waiting = migrate(second, SETS);
    const [built, found] = await Promise.all([building, waiting]);
    assert.deepEqual(built, ['idx_race/002_pause', 'idx_race/003_code']);
    assert.deepEqual(found, [], 'the second finds them applied');
    const index = await first.query(`SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = 'idx_race.rows_code'::regclass`);
    assert.deepEqual(index.rows, [{ valid: true }]);
  });
});
