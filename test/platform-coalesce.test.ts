import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTestDatabase } from './support/spine.js';
import { createDb, type Db, type Queryable } from '../src/platform/db/pool.js';
import { createCoalescer } from '../src/platform/db/coalesce.js';
import { isDatabaseUnavailable } from '../src/platform/db/faults.js';

/** Concurrent requests' like statements sent as one, on real PostgreSQL. */
describe('createCoalescer', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: Db;
  before(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { max: 4 });
  });
  after(async () => {
    await db?.close();
    await database?.drop();
  });

  /** A coalescer dividing 1000 by each item in PostgreSQL, and what it ran. */
  function divider(options?: { maxBatch?: number; inFlight?: number }) {
    const batches: Array<{ key: string; items: number[] }> = [];
    const running = new Map<string, number>();
    let mostRunning = 0;
    const divide = createCoalescer<number, number>(async (on: Queryable, key, items) => {
      batches.push({ key, items: [...items] });
      running.set(key, (running.get(key) ?? 0) + 1);
      mostRunning = Math.max(mostRunning, running.get(key)!);
      try {
        const { rows } = await on.query<{ q: number }>(
          'SELECT (1000 / x)::int + $2::int AS q FROM unnest($1::int[]) WITH ORDINALITY AS u(x, o) ORDER BY o', [items, key.length]);
        return rows.map((r) => r.q);
      } finally {
        running.set(key, running.get(key)! - 1);
      }
    }, options);
    return { divide, batches, mostRunning: () => mostRunning };
  }

  it('answers each item its own result, whatever arrives together, and batches under load', async () => {
    let batchedAtAll = false;
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ key: fc.constantFrom('a', 'bb', 'ccc'), x: fc.integer({ min: 1, max: 1000 }) }), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3 }),
      async (items, maxBatch, inFlight) => {
        const { divide, batches, mostRunning } = divider({ maxBatch, inFlight });
        const answers = await Promise.all(items.map(({ key, x }) => divide(db, key, x)));
        assert.deepEqual(answers, items.map(({ key, x }) => Math.trunc(1000 / x) + key.length));
        for (const batch of batches) assert.ok(batch.items.length <= maxBatch);
        assert.ok(mostRunning() <= inFlight, 'at most inFlight batches at once per key');
        assert.equal(batches.reduce((n, b) => n + b.items.length, 0), items.length, 'each item ran once');
        if (batches.some((b) => b.items.length > 1)) batchedAtAll = true;
      },
    ), { numRuns: 60 });
    assert.ok(batchedAtAll, 'concurrent items shared a statement');
  });

  it('runs items alone when one of them makes the statement fail: only that item fails', async () => {
    const { divide, batches } = divider({ inFlight: 1 });
    const results = await Promise.allSettled([1, 2, 0, 4, 5].map((x) => divide(db, 'k', x)));
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    assert.equal((results[2] as PromiseRejectedResult).reason.code, '22012', 'division by zero, from PostgreSQL');
    assert.deepEqual(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value), [1001, 501, 251, 201]);
    assert.ok(batches.some((b) => b.items.length > 1 && b.items.includes(0)), 'the failing item was first sent with others');
  });

  it('fails every item of a batch, once, when the database is unreachable', async () => {
    const unreachable = createDb('postgres://nobody@127.0.0.1:1/none', { max: 1, connectTimeoutMs: 2_000 });
    try {
      const { divide, batches } = divider({ inFlight: 1 });
      const results = await Promise.allSettled([1, 2, 3, 4].map((x) => divide(unreachable, 'k', x)));
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.ok(isDatabaseUnavailable((r as PromiseRejectedResult).reason));
      }
      assert.ok(batches.length <= 2, `a fault is not retried item by item (${batches.length} statements)`);
    } finally {
      await unreachable.close();
    }
  });

  it('sends the items of one turn of the event loop together', async () => {
    const { divide, batches } = divider({ inFlight: 2, maxBatch: 50 });
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => divide(db, 'k', i + 1)));
    assert.deepEqual(answers, Array.from({ length: 30 }, (_, i) => Math.trunc(1000 / (i + 1)) + 1));
    assert.deepEqual(batches.map((b) => b.items.length), [30]);
  });
});
