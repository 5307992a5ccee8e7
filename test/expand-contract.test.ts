import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from './support/spine.js';
import { createDb, type Db } from '../src/platform/db/pool.js';
import { migrate, type MigrationSet } from '../src/platform/db/migrate.js';
import { platformMigrations } from '../src/platform/migrations.js';
import { ALL_SERVICES } from '../src/services/registry.js';
import { readPointer, deletePointers } from '../src/services/record-locator/store.js';
import { WriteBatch } from '../src/platform/db/write-batch.js';
import { historyStatement, newPrescriptionStatements, readOrderedPrescription, readPrescription } from '../src/services/prescriptions/store.js';
import { readReplay, replayStatement } from '../src/services/prescriptions/replay-store.js';
import { initialState } from '../src/services/prescriptions/domain/lifecycle.js';

/**
 * A rolling upgrade across an expand/contract change (the NRL and EPS id locators, Citus-ready):
 * the release before wrote pointers and prescriptions without a locator. The expand step fills
 * the locator and keeps it whole while processes of that release still write; the contract step
 * (which drops the indexes unique on an id alone) waits for `migrate --contract`.
 */
const PREVIOUS_RELEASE = new Set(['record_locator/002_pointer_ids', 'record_locator/003_pointer_ids_contract',
  'prescriptions/002_short_form_ids', 'prescriptions/003_short_form_ids_contract', 'consent/002_id_indexes', 'consent/003_id_indexes_contract']);
const all: MigrationSet[] = [...platformMigrations, ...ALL_SERVICES.flatMap((m) => m.migrations)];
const previous = all.map((set) => ({ ...set, migrations: set.migrations.filter((m) => !PREVIOUS_RELEASE.has(`${set.schema}/${m.id}`)) }));

const exists = async (db: Db, sql: string, values: unknown[]) => ((await db.query(sql, values)).rowCount ?? 0) > 0;
const hasIndex = (db: Db, schema: string, name: string) => exists(db, 'SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = $2', [schema, name]);

/** A pointer as the previous release wrote it: the table alone. */
const oldPointerInsert = (db: Db, nhsNumber: string, id: string) => db.query(
  `INSERT INTO record_locator.pointers (nhs_number, id, custodian, custodian_ods, type, category, resource)
   VALUES ($1, $2, 'Y05868', 'Y05868', 't', 'c', $3)`, [nhsNumber, id, { resourceType: 'DocumentReference', id }]);

describe('an expand/contract upgrade of the id locators', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: Db;
  before(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { max: 2, connectTimeoutMs: 10_000 });
    await migrate(db, previous);
  });
  after(async () => {
    await db?.close();
    await database?.drop();
  });

  it('expand fills the locators and follows the previous release\'s writes; contract waits to be asked', async () => {
    await oldPointerInsert(db, '9000000009', 'Y05868-before');
    await db.query(
      `INSERT INTO prescriptions.prescriptions (nhs_number, short_form_id, prescriber_ods, status, item_ids, order_bundle, created_at, updated_at)
       VALUES ('9000000009', 'A0548B-A99968-451485', 'A83008', 'to-be-dispensed', '{}', '{}', now(), now())`);

    const expanded = await migrate(db, all);
    assert.deepEqual(expanded.sort(), ['consent/002_id_indexes', 'prescriptions/002_short_form_ids', 'record_locator/002_pointer_ids']);
    // What the previous release stored is found by id through the locators.
    assert.equal((await readPointer(db, 'Y05868-before'))?.nhsNumber, '9000000009');
    assert.equal((await readPrescription(db, 'A0548B-A99968-451485'))?.nhsNumber, '9000000009');
    // A process of the previous release still writes and deletes pointers alone: the locator follows.
    await oldPointerInsert(db, '9000000017', 'Y05868-during');
    assert.equal((await readPointer(db, 'Y05868-during'))?.nhsNumber, '9000000017');
    await db.query(`DELETE FROM record_locator.pointers WHERE id = 'Y05868-before'`);
    assert.equal(await exists(db, 'SELECT 1 FROM record_locator.pointer_ids WHERE id = $1', ['Y05868-before']), false);
    // And its reads by id alone still have their index.
    assert.equal(await hasIndex(db, 'record_locator', 'pointers_id'), true);
    assert.deepEqual(await migrate(db, all), [], 'contract steps wait for --contract');

    const contracted = await migrate(db, all, { contract: true });
    assert.deepEqual(contracted.sort(), ['consent/003_id_indexes_contract', 'prescriptions/003_short_form_ids_contract', 'record_locator/003_pointer_ids_contract']);
    assert.equal(await hasIndex(db, 'record_locator', 'pointers_id'), false);
    assert.equal(await hasIndex(db, 'prescriptions', 'prescriptions_short_form_id'), false);
    assert.equal(await exists(db, `SELECT 1 FROM pg_trigger WHERE tgname IN ('pointer_ids_follow', 'short_form_ids_follow')`, []), false);
    // The new release's own writes keep the locator without the trigger.
    assert.deepEqual(await deletePointers(db, ['Y05868-during']), ['Y05868-during']);
    assert.equal(await exists(db, 'SELECT 1 FROM record_locator.pointer_ids', []), false);
  });

  it('a new database takes the contract steps at once: no older code can run on it', async () => {
    const fresh = await createTestDatabase();
    const freshDb = createDb(fresh.url, { max: 1, connectTimeoutMs: 10_000 });
    try {
      const applied = await migrate(freshDb, all);
      assert.ok(applied.includes('record_locator/003_pointer_ids_contract'), applied.join());
    } finally {
      await freshDb.close();
      await fresh.drop();
    }
  });
});

