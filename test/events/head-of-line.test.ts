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
    // Two deliveries a claim (eight candidates), long backoffs, no dead letters during the test.
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
    // The head has been tried and waits out its backoff; the nineteen behind it are due.
    await waitFor('the failing head', async () => (await spine.ctx.db.query(
      `SELECT 1 FROM events.deliveries WHERE status = 'pending' AND attempts > 0 AND next_attempt_at > now()`)).rows[0]);
    // All routed: far more due followers than a claim's eight candidates.
    await waitFor('nineteen due behind the head', async () => (await spine.ctx.db.query<{ due: number }>(
      `SELECT count(*)::int AS due FROM events.deliveries WHERE status = 'pending' AND next_attempt_at <= now()`)).rows[0]!.due >= 19 || undefined);

    assert.equal((await subscribe(up.url)).status, 201);
    await changeGp(spine, token, '9000000017', 'B86031');
    const got = await waitFor('the other destination\'s delivery', () => up.received.find((r) => JSON.parse(r.body).subject === '9000000017'), 10_000);
    assert.equal(JSON.parse(got.body).type, 'pds-change-of-gp-2');
    assert.equal(down.received.length, 0, 'nothing reached the receiver that is down');
  });
});
