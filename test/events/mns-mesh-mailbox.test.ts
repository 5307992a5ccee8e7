import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { mesh } from '../messaging/support/mesh-client.js';
import { FAST_RELAY_ENV, api, waitFor } from './support.js';

const SUBSCRIPTIONS = '/multicast-notification-service/subscriptions';
const TYPE = 'imms-vaccination-record-change-1';
// Demo directory: A83008MB01 is organisation A83008's mailbox, Y12345MB01 organisation Y12345's.
const OWN = 'A83008MB01';
const OTHERS = 'Y12345MB01';

/**
 * Found by probing: an application of A83008 subscribed `mesh://Y12345MB01?workflow_id=ANYTHING`
 * (201), and the relay then delivered events, with their NHS numbers, into organisation Y12345's
 * mailbox on a workflow no one had registered. As NEMS requires, the mailbox must be the
 * subscriber's organisation's.
 */
describe('MNS subscriptions: whose mailbox, and one of each', () => {
  let spine: TestSpine;
  let token: string;

  before(async () => {
    spine = await startTestSpine({ env: FAST_RELAY_ENV });
    token = (await createAppAndToken(spine, { odsCode: 'A83008', activities: ['events:subscribe', 'events:publish'] })).token;
  });
  after(async () => { await spine.close(); });

  const subscription = (mailbox: string) => ({
    resourceType: 'Subscription', status: 'requested', reason: 'vaccinations', criteria: `eventType=${TYPE}`,
    channel: { type: 'message', endpoint: `mesh://${mailbox}?workflow_id=MY_WORKFLOW`, payload: 'application/json' },
  });

  it('another organisation\'s mailbox is refused (400 channel.endpoint), on create and on replace', async () => {
    const refused = await api(spine, token, 'POST', SUBSCRIPTIONS, subscription(OTHERS));
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(refused.json, { validationErrors: { 'channel.endpoint': 'MESH mailbox Y12345MB01 belongs to organisation Y12345, not to A83008' } });

    const own = await api(spine, token, 'POST', SUBSCRIPTIONS, subscription(OWN));
    assert.equal(own.status, 201, own.text);
    const replaced = await api(spine, token, 'PUT', `${SUBSCRIPTIONS}/${own.json.id}`, subscription(OTHERS));
    assert.equal(replaced.status, 400, replaced.text);
    assert.deepEqual(Object.keys(replaced.json.validationErrors), ['channel.endpoint']);
  });

  it('identical subscriptions sent at once: one is made (201), every other is 409 naming it', async () => {
    // Found by probing: five at once made three subscriptions, so each event would be delivered three times.
    const body = {
      resourceType: 'Subscription', status: 'requested', reason: 'race', criteria: `eventType=${TYPE}`,
      channel: { type: 'rest-hook', endpoint: 'https://example.org/race', payload: 'application/json' },
    };
    const answers = await Promise.all(Array.from({ length: 8 }, () => api(spine, token, 'POST', SUBSCRIPTIONS, body)));
    const made = answers.filter((a) => a.status === 201);
    assert.equal(made.length, 1, answers.map((a) => `${a.status} ${a.text}`).join('\n'));
    for (const other of answers.filter((a) => a.status !== 201)) {
      assert.equal(other.status, 409);
      assert.deepEqual(other.json, { errors: `A matching subscription already exists with id: ${made[0]!.json.id}` });
    }
    const listed = await api(spine, token, 'GET', SUBSCRIPTIONS);
    assert.equal(listed.json.entry.filter((e: any) => e.channel.endpoint === 'https://example.org/race').length, 1);
  });

  it('an event reaches the subscriber\'s own mailbox, and nothing reaches the other organisation\'s', async () => {
    const id = randomUUID();
    const published = await api(spine, token, 'POST', '/multicast-notification-service/events', {
      specversion: '1.0', id, source: 'https://example.org/imms', type: TYPE, time: '2024-01-01T00:00:00Z', subject: '9000000009',
    }, { 'content-type': 'application/cloudevents+json' });
    assert.equal(published.status, 200, published.text);
    const delivered = await waitFor('the event in the subscriber\'s mailbox', async () => {
      const listed = (await (await mesh(spine.url, `/${OWN}/inbox`)).json()) as { messages: string[] };
      for (const messageId of listed.messages) {
        const message = await mesh(spine.url, `/${OWN}/inbox/${messageId}`);
        const body = JSON.parse(await message.text());
        if (body.id === id) return { workflow: message.headers.get('mex-workflowid'), body };
      }
      return undefined;
    });
    assert.equal(delivered.workflow, 'MY_WORKFLOW');
    assert.equal(delivered.body.subject, '9000000009');
    const others = (await (await mesh(spine.url, `/${OTHERS}/inbox`)).json()) as { messages: string[] };
    assert.deepEqual(others.messages, []);
  });
});
