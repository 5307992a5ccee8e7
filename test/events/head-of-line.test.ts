import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { FAST_RELAY_ENV, api, changeGp, startReceiver, waitFor, type Receiver } from './support.js';

const SUBSCRIPTIONS = '/multicast-notification-service/subscriptions';

/**
 * A receiver that is down holds back its own queues only. Its queue heads wait out their backoff;
 * the events behind them are due but may not go first (order per patient), and however many they
 * are they must not keep the relay from another destination's deliveries.
 */
describe('a receiver that is down does not hold back other destinations', () => {
  let spine: TestSpine;
  let down: Receiver;
  let up: Receiver;
  let token: string;

  before(async () => {
    // Two deliveries a claim, long backoffs, no dead letters during the test.
    spine = await startTestSpine({ flags: { sandbox: true }, env: {
      ...FAST_RELAY_ENV, OPENSPINE_EVENTS_BATCH: '2', OPENSPINE_EVENTS_BACKOFF_MS: '20000', OPENSPINE_EVENTS_MAX_BACKOFF_MS: '20000',
      OPENSPINE_EVENTS_DEAD_LETTER_AFTER_S: '600',
    } });
    down = await startReceiver();
    down.failWith = 503;
    up = await startReceiver();
    token = (await createAppAndToken(spine)).token;
  });
  after(async () => {
    await down?.close();
    await up?.close();
    await spine?.close();
  });

  const subscribe = (endpoint: string) =>
    api(spine, token, 'POST', SUBSCRIPTIONS, { resourceType: 'Subscription', status: 'requested', reason: 'test', criteria: 'eventType=pds-change-of-gp-2', channel: { type: 'rest-hook', endpoint, payload: 'application/json' } });

  it('twenty events queued behind a failing head; a later event for another destination is delivered at once', { timeout: 90_000 }, async () => {
    assert.equal((await subscribe(down.url)).status, 201);
    for (let i = 0; i < 20; i++) await changeGp(spine, token, '9000000009', `B8${String(6000 + i)}`);
    // The head has been tried and waits out its backoff; the nineteen behind it wait with it.
    await waitFor('the failing head', async () => (await spine.ctx.db.query(
      `SELECT 1 FROM events.deliveries WHERE status = 'pending' AND attempts > 0 AND next_attempt_at > now()`)).rows[0]);
    // All routed: far more followers than a claim takes (they wait with the head, not due).
    await waitFor('nineteen queued behind the head', async () => (await spine.ctx.db.query<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM events.deliveries WHERE status = 'pending'`)).rows[0]!.pending >= 20 || undefined);

    assert.equal((await subscribe(up.url)).status, 201);
    await changeGp(spine, token, '9000000017', 'B86031');
    const got = await waitFor('the other destination\'s delivery', () => up.received.find((r) => JSON.parse(r.body).subject === '9000000017'), 10_000);
    assert.equal(JSON.parse(got.body).type, 'pds-change-of-gp-2');
    assert.equal(down.received.length, 0, 'nothing reached the receiver that is down');
  });
});

/**
 * A queue's followers share its head's retry time while the head backs off (they are never due
 * before it), and go in publish order once it is delivered, or once it is dead-lettered: each then
 * tried in turn and dead-lettered on its own age.
 */
describe('the followers of a blocked queue wait with its head', () => {
  let spine: TestSpine;
  let token: string;
  const receivers: Receiver[] = [];

  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true }, env: {
      ...FAST_RELAY_ENV, OPENSPINE_EVENTS_BACKOFF_MS: '200', OPENSPINE_EVENTS_MAX_BACKOFF_MS: '1000', OPENSPINE_EVENTS_DEAD_LETTER_AFTER_S: '10',
    } });
    token = (await createAppAndToken(spine)).token;
  });
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await spine?.close();
  });

  const subscribe = async (endpoint: string): Promise<string> => {
    const created = await api(spine, token, 'POST', SUBSCRIPTIONS, { resourceType: 'Subscription', status: 'requested', reason: 'test',
      criteria: 'eventType=imms-vaccination-record-change-1', channel: { type: 'rest-hook', endpoint, payload: 'application/json' } });
    assert.equal(created.status, 201, created.text);
    return created.json.id;
  };
  /** Publishes one event at a time (the outbox order is the publish order) and returns their ids. */
  const publish = async (prefix: string, subject: string, count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = `${prefix}-${i}`;
      const res = await api(spine, token, 'POST', '/multicast-notification-service/events', {
        specversion: '1.0', id, source: 'uk.nhs.openspine.test', type: 'imms-vaccination-record-change-1', time: new Date().toISOString(), subject,
      }, { 'content-type': 'application/cloudevents+json' });
      assert.equal(res.status, 200, res.text);
      ids.push(id);
    }
    return ids;
  };
  const queueOf = async (subscription: string) => (await spine.ctx.db.query<{ event_id: string; status: string; attempts: number; next_attempt_at: Date }>(
    `SELECT event_id, status, attempts, next_attempt_at FROM events.deliveries WHERE subscription_ids @> ARRAY[$1::uuid] ORDER BY outbox_id, id`,
    [subscription])).rows;
  const eventIds = (calls: Array<{ body: string }>) => calls.map((c) => JSON.parse(c.body).id as string);

  it('while the head backs off its followers are not due; when it succeeds they follow in order', { timeout: 90_000 }, async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    receiver.failWith = 503;
    const subscription = await subscribe(receiver.url);
    const ids = await publish('blocked', '9000000009', 5);
    await waitFor('all five routed', async () => ((await queueOf(subscription)).length === 5 ? true : undefined));
    // A failure of the head after all five were routed: it pushes every follower back with it.
    const tried = (await queueOf(subscription))[0]!.attempts;
    await waitFor('another failed attempt of the head', async () => ((await queueOf(subscription))[0]!.attempts > tried ? true : undefined));
    const [head, ...followers] = await queueOf(subscription);
    assert.equal(head!.event_id, ids[0]);
    assert.equal(head!.status, 'pending');
    for (const f of followers) {
      assert.deepEqual({ status: f.status, attempts: f.attempts }, { status: 'pending', attempts: 0 }, `${f.event_id} is untried`);
      assert.ok(f.next_attempt_at >= head!.next_attempt_at, `${f.event_id} is not due before the head (${f.next_attempt_at.toISOString()} < ${head!.next_attempt_at.toISOString()})`);
    }
    assert.deepEqual(new Set(eventIds(receiver.refused)), new Set([ids[0]]), 'only the head was tried');

    receiver.failWith = undefined;
    // Marked delivered once the receiver has answered: the relay commits after the call.
    await waitFor('all five delivered', async () => ((await queueOf(subscription)).every((d) => d.status === 'delivered') ? true : undefined));
    assert.deepEqual(eventIds(receiver.received), ids, 'in publish order, each once');
  });

  it('when the head is dead-lettered its followers are tried in turn, dead-lettered on their own age, and replay in order', { timeout: 120_000 }, async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    receiver.failWith = 503;
    const subscription = await subscribe(receiver.url);
    const ids = await publish('dead', '9000000017', 3);
    const dead = await waitFor('all three dead-lettered', async () => {
      const queue = await queueOf(subscription);
      return queue.length === 3 && queue.every((d) => d.status === 'dead') ? queue : undefined;
    }, 90_000);
    assert.deepEqual(dead.map((d) => d.event_id), ids);
    assert.ok(dead[0]!.attempts >= 2, `the head was retried before it was dead-lettered (${dead[0]!.attempts} attempts)`);
    for (const d of dead) assert.ok(d.attempts >= 1, `${d.event_id} was tried before it was dead-lettered`);
    // Every attempt at an event came before the first at the next one: order held through the dead letters.
    const attempts = eventIds(receiver.refused);
    assert.deepEqual(attempts.filter((id, i) => i === 0 || attempts[i - 1] !== id), ids, `attempts in order: ${attempts.join(', ')}`);

    receiver.failWith = undefined;
    const replay = await api(spine, token, 'POST', '/admin/events/deliveries/$replay', { subscription }, { 'content-type': 'application/json' });
    assert.deepEqual(replay.json, { replayed: 3 });
    await waitFor('the three replayed', () => (receiver.received.length >= 3 ? true : undefined));
    assert.deepEqual(eventIds(receiver.received), ids, 'replayed in publish order');
  });
});
