import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAuditWriter, AuditUnavailableError } from '../../src/platform/audit/writer.js';
import { verifyAuditChain } from '../../src/platform/audit/verify.js';
import { insertPendingAudit } from '../../src/platform/audit/store.js';
import { fixedClock } from '../../src/platform/clock.js';
import type { Db } from '../../src/platform/db/pool.js';
import { openAuditDatabase, sampleEntry, whileAuditAppendsFail } from './support.js';

/**
 * Entries a write records in its own transaction (audit.pending): they commit or roll back with the
 * write, and the writer moves them into the one hash chain afterwards.
 */
describe('platform audit: entries written with their writes (pending, then chained)', () => {
  let database: Awaited<ReturnType<typeof openAuditDatabase>>;
  let db: Db;
  before(async () => {
    database = await openAuditDatabase();
    db = database.db;
  });
  after(async () => { await database.close(); });

  const pendingCount = async () => (await db.query('SELECT count(*)::int AS n FROM audit.pending')).rows[0].n as number;
  const chained = async (requestIds: string[]) =>
    (await db.query('SELECT request_id, recorded_at, action, detail FROM audit.events WHERE request_id = ANY($1) ORDER BY seq', [requestIds])).rows;

  it('a committed entry is chained by chainPending with the time it was made; a rolled-back one never is', async () => {
    const writer = createAuditWriter(db, { clock: fixedClock(new Date('2026-05-06T07:08:09.123Z')) });
    const kept = sampleEntry({ action: 'pending.kept', detail: { z: 1, a: { c: [1, '2'], b: null } } });
    const dropped = sampleEntry({ action: 'pending.dropped' });
    await db.tx(async (tx) => { await insertPendingAudit(tx, [writer.pending(kept)]); });
    await assert.rejects(db.tx(async (tx) => {
      await insertPendingAudit(tx, [writer.pending(dropped)]);
      throw new Error('the write failed');
    }), /the write failed/);
    assert.deepEqual(await chained([kept.requestId, dropped.requestId]), [], 'nothing is chained before chainPending');
    assert.equal(await pendingCount(), 1);
    await writer.chainPending();
    const rows = await chained([kept.requestId, dropped.requestId]);
    assert.deepEqual(rows.map((r) => [r.request_id, r.recorded_at.toISOString(), r.action, r.detail]),
      [[kept.requestId, '2026-05-06T07:08:09.123Z', 'pending.kept', kept.detail]]);
    assert.equal(await pendingCount(), 0);
    assert.equal((await verifyAuditChain(db)).intact, true);
    await writer.close();
  });

  it('two writers chaining pending entries while others group-commit make one unbroken chain, each entry once', async () => {
    const one = createAuditWriter(db);
    const two = createAuditWriter(db);
    const staged = Array.from({ length: 300 }, (_, i) => sampleEntry({ action: 'pending.staged', detail: { i } }));
    const direct = Array.from({ length: 300 }, (_, i) => sampleEntry({ action: 'pending.direct', detail: { i } }));
    await Promise.all([
      ...staged.map(async (entry, i) => {
        const writer = i % 2 ? one : two;
        await db.tx(async (tx) => { await insertPendingAudit(tx, [writer.pending(entry)]); });
        await writer.chainPending();
      }),
      ...direct.map((entry, i) => (i % 2 ? two : one).record(entry)),
    ]);
    const ids = [...staged, ...direct].map((e) => e.requestId);
    const rows = await chained(ids);
    assert.equal(rows.length, 600);
    assert.equal(new Set(rows.map((r) => r.request_id)).size, 600);
    assert.equal(await pendingCount(), 0);
    const verdict = await verifyAuditChain(db, { pageSize: 89 });
    assert.equal(verdict.intact, true);
    await Promise.all([one.close(), two.close()]);
  });

  it('when the chain cannot be appended, chainPending fails (503) and the entries stay pending until it can', async () => {
    const writer = createAuditWriter(db);
    const entry = sampleEntry({ action: 'pending.blocked' });
    await db.tx(async (tx) => { await insertPendingAudit(tx, [writer.pending(entry)]); });
    await whileAuditAppendsFail(db, async () => {
      await assert.rejects(writer.chainPending(), AuditUnavailableError);
      assert.equal(await pendingCount(), 1);
      assert.deepEqual(await chained([entry.requestId]), []);
    });
    await writer.chainPending();
    assert.equal((await chained([entry.requestId])).length, 1);
    assert.equal(await pendingCount(), 0);
    assert.equal((await verifyAuditChain(db)).intact, true);
    await writer.close();
  });

  it('chainSoon chains shortly after, in one pass for many; close() chains what is still pending', async () => {
    const writer = createAuditWriter(db, { chainDelayMs: 500 });
    const soon = Array.from({ length: 20 }, () => sampleEntry({ action: 'pending.soon' }));
    for (const entry of soon) await db.tx(async (tx) => { await insertPendingAudit(tx, [writer.pending(entry)]); });
    // As the requests of those writes would nudge it, all within the delay: one pass takes them all.
    for (let i = 0; i < soon.length; i++) writer.chainSoon();
    assert.equal(await pendingCount(), 20, 'nothing is chained at once');
    for (let waited = 0; (await pendingCount()) > 0 && waited < 5_000; waited += 25) await new Promise((r) => setTimeout(r, 25));
    const rows = await db.query('SELECT count(DISTINCT xmin::text)::int AS commits, count(*)::int AS n FROM audit.events WHERE request_id = ANY($1)', [soon.map((e) => e.requestId)]);
    assert.equal(rows.rows[0].n, 20);
    assert.equal(rows.rows[0].commits, 1, `20 entries nudged together took ${rows.rows[0].commits} commits`);

    const last = sampleEntry({ action: 'pending.at-close' });
    await db.tx(async (tx) => { await insertPendingAudit(tx, [writer.pending(last)]); });
    await writer.close();
    assert.equal((await chained([last.requestId])).length, 1);
    assert.equal((await verifyAuditChain(db)).intact, true);
  });

  it('the periodic sweep costs one read when nothing is pending, chains what is, and logs a failure once without throwing', async () => {
    // The writer's own connection, its statements counted.
    let statements: string[] = [];
    const counted: Db = {
      ...db,
      openPool(overrides) {
        const pool = db.openPool(overrides);
        pool.on('connect', (client) => {
          const query = client.query.bind(client) as (...args: unknown[]) => unknown;
          (client as { query: unknown }).query = (...args: unknown[]) => {
            const first = args[0] as string | { text: string };
            statements.push(typeof first === 'string' ? first : first.text);
            return query(...args);
          };
        });
        return pool;
      },
    };
    const warnings: string[] = [];
    const writer = createAuditWriter(counted, { log: { warn: (_obj, msg) => warnings.push(msg) } });
    await writer.chainPending();
    statements = [];
    await writer.sweepPending();
    assert.equal(statements.length, 1, `an idle sweep sent ${JSON.stringify(statements)}`);

    const left = sampleEntry({ action: 'pending.left-behind' });
    await db.tx(async (tx) => { await insertPendingAudit(tx, [writer.pending(left)]); });
    await writer.sweepPending();
    assert.equal((await chained([left.requestId])).length, 1, 'the sweep chained the entry left pending');
    assert.equal(await pendingCount(), 0);

    const blocked = sampleEntry({ action: 'pending.sweep-blocked' });
    await db.tx(async (tx) => { await insertPendingAudit(tx, [writer.pending(blocked)]); });
    await whileAuditAppendsFail(db, async () => {
      await writer.sweepPending();
      assert.equal(warnings.length, 1, `a failed sweep logged ${JSON.stringify(warnings)}`);
      assert.equal(await pendingCount(), 1, 'the entry stays pending');
    });
    await writer.sweepPending();
    assert.equal((await chained([blocked.requestId])).length, 1);
    assert.equal((await verifyAuditChain(db)).intact, true);
    await writer.close();
  });
});
