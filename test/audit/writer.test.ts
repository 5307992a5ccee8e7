import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAuditWriter, AuditUnavailableError, AuditWriterClosedError } from '../../src/platform/audit/writer.js';
import { verifyAuditChain } from '../../src/platform/audit/verify.js';
import { readChainHead } from '../../src/platform/audit/store.js';
import { appendToChain, toAuditRecord } from '../../src/platform/audit/chain.js';
import { createDb, type Db } from '../../src/platform/db/pool.js';
import { fixedClock } from '../../src/platform/clock.js';
import { asTamperingSuperuser, openAuditDatabase, sampleEntry } from './support.js';

describe('platform audit writer (group commit, hash chain, append-only)', () => {
  let database: Awaited<ReturnType<typeof openAuditDatabase>>;
  let db: Db;
  before(async () => {
    database = await openAuditDatabase();
    db = database.db;
  });
  after(async () => { await database.close(); });

  it('an empty chain verifies as intact with 0 records', async () => {
    const verdict = await verifyAuditChain(db);
    assert.deepEqual(verdict, { intact: true, records: 0, head: { seq: 0, hash: '0'.repeat(64) } });
  });

  it('stores every field of an entry, with the time from the clock, once record() resolves', async () => {
    const clock = fixedClock(new Date('2026-03-04T05:06:07.089Z'));
    const writer = createAuditWriter(db, { clock });
    const entry = sampleEntry({ detail: { b: 2, a: [1, 'x'], nested: { z: null, y: 'é' } } });
    await writer.record(entry);
    const { rows } = await db.query('SELECT * FROM audit.events WHERE request_id = $1', [entry.requestId]);
    assert.equal(rows.length, 1);
    const row = rows[0];
    assert.equal(row.recorded_at.toISOString(), '2026-03-04T05:06:07.089Z');
    assert.deepEqual(
      [row.action, row.resource, row.nhs_numbers, row.outcome, row.app_id, row.app_name, row.user_id,
        row.role_profile_id, row.role_code, row.ods_code, row.client_address, row.detail],
      [entry.action, entry.resource, entry.nhsNumbers, entry.outcome, entry.appId, entry.appName, entry.userId,
        entry.roleProfileId, entry.roleCode, entry.odsCode, entry.clientAddress, entry.detail],
    );
    assert.match(row.hash, /^[0-9a-f]{64}$/);
    await writer.close();
  });

  it('concurrent records share commits and form one unbroken chain, also across two writers', async () => {
    const before = await db.query('SELECT count(*)::int AS n FROM audit.events');
    const one = createAuditWriter(db);
    const two = createAuditWriter(db);
    const entries = Array.from({ length: 600 }, (_, i) => sampleEntry({ action: 'group.commit', nhsNumbers: [], detail: { i } }));
    await Promise.all(entries.map((entry, i) => (i % 2 ? one : two).record(entry)));
    const after = await db.query('SELECT count(*)::int AS n FROM audit.events');
    assert.equal(after.rows[0].n - before.rows[0].n, 600);
    const verdict = await verifyAuditChain(db, { pageSize: 97 });
    assert.equal(verdict.intact, true);
    assert.equal(verdict.records, after.rows[0].n);
    // Group commit: rows written by one transaction share its xmin, so this counts the commits.
    const commits = await db.query(`SELECT count(DISTINCT xmin::text)::int AS n FROM audit.events WHERE action = 'group.commit'`);
    assert.ok(commits.rows[0].n <= 10, `600 entries took ${commits.rows[0].n} commits`);
    await Promise.all([one.close(), two.close()]);
  });

  it('verify while records are being appended sees an intact chain and stops at the head', async () => {
    const writer = createAuditWriter(db);
    let writing = true;
    const appending = Promise.all(Array.from({ length: 20 }, async () => {
      while (writing) await writer.record(sampleEntry({ action: 'during.verify' }));
    }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const verdict = await verifyAuditChain(db, { pageSize: 50 });
    writing = false;
    await appending;
    await writer.close();
    assert.equal(verdict.intact, true);
    const total = (await db.query('SELECT count(*)::int AS n FROM audit.events')).rows[0].n;
    assert.ok(verdict.records > 0 && verdict.records <= total);
    assert.equal((await verifyAuditChain(db)).records, total);
  });

  it('strings PostgreSQL cannot store (NUL, lone surrogates) are replaced, and the chain still verifies', async () => {
    const writer = createAuditWriter(db);
    await writer.record(sampleEntry({ requestId: 'nul\u0000id', detail: { 'k\u0000': 'a\uD800b', n: 1e21, f: 0.1 } }));
    const { rows } = await db.query(`SELECT request_id, detail FROM audit.events WHERE request_id = 'nul\uFFFDid'`);
    assert.deepEqual(rows[0].detail, { 'k\uFFFD': 'a\uFFFDb', n: 1e21, f: 0.1 });
    assert.equal((await verifyAuditChain(db)).intact, true);
    await writer.close();
  });

  it('an entry that cannot be serialised rejects only its own caller', async () => {
    const writer = createAuditWriter(db);
    const good = writer.record(sampleEntry());
    await assert.rejects(writer.record(sampleEntry({ detail: { big: 1n } })), TypeError);
    await assert.rejects(writer.record(sampleEntry({ outcome: 'maybe' as never })), /outcome/);
    await good;
    await writer.close();
  });

  it('when the database fails, every pending record() rejects; after close() record() rejects', async () => {
    const broken = createDb(database.url.replace(/\/[^/]+$/, '/no_such_database'), 2);
    const writer = createAuditWriter(broken);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => writer.record(sampleEntry())));
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    for (const r of results) {
      // A SpineError, so the client gets a 503 OperationOutcome rather than a 500.
      assert.ok(r.status === 'rejected' && r.reason instanceof AuditUnavailableError);
      assert.equal(r.status === 'rejected' && r.reason.spec.status, 503);
      assert.equal(r.status === 'rejected' && r.reason.diagnostics, 'The audit trail could not be written: the request was not completed');
      assert.match(r.status === 'rejected' ? String(r.reason.cause) : '', /no_such_database/);
    }
    await writer.close();
    await assert.rejects(writer.record(sampleEntry()), AuditWriterClosedError);
    await broken.close();
  });

  it('the database rejects UPDATE, DELETE and TRUNCATE on the trail, and moving the head back', async () => {
    await assert.rejects(db.query(`UPDATE audit.events SET action = 'x' WHERE seq = 1`), /append-only: UPDATE/);
    await assert.rejects(db.query('DELETE FROM audit.events WHERE seq = 1'), /append-only: DELETE/);
    await assert.rejects(db.query('TRUNCATE audit.events'), /append-only: TRUNCATE/);
    await assert.rejects(db.query('DELETE FROM audit.chain_head'), /append-only: DELETE/);
    await assert.rejects(db.query('UPDATE audit.chain_head SET seq = seq - 1'), /only move forward/);
    await assert.rejects(db.query(`UPDATE audit.chain_head SET seq = seq + 1, hash = 'forged'`), /must point at an existing record/);
    assert.equal((await verifyAuditChain(db)).intact, true);
  });

  it('tampering with a record, or deleting one, is found and the first broken seq is named', async () => {
    const writer = createAuditWriter(db);
    for (let i = 0; i < 20; i++) await writer.record(sampleEntry());
    await writer.close();
    const head = (await db.query('SELECT seq FROM audit.chain_head')).rows[0].seq as number;
    const target = head - 10;
    const targetRequestId = (await db.query('SELECT request_id FROM audit.events WHERE seq = $1', [target])).rows[0].request_id;

    await asTamperingSuperuser(db, (q) => q(`UPDATE audit.events SET nhs_numbers = '{9449305552}' WHERE seq = $1`, [target]));
    let verdict = await verifyAuditChain(db, { pageSize: 7 });
    assert.equal(verdict.intact, false);
    assert.deepEqual(!verdict.intact && verdict.broken, {
      seq: target, requestId: targetRequestId, problem: 'content does not match its hash (altered after it was written)',
    });

    await asTamperingSuperuser(db, (q) => q('DELETE FROM audit.events WHERE seq = $1', [target]));
    verdict = await verifyAuditChain(db, { pageSize: 7 });
    assert.deepEqual(!verdict.intact && verdict.broken,
      { seq: target, problem: `record seq ${target} is missing (the next record is seq ${target + 1})` });
    assert.equal(verdict.records, target - 1);
  });

  it('a record forged past the chain head is found, and the writer then refuses to write rather than fork the chain', async () => {
    const fresh = await openAuditDatabase();
    try {
      const writer = createAuditWriter(fresh.db);
      for (let i = 0; i < 3; i++) await writer.record(sampleEntry());
      // A forger who knows the hashing: the record links correctly, only the head does not know it.
      const head = await readChainHead(fresh.db);
      const [forged] = appendToChain(head, [toAuditRecord(sampleEntry({ requestId: 'forged' }), new Date())]);
      await asTamperingSuperuser(fresh.db, (q) => q(`INSERT INTO audit.events (seq, recorded_at, request_id, action, resource,
          nhs_numbers, outcome, app_id, app_name, user_id, role_profile_id, role_code, ods_code, client_address, detail, prev_hash, hash)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [forged!.seq, forged!.recordedAt, forged!.requestId, forged!.action, forged!.resource, forged!.nhsNumbers, forged!.outcome,
        forged!.appId, forged!.appName, forged!.userId, forged!.roleProfileId, forged!.roleCode, forged!.odsCode,
        forged!.clientAddress, forged!.detail, forged!.prevHash, forged!.hash]));
      const verdict = await verifyAuditChain(fresh.db);
      assert.deepEqual(!verdict.intact && verdict.broken,
        { seq: 4, problem: 'records after seq 3 are beyond the chain head (not written by the audit writer)' });
      await assert.rejects(writer.record(sampleEntry()), AuditUnavailableError);
      await writer.close();
    } finally {
      await fresh.close();
    }
  });

  it('deleting the newest record is found through the chain head', async () => {
    const fresh = await openAuditDatabase();
    try {
      const writer = createAuditWriter(fresh.db);
      for (let i = 0; i < 3; i++) await writer.record(sampleEntry());
      await writer.close();
      await asTamperingSuperuser(fresh.db, (q) => q('DELETE FROM audit.events WHERE seq = 3'));
      const verdict = await verifyAuditChain(fresh.db);
      assert.deepEqual(!verdict.intact && verdict.broken,
        { seq: 3, problem: 'records seq 3 to 3 are missing (the chain head is at seq 3)' });
    } finally {
      await fresh.close();
    }
  });
});
