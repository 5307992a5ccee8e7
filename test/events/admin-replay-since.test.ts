import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { FAST_RELAY_ENV, api, startReceiver, type Receiver } from './support.js';

/**
 * The events admin API's replay of a subscription from a point in time: `since` is a date-time the
 * server can hold. A leap second (23:59:60, which RFC 3339's date-time admits and a JavaScript Date
 * cannot hold) or any other value that names no instant is the admin API's 400 naming `since`.
 */
describe('events admin: a subscription replay\'s since', () => {
  let spine: TestSpine;
  let token: string;
  let receiver: Receiver;
  let id: string;

  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true }, env: FAST_RELAY_ENV });
    token = (await createAppAndToken(spine, { activities: ['events:subscribe', 'events:admin'] })).token;
    receiver = await startReceiver();
    const created = await api(spine, token, 'POST', '/multicast-notification-service/subscriptions', {
      resourceType: 'Subscription', status: 'requested', reason: '', criteria: 'eventType=imms-vaccination-record-change-1',
      channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/json' },
    });
    assert.equal(created.status, 201, created.text);
    id = created.json.id;
  });
  after(async () => {
    await receiver?.close();
    await spine?.close();
  });

  const replay = (since: unknown) => api(spine, token, 'POST', `/admin/events/subscriptions/${id}/$replay`, { since }, { 'content-type': 'application/json' });

  it('a leap second or a date-time naming no instant is 400 naming since; a real one replays', async () => {
    for (const since of ['2016-12-31T23:59:60Z', '2015-06-30T23:59:60.5+00:00', '2016-12-31T23:59:60-01:00']) {
      const refused = await replay(since);
      assert.equal(refused.status, 400, `${since}: ${refused.status} ${refused.text}`);
      assert.match(refused.text, /since/, since);
    }
    const fine = await replay(new Date(Date.now() - 60_000).toISOString());
    assert.equal(fine.status, 200, fine.text);
    assert.deepEqual(fine.json, { replayed: 0 });
  });
});
