import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { FAST_RELAY_ENV, api, startReceiver, waitFor, type Receiver } from './support.js';

const SUBSCRIPTIONS = '/multicast-notification-service/subscriptions';
const TYPE = 'imms-vaccination-record-change-1';

/**
 * MNS's `end` (create-or-update-subscription-body.yaml: "Optional expiry date/time for the
 * subscription"): found by probing, it was stored and shown but never read, so a subscription went
 * on receiving events after it; and one whose end had passed was taken (201) to receive them all.
 */
describe('MNS: a subscription\'s end', () => {
  let spine: TestSpine;
  let token: string;
  let receiver: Receiver;
  const others: Receiver[] = [];

  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true }, env: FAST_RELAY_ENV });
    receiver = await startReceiver();
    token = (await createAppAndToken(spine, { activities: ['events:subscribe', 'events:publish', 'events:admin'] })).token;
  });
  after(async () => {
    for (const r of others) await r.close();
    await receiver.close();
    await spine.close();
  });

  const body = (endpoint: string, end?: string) => ({
    resourceType: 'Subscription', status: 'requested', reason: '', criteria: `eventType=${TYPE}`,
    channel: { type: 'rest-hook', endpoint, payload: 'application/json' }, ...(end === undefined ? {} : { end }),
  });
  const publish = async (subject: string) => {
    const res = await api(spine, token, 'POST', '/multicast-notification-service/events',
      { specversion: '1.0', id: randomUUID(), source: 'urn:test', type: TYPE, time: new Date().toISOString(), subject }, { 'content-type': 'application/json' });
    assert.equal(res.status, 200, res.text);
    return res.json.id as string;
  };
  const idsReceived = (r: Receiver) => r.received.map((x) => JSON.parse(x.body).id as string);

  it('an end already past is refused on create and on replace (400 end), nothing stored', async () => {
    const before = (await spine.ctx.db.query('SELECT count(*)::int AS n FROM events.subscriptions')).rows[0].n;
    // The spec's own example end.
    const refused = await api(spine, token, 'POST', SUBSCRIPTIONS, body(receiver.url, '2022-04-05T17:31:00.000Z'));
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(refused.json, { validationErrors: { end: 'Subscription end (2022-04-05T17:31:00.000Z) has passed: a subscription must end in the future' } });
    assert.equal((await spine.ctx.db.query('SELECT count(*)::int AS n FROM events.subscriptions')).rows[0].n, before);

    const end = new Date(Date.now() + 3_600_000).toISOString();
    const created = await api(spine, token, 'POST', SUBSCRIPTIONS, body(`${receiver.url}?later`, end));
    assert.equal(created.status, 201, created.text);
    const path = `${SUBSCRIPTIONS}/${created.json.id}`;
    const read = (await api(spine, token, 'GET', path)).json;
    assert.deepEqual([read.end, read.status], [end, 'active']);
    const replaced = await api(spine, token, 'PUT', path, body(`${receiver.url}?later`, new Date(Date.now() - 1_000).toISOString()));
    assert.equal(replaced.status, 400, replaced.text);
    assert.deepEqual(Object.keys(replaced.json.validationErrors), ['end']);
    assert.equal((await api(spine, token, 'GET', path)).json.end, end, 'the refused replace changed nothing');
    assert.equal((await api(spine, token, 'DELETE', path)).status, 204);
  });

  it('events before the end are delivered, none after it; a delivery still retrying at the end is dead-lettered, not sent', async () => {
    const own = await startReceiver();
    others.push(own);
    const end = new Date(Date.now() + 4_000);
    const created = await api(spine, token, 'POST', SUBSCRIPTIONS, body(own.url, end.toISOString()));
    assert.equal(created.status, 201, created.text);
    const id = created.json.id as string;

    const first = await publish('9000000017');
    await waitFor('the event before the end', () => idsReceived(own).includes(first));
    // Refused until after the end: the second event waits out retries past it.
    own.failWith = 503;
    const second = await publish('9000000033');
    await waitFor('a refused attempt', () => own.refused.length > 0);
    await new Promise((r) => setTimeout(r, Math.max(0, end.getTime() - Date.now()) + 200));
    own.failWith = undefined;
    const third = await publish('9000000017');

    const dead = await waitFor('the retrying delivery dead-lettered', async () => {
      const res = await api(spine, token, 'GET', `/admin/events/deliveries?status=dead&subscription=${id}`);
      return res.json.deliveries.length ? res.json.deliveries : undefined;
    }, 10_000);
    assert.deepEqual(dead.map((d: { eventId: string; lastError: string }) => [d.eventId, d.lastError]), [[second, 'subscription ended']]);
    // Read back, it is off (FHIR: the server turns a subscription off at its end), in the list too.
    assert.equal((await api(spine, token, 'GET', `${SUBSCRIPTIONS}/${id}`)).json.status, 'off');
    assert.equal((await api(spine, token, 'GET', SUBSCRIPTIONS)).json.entry.find((s: { id: string }) => s.id === id).status, 'off');
    // Another subscription to the same type hears of a later event, so the relay has routed the third by now.
    const witness = await startReceiver();
    others.push(witness);
    const other = await api(spine, token, 'POST', SUBSCRIPTIONS, body(witness.url));
    assert.equal(other.status, 201, other.text);
    const fourth = await publish('9000000033');
    await waitFor('the witness\'s event', () => idsReceived(witness).includes(fourth));
    assert.deepEqual(idsReceived(own), [first], 'nothing reaches the subscription after its end');
    const routed = await spine.ctx.db.query('SELECT event_id FROM events.deliveries WHERE subscription_ids @> ARRAY[$1::uuid] ORDER BY id', [id]);
    assert.deepEqual(routed.rows.map((r) => r.event_id), [first, second], `the third (${third}) is not routed to it`);

    // Replays reach no further than the end: a dead letter sent again dies again, a replay from a point in time makes nothing.
    const replayed = await api(spine, token, 'POST', '/admin/events/deliveries/$replay', { subscription: id }, { 'content-type': 'application/json' });
    assert.deepEqual(replayed.json, { replayed: 1 });
    await waitFor('the replayed dead letter dead again', async () => (await spine.ctx.db.query(
      `SELECT 1 FROM events.deliveries WHERE subscription_ids @> ARRAY[$1::uuid] AND status = 'dead' AND attempts = 1`, [id])).rowCount === 1 || undefined);
    const since = await api(spine, token, 'POST', `/admin/events/subscriptions/${id}/$replay`, { since: new Date(Date.now() - 60_000).toISOString() }, { 'content-type': 'application/json' });
    assert.deepEqual(since.json, { replayed: 0 });
    assert.deepEqual(idsReceived(own), [first]);
  });

  it('a NEMS Subscription past its end reads back off', async () => {
    const criteria = '/Bundle?type=message&amp;Patient.identifier=http://fhir.nhs.net/Id/nhs-number|9000000009&amp;MessageHeader.event=pds-death-notification-1';
    const xml = `<Subscription xmlns="http://hl7.org/fhir"><status value="requested"/><contact><system value="url"/><value value="https://directory.spineservices.nhs.uk/STU3/Organization/A83008"/><use value="work"/></contact><end value="${new Date(Date.now() + 1_500).toISOString()}"/><reason value="r"/><criteria value="${criteria}"/><channel><type value="message"/><endpoint value="A83008MB01"/></channel></Subscription>`;
    const created = await api(spine, token, 'POST', '/nems/STU3/Subscription', xml, { 'content-type': 'application/fhir+xml' });
    assert.equal(created.status, 201, created.text);
    const path = new URL(created.headers.get('location')!).pathname;
    assert.equal((await api(spine, token, 'GET', `${path}?_format=json`)).json.status, 'active');
    await new Promise((r) => setTimeout(r, 1_700));
    assert.equal((await api(spine, token, 'GET', `${path}?_format=json`)).json.status, 'off');
  });
});
