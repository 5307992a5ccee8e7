import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTestDatabase } from './support/spine.js';
import { createDb, type Db } from '../src/platform/db/pool.js';
import { WriteBatch, WriteConflict } from '../src/platform/db/write-batch.js';
import { migrate } from '../src/platform/db/migrate.js';
import { platformMigrations } from '../src/platform/migrations.js';

/** Writes sent together as one statement of data-modifying CTEs, on real PostgreSQL. */
describe('WriteBatch', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: Db;
  before(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { max: 2 });
    // platform.expect_writes, which guarded batches call.
    await migrate(db, platformMigrations);
    await db.query('CREATE TABLE t (batch int NOT NULL, k int NOT NULL, a text, b jsonb, c int, PRIMARY KEY (batch, k))');
  });
  after(async () => {
    await db?.close();
    await database?.drop();
  });

  it('each write lands with its own values, whatever the number and order of placeholders', async () => {
    let batchNo = 0;
    // A statement: its key, then any of its columns, each value a placeholder written in any order.
    const write = fc.record({
      a: fc.option(fc.string({ maxLength: 20 }).filter((s) => !s.includes('\u0000')), { nil: undefined }),
      b: fc.option(fc.dictionary(fc.string({ maxLength: 5 }).filter((s) => !s.includes('\u0000')), fc.integer()).map((d) => ({ ...d })), { nil: undefined }),
      c: fc.option(fc.integer(), { nil: undefined }),
      reversed: fc.boolean(),
    });
    await fc.assert(fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 12 }), async (writes) => {
      batchNo += 1;
      const batch = new WriteBatch();
      writes.forEach((w, k) => {
        const columns = (['a', 'b', 'c'] as const).filter((c) => w[c] !== undefined);
        const values: unknown[] = [batchNo, k, ...columns.map((c) => w[c])];
        const placeholders = values.map((_, i) => `$${i + 1}`);
        const names = ['batch', 'k', ...columns];
        // Placeholders need not appear in order: `$3` may come before `$1` in the text.
        const order = w.reversed ? [...names.keys()].reverse() : [...names.keys()];
        batch.add({ text: `INSERT INTO t (${order.map((i) => names[i]).join(', ')}) VALUES (${order.map((i) => placeholders[i]).join(', ')})`, values });
      });
      assert.deepEqual(await batch.run(db), writes.map(() => 1));
      const { rows } = await db.query('SELECT k, a, b, c FROM t WHERE batch = $1 ORDER BY k', [batchNo]);
      assert.deepEqual(rows, writes.map((w, k) => ({ k, a: w.a ?? null, b: w.b ?? null, c: w.c ?? null })));
    }), { numRuns: 40 });
  });

  it('says how many rows each wrote: an insert that conflicts wrote none', async () => {
    await db.query('INSERT INTO t (batch, k) VALUES (-1, 1)');
    const batch = new WriteBatch();
    const fresh = batch.add({ text: 'INSERT INTO t (batch, k) VALUES ($1, $2) ON CONFLICT DO NOTHING', values: [-1, 2] });
    const taken = batch.add({ text: 'INSERT INTO t (batch, k) VALUES ($1, $2) ON CONFLICT DO NOTHING', values: [-1, 1] });
    const updated = batch.add({ text: 'UPDATE t SET c = $2 WHERE batch = $1', values: [-2, 7] });
    const counts = await batch.run(db);
    assert.deepEqual([counts[fresh], counts[taken], counts[updated]], [1, 0, 0]);
  });

  it('is all or nothing: a failing write undoes the others', async () => {
    const batch = new WriteBatch();
    batch.add({ text: 'INSERT INTO t (batch, k) VALUES ($1, $2)', values: [-3, 1] });
    batch.add({ text: 'INSERT INTO t (batch, k) VALUES ($1, $2)', values: [-3, null] });
    await assert.rejects(batch.run(db), /null value/);
    assert.equal((await db.query('SELECT 1 FROM t WHERE batch = -3')).rowCount, 0);
  });

  it('guards: unless every guarded write wrote its expected rows, nothing is written and it throws WriteConflict', async () => {
    await db.query('INSERT INTO t (batch, k, c) VALUES (-5, 1, 0)');
    const version = async () => (await db.query<{ v: string }>('SELECT xmin::text AS v FROM t WHERE batch = -5 AND k = 1')).rows[0]!.v;
    // The row as read: an update guarded on its version, and an insert that goes with it.
    const guarded = (read: string, k: number) => {
      const batch = new WriteBatch();
      batch.add({ text: 'UPDATE t SET c = c + 1 WHERE batch = $1 AND k = 1 AND xmin = $2::xid', values: [-5, read] }, 1);
      batch.add({ text: 'INSERT INTO t (batch, k) VALUES ($1, $2)', values: [-5, k] });
      return batch;
    };
    const read = await version();
    assert.deepEqual(await guarded(read, 2).run(db), [1, 1]);
    // Decided from the same version, now changed: undone as a whole.
    await assert.rejects(guarded(read, 3).run(db), WriteConflict);
    assert.deepEqual((await db.query('SELECT k, c FROM t WHERE batch = -5 ORDER BY k')).rows, [{ k: 1, c: 1 }, { k: 2, c: null }]);
    // A guarded insert that conflicts undoes the unguarded writes beside it, in a transaction too.
    const taken = new WriteBatch();
    taken.add({ text: 'INSERT INTO t (batch, k) VALUES ($1, $2)', values: [-5, 4] });
    taken.add({ text: 'INSERT INTO t (batch, k) VALUES ($1, $2) ON CONFLICT DO NOTHING', values: [-5, 2] }, 1);
    await assert.rejects(db.tx((tx) => taken.run(tx)), WriteConflict);
    assert.equal((await db.query('SELECT 1 FROM t WHERE batch = -5 AND k = 4')).rowCount, 0);
    // Guards that hold: as an unguarded batch.
    assert.deepEqual(await guarded(await version(), 5).run(db), [1, 1]);
  });

  it('of two changes decided from one version, exactly one lands, whatever their timing', async () => {
    await db.query('INSERT INTO t (batch, k, c) VALUES (-6, 1, 0)');
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 3 }), async (delayMs) => {
      const { v: read, c: before } = (await db.query<{ v: string; c: number }>('SELECT xmin::text AS v, c FROM t WHERE batch = -6 AND k = 1')).rows[0]!;
      const change = () => {
        const batch = new WriteBatch();
        batch.add({ text: 'UPDATE t SET c = $3 WHERE batch = $1 AND k = 1 AND xmin = $2::xid', values: [-6, read, before + 1] }, 1);
        return batch.run(db);
      };
      const outcomes = await Promise.allSettled([change(), new Promise((r) => setTimeout(r, delayMs)).then(change)]);
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      assert.ok(outcomes.every((o) => o.status === 'fulfilled' || o.reason instanceof WriteConflict));
      assert.equal((await db.query('SELECT c FROM t WHERE batch = -6 AND k = 1')).rows[0].c, before + 1);
    }), { numRuns: 20 });
  });

  it('a long batch is sent unnamed, and an empty one sends nothing', async () => {
    const batch = new WriteBatch();
    for (let k = 0; k < 30; k += 1) batch.add({ text: 'INSERT INTO t (batch, k) VALUES ($1, $2)', values: [-4, k] });
    assert.equal((await batch.run(db)).length, 30);
    assert.equal((await db.query('SELECT 1 FROM t WHERE batch = -4')).rowCount, 30);
    assert.deepEqual(await new WriteBatch().run(db), []);
  });
});
