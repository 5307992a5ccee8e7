import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { fixedClock } from '../../src/platform/clock.js';
import { messagingService, sweepExpiredMessages } from '../../src/services/messaging/index.js';
import { startExpiryWorker } from '../../src/services/messaging/handlers/expiry.js';
import { pgBodyStore } from '../../src/services/messaging/store/pg-body-store.js';
import { MB1, MB2, mesh, type MeshCall } from './support/mesh-client.js';

const DAY = 24 * 60 * 60 * 1000;

describe('MESH expiry: 5-day inbox expiry with REPORTs, 30-day purge (injected clock)', () => {
  const clock = fixedClock(new Date('2026-01-10T09:00:00Z'));
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ clock }); });
  after(async () => { await spine.close(); });

  // Tokens are stamped with the server's (injected) time, as a client with a synchronised clock would.
  const call = (path: string, options: MeshCall = {}) => mesh(spine.url, path, { version: 2, ...options, at: clock.now() });
  const inbox = async (mailbox: string) => ((await (await call(`/${mailbox}/inbox`)).json()) as { messages: string[] }).messages;
  async function send(body: string, localId: string) {
    const response = await call(`/${MB1}/outbox`, { method: 'POST', body, headers: { 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-localid': localId, 'mex-subject': 'results' } });
    return ((await response.json()) as { message_id: string }).message_id;
  }

  it('an uncollected message leaves the inbox after 5 days and its sender gets one REPORT (status 14)', async () => {
    const start = clock.now().getTime();
    const uncollected = await send('never read', 'uncollected-1');
    const collected = await send('read in time', 'collected-1');
    assert.equal((await call(`/${MB2}/inbox/${collected}/status/acknowledged`, { method: 'PUT' })).status, 200);

    clock.set(new Date(start + 5 * DAY - 60_000));
    assert.deepEqual(await sweepExpiredMessages(spine.ctx), { expired: 0, reports: 0, purged: 0 });
    assert.ok((await inbox(MB2)).includes(uncollected));

    clock.set(new Date(start + 5 * DAY + 60_000));
    // Invisible at once, before any sweep has run.
    assert.ok(!(await inbox(MB2)).includes(uncollected));
    assert.equal((await call(`/${MB2}/inbox/${uncollected}`)).status, 410);
    assert.deepEqual(await sweepExpiredMessages(spine.ctx), { expired: 1, reports: 1, purged: 0 });
    assert.deepEqual(await sweepExpiredMessages(spine.ctx), { expired: 0, reports: 0, purged: 0 }, 'a second sweep reports nothing twice');

    const reports = await inbox(MB1);
    assert.equal(reports.length, 1);
    const report = await call(`/${MB1}/inbox/${reports[0]}`);
    assert.equal(report.status, 200);
    assert.equal(await report.text(), '');
    assert.equal(report.headers.get('mex-messagetype'), 'REPORT');
    assert.equal(report.headers.get('mex-statuscode'), '14');
    assert.equal(report.headers.get('mex-statussuccess'), 'ERROR');
    assert.equal(report.headers.get('mex-statusevent'), 'SEND');
    assert.equal(report.headers.get('mex-linkedmsgid'), uncollected);
    assert.equal(report.headers.get('mex-localid'), 'uncollected-1');
    assert.equal(report.headers.get('mex-to'), MB1);
    assert.equal(report.headers.get('mex-workflowid'), 'TEST_WORKFLOW');

    const tracking = await (await call(`/${MB1}/outbox/tracking?messageID=${uncollected}`, { version: 1 })).json() as Record<string, unknown>;
    assert.equal(tracking.status, 'Undeliverable');
    assert.equal(tracking.statusCode, '14');
    // v2 and the rich outbox name it as MESH does, never by our event's name 'expired'.
    const v2 = await (await call(`/${MB1}/outbox/tracking?messageID=${uncollected}`)).json() as Record<string, unknown>;
    assert.deepEqual([v2.status, v2.status_success, v2.status_code], ['undeliverable', false, '14']);
    const rich = await (await call(`/${MB1}/outbox/rich`)).json() as { messages: Array<{ message_id: string; status: string }> };
    assert.equal(rich.messages.find((m) => m.message_id === uncollected)?.status, 'undeliverable');
    // The spec gives an acknowledgement no 410: a late one is answered 200 (as the MESH sandbox does) and changes nothing.
    const lateAck = await call(`/${MB2}/inbox/${uncollected}/status/acknowledged`, { method: 'PUT', version: 1 });
    assert.equal(lateAck.status, 200);
    assert.deepEqual(await lateAck.json(), { messageId: uncollected });
    const stillUndeliverable = await (await call(`/${MB1}/outbox/tracking?messageID=${uncollected}`, { version: 1 })).json() as Record<string, unknown>;
    assert.equal(stillUndeliverable.status, 'Undeliverable');
    assert.equal(stillUndeliverable.downloadTimestamp, undefined);
    assert.equal((await call(`/${MB2}/inbox/${uncollected}`)).status, 410);
    const events = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM platform.outbox WHERE event_type = 'mesh-message-expired'`);
    assert.equal(events.rows[0].n, 1);
    const audited = await spine.ctx.db.query(`SELECT detail FROM audit.events WHERE action = 'message.expire'`);
    assert.equal(audited.rows.length, 1);
    assert.equal(audited.rows[0].detail.messageId, uncollected);
    assert.equal(audited.rows[0].detail.reportId, reports[0]);

    clock.set(new Date(start + 30 * DAY + 60_000));
    const purge = await sweepExpiredMessages(spine.ctx);
    assert.equal(purge.purged, 2, 'both messages sent on day 0 are purged; the day-5 report stays');
    assert.equal((await call(`/${MB2}/inbox/${uncollected}`)).status, 404);
    const left = await spine.ctx.db.query('SELECT count(*)::int AS n FROM messaging.body_segments WHERE message_id = ANY($1)', [[uncollected, collected]]);
    assert.equal(left.rows[0].n, 0);
    // The day-5 report expired uncollected on day 10 (no report about a report) but is not purged yet.
    assert.equal(purge.expired, 1);
    assert.equal(purge.reports, 0);
    assert.equal((await call(`/${MB1}/inbox/${reports[0]}`)).status, 410);
  });

  it('a chunked message delivered late is purged 30 days after its delivery (the spec), never taken from an inbox it is still due in', async () => {
    const start = clock.now().getTime();
    const first = await call(`/${MB1}/outbox`, { method: 'POST', body: 'c1', headers: { 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-chunk-range': '1:2' } });
    const { message_id: id } = await first.json() as { message_id: string };
    clock.set(new Date(start + 27 * DAY));
    assert.equal((await call(`/${MB1}/outbox/${id}/2`, { method: 'POST', body: 'c2', headers: { 'mex-chunk-range': '2:2' } })).status, 202);

    // 30 days after its first chunk, 3 after its delivery: still in the inbox, downloadable.
    clock.set(new Date(start + 30 * DAY + 60_000));
    await sweepExpiredMessages(spine.ctx);
    assert.ok((await inbox(MB2)).includes(id));
    assert.equal((await call(`/${MB2}/inbox/${id}`)).status, 206);

    // Uncollected 5 days after delivery: it expires and its sender is told, as any message.
    clock.set(new Date(start + 32 * DAY + 60_000));
    await sweepExpiredMessages(spine.ctx);
    const report = await spine.ctx.db.query('SELECT count(*)::int AS n FROM messaging.messages WHERE linked_message_id = $1', [id]);
    assert.equal(report.rows[0].n, 1);
    assert.equal((await call(`/${MB2}/inbox/${id}`)).status, 410);

    // Purged 30 days after its delivery.
    clock.set(new Date(start + 57 * DAY - 60_000));
    await sweepExpiredMessages(spine.ctx);
    assert.equal((await call(`/${MB2}/inbox/${id}`)).status, 410);
    clock.set(new Date(start + 57 * DAY + 60_000));
    await sweepExpiredMessages(spine.ctx);
    assert.equal((await call(`/${MB2}/inbox/${id}`)).status, 404);
  });

  it('the background worker sweeps on its own, at the injected clock, and stops cleanly', async () => {
    assert.equal(messagingService.startWorkers!(spine.ctx).length, 1, 'the module registers one worker');
    await Promise.all(messagingService.startWorkers!(spine.ctx).map((w) => w.stop()));
    const id = await send('for the worker', 'worker-1');
    clock.set(new Date(clock.now().getTime() + 5 * DAY + 60_000));
    const worker = startExpiryWorker(spine.ctx, pgBodyStore(spine.ctx.db), 50);
    try {
      let report: string | undefined;
      for (let i = 0; i < 100 && !report; i += 1) {
        await new Promise((r) => setTimeout(r, 50));
        const rows = await spine.ctx.db.query(`SELECT message_id FROM messaging.messages WHERE linked_message_id = $1`, [id]);
        report = rows.rows[0]?.message_id;
      }
      assert.ok(report, 'the worker produced the REPORT');
    } finally {
      await worker.stop();
    }
  });
});
