import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { FAST_RELAY_ENV, api } from './support.js';

const SUBSCRIPTIONS = '/multicast-notification-service/subscriptions';

/**
 * get-all-subscriptions pages with `continue_from`. Found by probing: a cursor naming a time
 * PostgreSQL cannot hold (year -271821, 4714 BC) was a 500, and every bad cursor was answered
 * `{validationErrors}` where the spec's 400 is `{errors: 'The continue_from field was not valid'}`.
 */
describe('MNS: listing subscriptions page by page', () => {
  let spine: TestSpine;
  let token: string;

  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true }, env: FAST_RELAY_ENV });
    token = (await createAppAndToken(spine, { activities: ['events:subscribe'] })).token;
  });
  after(async () => { await spine.close(); });

  it('51 subscriptions come as a page of 50 with a next link, then the last one; the next link is followed as given', async () => {
    const made = new Set<string>();
    for (let i = 0; i < 51; i++) {
      const created = await api(spine, token, 'POST', SUBSCRIPTIONS, {
        resourceType: 'Subscription', status: 'requested', reason: '', criteria: 'eventType=imms-vaccination-record-change-1',
        channel: { type: 'rest-hook', endpoint: `http://127.0.0.1:9/hook/${i}`, payload: 'application/json' },
      });
      assert.equal(created.status, 201, created.text);
      made.add(created.json.id);
    }
    const first = await api(spine, token, 'GET', SUBSCRIPTIONS);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.entry.length, 50);
    // get-all-subscriptions' members, no more: a `total` of the page (50) read as if there were 50 in all.
    assert.deepEqual(Object.keys(first.json).sort(), ['entry', 'link', 'resourceType', 'type']);
    const next = first.json.link.find((l: { relation: string }) => l.relation === 'next').url as string;
    const second = await api(spine, token, 'GET', new URL(next).pathname + new URL(next).search);
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.entry.length, 1);
    assert.deepEqual(second.json.link.map((l: { relation: string }) => l.relation), ['self']);
    assert.deepEqual(new Set([...first.json.entry, ...second.json.entry].map((s: { id: string }) => s.id)), made);
  });

  it('a continue_from that is not one of ours is 400 {errors: "The continue_from field was not valid"}, never a 500', async () => {
    const cursor = (text: string) => Buffer.from(text).toString('base64url');
    const id = randomUUID();
    for (const bad of ['abc', 'a'.repeat(500), cursor(`-271821-04-20T00:00:00.000Z|${id}`), cursor(`-004714-01-01T00:00:00.000Z|${id}`),
      cursor(`+275760-09-13T00:00:00.000Z|${id}`), cursor(`0000-01-01T00:00:00.000Z|${id}`), cursor(`2024-02-30T00:00:00.000Z|${id}`),
      cursor(`2024-01-01T00:00:00.000Z|${id}|more`), cursor('2024-01-01T00:00:00.000Z|not-a-uuid'), cursor(`2024-01-01|${id}`)]) {
      const refused = await api(spine, token, 'GET', `${SUBSCRIPTIONS}?continue_from=${encodeURIComponent(bad)}`);
      assert.equal(refused.status, 400, `${bad.slice(0, 60)}: ${refused.text}`);
      assert.deepEqual(refused.json, { errors: 'The continue_from field was not valid' });
    }
    const ours = await api(spine, token, 'GET', `${SUBSCRIPTIONS}?continue_from=${cursor(`2024-01-01T00:00:00.000Z|${id}`)}`);
    assert.equal(ours.status, 200, ours.text);
  });
});
