import { createTestDatabase } from '../support/spine.js';
import { createDb, type Db } from '../../src/platform/db/pool.js';
import { migrate } from '../../src/platform/db/migrate.js';
import { platformMigrations } from '../../src/platform/migrations.js';
import type { AuditEntry } from '../../src/platform/audit/entry.js';

/** A fresh database with the platform tables (audit included), for tests below the HTTP layer. */
export async function openAuditDatabase(): Promise<{ db: Db; url: string; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const db = createDb(database.url, 10);
  await migrate(db, platformMigrations);
  return {
    db,
    url: database.url,
    async close() {
      await db.close();
      await database.drop();
    },
  };
}

/**
 * Runs `work` with the append-only triggers off, as a superuser can: the only way to tamper with
 * the trail, which is exactly what the tamper-detection tests need to do.
 */
export async function asTamperingSuperuser(db: Db, work: (tx: Db['query']) => Promise<unknown>): Promise<void> {
  await db.tx(async (client) => {
    await client.query('SET LOCAL session_replication_role = replica');
    await work((text, values) => client.query(text, values as unknown[]));
  });
}

/**
 * Runs `work` while every append to the chain fails (a trigger refuses inserts into audit.events),
 * as when the trail is unavailable; the trigger is dropped afterwards, whatever `work` did.
 */
export async function whileAuditAppendsFail<T>(db: Pick<Db, 'query'>, work: () => Promise<T>): Promise<T> {
  await db.query(`CREATE OR REPLACE FUNCTION public.block_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the trail is unavailable'; END $$`);
  await db.query('CREATE TRIGGER block_audit BEFORE INSERT ON audit.events FOR EACH ROW EXECUTE FUNCTION public.block_audit()');
  try {
    return await work();
  } finally {
    await db.query('DROP TRIGGER block_audit ON audit.events');
  }
}

let counter = 0;
export function sampleEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  counter += 1;
  return {
    requestId: `req-${counter}`,
    action: 'patient.read',
    resource: 'Patient/9000000009',
    nhsNumbers: ['9000000009'],
    outcome: 'success',
    appId: 'app-1',
    appName: 'Test app',
    userId: '555021935107',
    roleProfileId: '555021936108',
    roleCode: 'R8000',
    odsCode: 'Y12345',
    clientAddress: '127.0.0.1',
    detail: { query: { family: 'Smith' } },
    ...overrides,
  };
}
