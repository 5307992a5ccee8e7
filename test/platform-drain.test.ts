import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { createAppAndToken } from './support/identity.js';

/**
 * A rolling restart loses no request: on SIGTERM (`stop()`), the process first reports itself not
 * ready on `/_status` while it goes on serving, so the balancer's health check takes it out of
 * rotation; only then does it stop accepting and finish what is in flight.
 */
describe('draining before shutdown', () => {
  let spine: TestSpine | undefined;
  after(async () => { await spine?.close(); });

  it('reports 503 draining on /_status and /_ping for OPENSPINE_DRAIN_MS while still serving requests, then stops', async () => {
    spine = await startTestSpine({ env: { OPENSPINE_DRAIN_MS: '1500' } });
    const { token } = await createAppAndToken(spine, { activities: ['identity:admin'] });
    assert.equal((await fetch(`${spine.url}/_ping`)).status, 200);
    const ready = await fetch(`${spine.url}/_status`);
    assert.equal(ready.status, 200);
    assert.equal((await ready.json() as { status: string }).status, 'pass');

    const stopped = spine.stop();
    const status = await fetch(`${spine.url}/_status`);
    assert.equal(status.status, 503);
    assert.equal(status.headers.get('retry-after'), '2');
    const body = await status.json() as { status: string; draining?: boolean; checks: { database: { status: string } } };
    assert.equal(body.status, 'fail');
    assert.equal(body.draining, true);
    assert.equal(body.checks.database.status, 'pass', 'the database is fine: only the process is leaving');
    // Service-specific status pages say the same, and so does /_ping, which balancers check.
    assert.equal((await fetch(`${spine.url}/personal-demographics/_status`)).status, 503);
    const ping = await fetch(`${spine.url}/_ping`);
    assert.equal(ping.status, 503);
    assert.deepEqual(await ping.json(), { status: 'fail', ping: 'pong', service: 'openspine', draining: true });
    // Work still arriving during the drain is served.
    const served = await fetch(`${spine.url}/admin/identity/users`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(served.status, 200);
    await served.arrayBuffer();

    await stopped;
    await assert.rejects(fetch(`${spine.url}/_ping`), 'after the drain the process no longer accepts');
  });
});