/**
 * EPS's documents as text (prescriptions 006/007): the previous release wrote and read the order,
 * a change's message and a first answer as jsonb only. While it still runs, what this release writes
 * must read back there, and what it wrote must read back here.
 */
describe('an expand/contract upgrade of EPS documents to text', () => {
  const TEXT_STEPS = new Set(['prescriptions/006_documents_as_text', 'prescriptions/007_documents_as_text_contract']);
  const before006 = all.map((set) => ({ ...set, migrations: set.migrations.filter((m) => !TEXT_STEPS.has(`${set.schema}/${m.id}`)) }));
  let database: { url: string; drop(): Promise<void> };
  let db: Db;
  before(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { max: 2, connectTimeoutMs: 10_000 });
    await migrate(db, before006);
  });
  after(async () => {
    await db?.close();
    await database?.drop();
  });

  /** The start of a day's retention window: every answer written here is within it. */
  const dayAgo = () => new Date(Date.now() - 86_400_000);
  const order = (id: string) => ({ resourceType: 'Bundle', id, entry: [{ resource: { resourceType: 'MedicationRequest', note: 'é\u2028"' } }] });
  /** What this release writes for a new prescription, in one batch, as the order handler does. */
  const writeNew = async (shortFormId: string, requestId: string) => {
    const now = new Date();
    const row = {
      nhsNumber: '9000000009', shortFormId, prescriberOds: 'A83008', state: initialState(['item-1']), itemIds: ['item-1'], cancelledItems: [],
      orderBundle: order(shortFormId), createdAt: now, updatedAt: now,
    };
    const writes = new WriteBatch();
    for (const statement of newPrescriptionStatements(row)) writes.add(statement, 1);
    writes.add(historyStatement(row, { event: 'dispensed', status: 'dispensed', messageText: JSON.stringify({ resourceType: 'Bundle', id: `${shortFormId}-message` }) }, now));
    writes.add(replayStatement('app-1', { key: requestId, sent: requestId }, { operation: 'prescription-order', statusCode: 200, text: '{"resourceType":"OperationOutcome","b":1,"a":2}' }, now, dayAgo()), 1);
    await writes.run(db);
  };
  /** What the previous release reads of a prescription's documents: the jsonb columns. */
  const oldReads = async (shortFormId: string, requestId: string) => ({
    order: (await db.query('SELECT order_bundle FROM prescriptions.prescriptions WHERE short_form_id = $1', [shortFormId])).rows[0]?.order_bundle,
    message: (await db.query('SELECT message FROM prescriptions.history WHERE short_form_id = $1', [shortFormId])).rows[0]?.message,
    answer: (await db.query('SELECT body FROM prescriptions.replays WHERE request_id = $1', [requestId])).rows[0]?.body,
  });

  it('each release reads what the other wrote until the contract step, which leaves the text alone', async () => {
    // Written by the previous release: jsonb only.
    await db.query(`INSERT INTO prescriptions.short_form_ids (short_form_id, nhs_number) VALUES ('A0548B-A99968-451485', '9000000009')`);
    await db.query(
      `INSERT INTO prescriptions.prescriptions (nhs_number, short_form_id, prescriber_ods, status, item_ids, order_bundle, created_at, updated_at)
       VALUES ('9000000009', 'A0548B-A99968-451485', 'A83008', 'to-be-dispensed', '{}', $1, now(), now())`, [order('old')]);
    await db.query(`INSERT INTO prescriptions.replays (app_id, request_id, operation, status_code, body) VALUES ('app-1', 'old-request', 'release', 200, '{"a": 1}')`);

    assert.deepEqual(await migrate(db, all), ['prescriptions/006_documents_as_text'], 'the contract step waits');
    assert.deepEqual((await readOrderedPrescription(db, 'A0548B-A99968-451485'))?.orderBundle, order('old'));
    assert.equal((await readReplay(db, 'app-1', { key: 'old-request', sent: 'old-request' }, dayAgo()))?.text, '{"a": 1}');

    // Written by this release while the previous one still runs: the jsonb columns are filled for it.
    await writeNew('B0548B-A99968-451485', 'new-request');
    assert.deepEqual(await oldReads('B0548B-A99968-451485', 'new-request'), {
      order: order('B0548B-A99968-451485'), message: { resourceType: 'Bundle', id: 'B0548B-A99968-451485-message' }, answer: { resourceType: 'OperationOutcome', b: 1, a: 2 },
    });
    assert.deepEqual((await readOrderedPrescription(db, 'B0548B-A99968-451485'))?.orderBundle, order('B0548B-A99968-451485'));
    // The first answer comes back as it was sent, byte for byte (jsonb would have reordered its keys).
    assert.equal((await readReplay(db, 'app-1', { key: 'new-request', sent: 'new-request' }, dayAgo()))?.text, '{"resourceType":"OperationOutcome","b":1,"a":2}');

    assert.deepEqual(await migrate(db, all, { contract: true }), ['prescriptions/007_documents_as_text_contract']);
    await writeNew('C0548B-A99968-451485', 'after-contract');
    assert.deepEqual(await oldReads('C0548B-A99968-451485', 'after-contract'), { order: null, message: null, answer: null }, 'text alone once contracted');
    assert.deepEqual((await readOrderedPrescription(db, 'C0548B-A99968-451485'))?.orderBundle, order('C0548B-A99968-451485'));
    assert.equal((await readReplay(db, 'app-1', { key: 'after-contract', sent: 'after-contract' }, dayAgo()))?.text, '{"resourceType":"OperationOutcome","b":1,"a":2}');
    assert.deepEqual((await readOrderedPrescription(db, 'A0548B-A99968-451485'))?.orderBundle, order('old'), 'rows of the previous release still read');
  });
});
