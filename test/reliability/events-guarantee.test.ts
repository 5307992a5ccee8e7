import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { FAST_RELAY_ENV, api, startReceiver, waitFor, type Receiver } from '../events/support.js';
import { CLI } from '../support/cli.js';

// Guarantee suite (issue 12). Events are published through MNS while two relays (compiled
// `openspine serve --services events` processes on one database) are SIGKILLed and restarted over
// and over, and the webhook receiver goes down and comes back: every committed event arrives, in
// order per patient, and a repeat carries the same idempotency key.

const root = new URL('../..', import.meta.url).pathname;
const EVENTS = 200;
const SUBJECTS = ['9000000009', '9000000017', '9990000018', '9990000026', '9990000034', '9990000042'];
/** The PDS sandbox's restricted (S) patient: events about them go to nobody. */
const SENSITIVE = '9000000025';

interface Relay { child: ChildProcess; exited: Promise<unknown>; ready: Promise<void> }

describe('events: at least once, in order per patient, through relay and receiver crashes', { timeout: 240_000 }, () => {
  let database: { url: string; drop(): Promise<void> };
  let front: TestSpine;
  let receiver: Receiver;
  let port: number;
  let dataDir: string;
  const relays: Relay[] = [];
  let relayOutput = '';

  const startRelay = (): Relay => {
    const child = spawn(process.execPath, [CLI, 'serve', '--sandbox', '--services', 'events', '--port', '0'], {
      cwd: root,
      env: { ...process.env, ...FAST_RELAY_ENV, LOG_LEVEL: 'info', DATABASE_URL: database.url, OPENSPINE_DATA_DIR: dataDir, OPENSPINE_SEED_DEMO: 'false' },
    });
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => { markReady = resolve; });
    const keep = (d: Buffer) => {
      const text = String(d);
      if (text.includes('OpenSpine listening on')) markReady();
      if (/"level":[4-6]\d/.test(text)) relayOutput = (relayOutput + text).slice(-8_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    void exited.then(markReady);
    return { child, exited, ready };
  };

  before(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'openspine-relays-'));
    // The front process answers the APIs only; the relays run apart, to be killed.
    front = await startTestSpine({ databaseUrl: database.url, flags: { sandbox: true }, env: { ...FAST_RELAY_ENV, OPENSPINE_EVENTS_RELAY: 'false' } });
    receiver = await startReceiver();
    port = Number(new URL(receiver.url).port);
    receiver.delayMs = 100;
  });
  after(async () => {
    for (const r of relays) r.child.kill('SIGKILL');
    await Promise.all(relays.map((r) => r.exited));
    await receiver.close();
    await front.stop();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`${EVENTS} events across ${SUBJECTS.length} patients with relays SIGKILLed and the receiver down twice`, async () => {
    const { token } = await createAppAndToken(front);
    const sub = await api(front, token, 'POST', '/multicast-notification-service/subscriptions', {
      resourceType: 'Subscription', status: 'requested', reason: 'guarantee suite', criteria: 'eventType=imms-vaccination-record-change-1',
      channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/json' },
    });
    assert.equal(sub.status, 201, sub.text);
    relays.push(startRelay(), startRelay());

    const published: Array<{ id: string; subject: string }> = [];
    let chaos = true;
    let kills = 0;
    const chaosLoop = (async () => {
      let round = 0;
      while (chaos) {
        // Each relay is killed a while after it is up, so the kills land while it claims and sends.
        await Promise.all(relays.map((r) => r.ready));
        await sleep(300 + Math.floor(Math.random() * 1_200));
        round += 1;
        const victim = relays.shift()!;
        victim.child.kill('SIGKILL');
        kills += 1;
        await victim.exited;
        relays.push(startRelay());
      }
      return round;
    })();
    let outages = 0;
    const receiverOutages = (async () => {
      // The receiver goes down twice, for long enough that deliveries back off, and comes back.
      for (; outages < 2 && chaos; outages++) {
        await sleep(4_000);
        await receiver.close();
        await sleep(2_000);
        receiver = await startReceiver(port, receiver.received);
        receiver.delayMs = 100;
      }
    })();

    for (let i = 0; i < EVENTS; i++) {
      const subject = i % 10 === 9 ? SENSITIVE : SUBJECTS[i % SUBJECTS.length]!;
      const id = `guarantee-${i}`;
      // One publish at a time: the outbox order is the publish order, per patient too.
      const res = await api(front, token, 'POST', '/multicast-notification-service/events', {
        specversion: '1.0', id, source: 'uk.nhs.openspine.guarantee', type: 'imms-vaccination-record-change-1',
        time: new Date().toISOString(), subject, filtering: { seq: i },
      }, { 'content-type': 'application/cloudevents+json' });
      assert.equal(res.status, 200, res.text);
      published.push({ id, subject });
      if (i % 20 === 0) await sleep(100);
    }

    const seen = () => new Set(receiver.received.map((r) => JSON.parse(r.body).id as string));
    try {
      // The relays keep dying while the backlog drains.
      await waitFor('every event at the receiver', () => (published.every((p) => p.subject === SENSITIVE || seen().has(p.id)) ? true : undefined), 120_000);
    } catch (err) {
      const state = await front.ctx.db.query(`SELECT status, count(*)::int AS n, max(last_error) AS error FROM events.deliveries GROUP BY status`);
      const outbox = await front.ctx.db.query(`SELECT count(*) FILTER (WHERE delivered_at IS NULL)::int AS unrouted, count(*)::int AS total FROM platform.outbox`);
      chaos = false;
      await Promise.all([chaosLoop, receiverOutages]);
      throw new Error(`${(err as Error).message}: ${seen().size} of ${published.length} seen; deliveries ${JSON.stringify(state.rows)}; outbox ${JSON.stringify(outbox.rows)}; relay output: ${relayOutput.slice(-3_000)}`);
    }

    chaos = false;
    await Promise.all([chaosLoop, receiverOutages]);
    assert.equal(outages, 2, 'the receiver went down twice');
    assert.ok(kills >= 2, `relays were killed mid-run (${kills})`);
    const keys = new Map<string, Set<string>>();
    for (const r of receiver.received) {
      const id = JSON.parse(r.body).id as string;
      keys.set(id, (keys.get(id) ?? new Set()).add(String(r.headers['idempotency-key'])));
    }
    for (const [id, k] of keys) assert.equal(k.size, 1, `${id} arrived under one idempotency key, not ${[...k].join(', ')}`);
    for (const subject of SUBJECTS) {
      const order = receiver.received.map((r) => JSON.parse(r.body)).filter((e) => e.subject === subject).map((e) => e.id as string);
      const collapsed = order.filter((id, i) => i === 0 || order[i - 1] !== id);
      assert.deepEqual(collapsed, published.filter((p) => p.subject === subject).map((p) => p.id), `in publish order for ${subject} (a repeat only right after itself)`);
    }
    assert.equal(receiver.received.filter((r) => JSON.parse(r.body).subject === SENSITIVE).length, 0, 'nothing about a patient flagged S');
    // A delivery is marked delivered only once its audit record is durable: killing a relay between
    // the two can repeat a delivery, never leave one unaudited.
    const { rows: unaudited } = await front.ctx.db.query(
      `SELECT d.id FROM events.deliveries d
        WHERE d.status = 'delivered' AND d.nhs_number IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM audit.events a WHERE a.action = 'event.deliver' AND d.nhs_number = ANY(a.nhs_numbers)
                            AND a.detail->'deliveries' @> jsonb_build_array(jsonb_build_object('id', d.id, 'nhsNumber', d.nhs_number)))`);
    assert.deepEqual(unaudited, [], 'every delivery about a patient has its audit record');
    const { rows: [{ n: deliveredRows }] } = await front.ctx.db.query(`SELECT count(*)::int AS n FROM events.deliveries WHERE status = 'delivered' AND nhs_number IS NOT NULL`);
    assert.ok(deliveredRows > 0, 'the check saw deliveries about patients');
    const duplicates = receiver.received.length - published.filter((p) => p.subject !== SENSITIVE).length;
    console.log(`events guarantee: ${published.length} events, ${receiver.received.length} receipts (${duplicates} repeats), ${kills} relay kills`);
  });
});
