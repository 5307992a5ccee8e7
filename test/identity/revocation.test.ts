import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { callers } from '../../src/platform/db/faults.js';
import { revocationCheck } from '../../src/services/identity/revocation.js';
import { insertApplication, updateApplicationDisabled } from '../../src/services/identity/store/applications.js';
import type { Principal } from '../../src/platform/auth/activities.js';

describe('identity revocation list', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine?.close(); });

  it('is loaded as no caller\'s: a first request whose client has gone does not leave it empty for the rest', async () => {
    const apiKey = randomUUID().replace(/-/g, '');
    const app = (await insertApplication(spine.ctx.db, {
      appId: randomUUID(), apiKey, name: 'Revoked application', odsCode: 'A83008', jwks: { keys: [] }, activities: ['patient:read'], rateLimit: 100,
    }))!;
    await updateApplicationDisabled(spine.ctx.db, apiKey, true, new Date());
    const principal: Principal = { appId: app.appId, apiKey, appName: app.name, odsCode: 'A83008', accessMode: 'application', activities: ['patient:read'], rateLimit: 100 };
    const isRevoked = revocationCheck(spine.ctx);
    // The first check loads the list; its caller's client has left. Both callers await that one load.
    const [gone, present] = await Promise.allSettled([
      callers.run({ gone: () => true }, () => isRevoked(principal)),
      callers.run({ gone: () => false }, () => isRevoked(principal)),
    ]);
    assert.deepEqual(present, { status: 'fulfilled', value: true });
    assert.deepEqual(gone, { status: 'fulfilled', value: true });
  });
});
