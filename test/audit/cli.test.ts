import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAuditWriter } from '../../src/platform/audit/writer.js';
import { insertPendingAudit } from '../../src/platform/audit/store.js';
import { fixedClock } from '../../src/platform/clock.js';
import { asTamperingSuperuser, openAuditDatabase, sampleEntry } from './support.js';
import { openspine } from '../support/cli.js';

describe('openspine audit (CLI)', () => {
  let database: Awaited<ReturnType<typeof openAuditDatabase>>;
  before(async () => {
    database = await openAuditDatabase();
    const writer = createAuditWriter(database.db);
    await Promise.all(Array.from({ length: 25 }, (_, i) => writer.record(sampleEntry({ requestId: `cli-req-${i}`, nhsNumbers: [i % 2 ? '9000000009' : '9449305552'] }))));
    await writer.close();
  });
  after(async () => { await database.close(); });

  it('verify on an intact chain prints the record count and the head, and exits 0', async () => {
    const { code, stdout } = await openspine(database.url, 'audit', 'verify', '--page-size', '4');
    assert.equal(code, 0);
    const lines = stdout.trim().split('\n');
    assert.equal(lines[0], 'audit chain intact: 25 records');
    assert.match(lines[1]!, /^chain head: seq 25 sha256 [0-9a-f]{64}$/);
    assert.equal(lines.length, 2, 'nothing pending, nothing more said');
  });

  it('verify says how many entries are committed but not yet chained, and since when (the chain does not cover them)', async () => {
    const writer = createAuditWriter(database.db, fixedClock(new Date('2026-06-01T10:00:00.000Z')));
    await database.db.tx(async (tx) => {
      await insertPendingAudit(tx, [writer.pending(sampleEntry({ requestId: 'cli-pending-1' })), writer.pending(sampleEntry({ requestId: 'cli-pending-2' }))]);
    });
    try {
      const { code, stdout } = await openspine(database.url, 'audit', 'verify');
      assert.equal(code, 0);
      const lines = stdout.trim().split('\n');
      assert.equal(lines[0], 'audit chain intact: 25 records');
      assert.equal(lines[2], 'not yet chained: 2 entries committed with their writes, the oldest recorded at 2026-06-01T10:00:00.000Z');
    } finally {
      await database.db.query(`DELETE FROM audit.pending`);
    }
  });

  it('search --patient prints that patient\'s entries newest first, and is itself audited', async () => {
    const { code, stdout } = await openspine(database.url, 'audit', 'search', '--patient', '9000000009', '--limit', '3');
    assert.equal(code, 0, stdout);
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.equal(lines[3], '3 of 12 matching entries');
    assert.match(lines[0]!, /^#\d+ {2}\S+ {2}patient\.read {2}success {2}user 555021935107 \(R8000, profile 555021936108\)/);
    assert.match(lines[0]!, /patients 9000000009/);
    const { rows } = await database.db.query(`SELECT nhs_numbers, app_id FROM audit.events WHERE action = 'audit.search'`);
    assert.deepEqual(rows, [{ nhs_numbers: ['9000000009'], app_id: 'openspine-cli' }]);
    const bad = await openspine(database.url, 'audit', 'search', '--patient', '1234567890');
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim(), "openspine: Invalid value - '1234567890' in field 'patient'");
  });

  it('search --json prints one stored record per line, with its chain links', async () => {
    const { code, stdout, stderr } = await openspine(database.url, 'audit', 'search', '--agent', '555021935107', '--limit', '2', '--json');
    assert.equal(code, 0, stderr);
    const records = stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(records.length, 2);
    assert.ok(records[0].seq > records[1].seq);
    for (const r of records) {
      assert.equal(r.userId, '555021935107');
      assert.match(r.hash, /^[0-9a-f]{64}$/);
    }
    assert.match(stderr, /^2 of \d+ matching entries\n$/);
  });

  it('verify on a tampered chain names the first broken record and exits 1', async () => {
    // Tampering needs the append-only triggers off, which only a superuser can do.
    await asTamperingSuperuser(database.db, (q) => q(`UPDATE audit.events SET outcome = 'failure' WHERE seq = 7`));
    const requestId = (await database.db.query('SELECT request_id FROM audit.events WHERE seq = 7')).rows[0].request_id;
    const { code, stdout, stderr } = await openspine(database.url, 'audit', 'verify');
    assert.equal(code, 1, `${stdout}|${stderr}`);
    assert.equal(stdout, `audit chain BROKEN at seq 7 (request id ${requestId}): content does not match its hash (altered after it was written)\n6 records before it verified\n`);
  });
});
