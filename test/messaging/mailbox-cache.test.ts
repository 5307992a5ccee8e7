import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createDb, type Db } from '../../src/platform/db/pool.js';
import { CallerGoneError, callers } from '../../src/platform/db/faults.js';
import { mailboxCache } from '../../src/services/messaging/auth/mailbox-cache.js';
import { MB1 } from './support/mesh-client.js';

describe('MESH mailbox cache', () => {
  let spine: TestSpine;
  let db: Db;
  before(async () => {
    spine = await startTestSpine();
    db = createDb(spine.databaseUrl, { max: 2 });
  });
  after(async () => {
    await db?.close();
    await spine?.close();
  });

  it('a look-up shared by concurrent callers does not fail them all when the first caller has gone', async () => {
    const cache = mailboxCache(db);
    // The first caller's client has left; the second, awaiting the same look-up, is still there.
    const first = callers.run({ gone: () => true }, () => cache.get(MB1));
    const second = callers.run({ gone: () => false }, () => cache.get(MB1));
    const [a, b] = await Promise.allSettled([first, second]);
    assert.equal(b.status, 'fulfilled', b.status === 'rejected' ? String(b.reason) : '');
    assert.equal(b.value?.mailboxId, MB1);
    assert.equal(a.status, 'fulfilled');
  });

  it('a gone caller\'s own database call is still refused', async () => {
    // The guard the shared look-up steps out of: work done for one caller alone stops when it leaves.
    await assert.rejects(callers.run({ gone: () => true }, () => db.query('SELECT 1')), CallerGoneError);
  });
});
