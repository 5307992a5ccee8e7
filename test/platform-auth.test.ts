import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { createAppAndToken } from './support/identity.js';

describe('platform guard: refused attempts are audited', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  async function auditRowsFor(requestId: string) {
    const { rows } = await spine.ctx.db.query(
      `SELECT action, outcome, resource, app_id, client_address, detail FROM audit.events WHERE request_id = $1`, [requestId]);
    return rows;
  }

  it('a call without a token gets 401 ACCESS_DENIED and leaves an access.denied record', async () => {
    const requestId = randomUUID();
    const res = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, { headers: { 'X-Request-ID': requestId } });
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.equal(body.issue[0].details.coding[0].code, 'ACCESS_DENIED');
    const rows = await auditRowsFor(requestId);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].action, 'access.denied');
    assert.equal(rows[0].outcome, 'denied');
    assert.equal(rows[0].resource, '/personal-demographics/FHIR/R4/Patient/:id');
    assert.equal(rows[0].app_id, null);
    assert.equal(rows[0].client_address, '127.0.0.1');
    assert.deepEqual(rows[0].detail, { method: 'GET', activity: 'patient:read', status: 401 });
  });

  it('a token without the activity gets 403 and the record names the app', async () => {
    const { token, principal } = await createAppAndToken(spine, { activities: ['directory:read'] });
    const requestId = randomUUID();
    const res = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, {
      headers: { 'X-Request-ID': requestId, authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 403);
    const rows = await auditRowsFor(requestId);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].app_id, principal.appId);
    assert.deepEqual(rows[0].detail, { method: 'GET', activity: 'patient:read', status: 403 });
  });
});
