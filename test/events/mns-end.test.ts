import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { FAST_RELAY_ENV, api, startReceiver, waitFor, type Receiver } from './support.js';

const SUBSCRIPTIONS = '/multicast-notification-service/subscriptions';
const TYPE = 'imms-vaccination-record-change-1';

/**
 * A subscription's `end`. MNS's (create-or-update-subscription-body.yaml: "Optional expiry date/time
 * for the subscription", which "under the current implementation ... is not used") is kept and shown,
 * not acted on, so a client sending the spec's example (2022's end) gets its events as from MNS.
 * NEMS's is acted on: routing, retries, replays and reads all stop at it (the relay reads a
 * subscription's end whatever its API).
 */
describe('a subscription\'s end: MNS keeps it, NEMS acts on it', () => {
  let spine: TestSpine;
  let token: string;
  const others: Receiver[] = [];

  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true }, env: FAST_RELAY_ENV });
    token = (await createAppAndToken(spine, { activities: ['events:subscribe', 'events:publish', 'events:admin'] })).token;
  });
  after(async () => {
    for (const r of others) await r.close();
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

  it('MNS: the spec\'s example end (2022\'s) is taken, shown as sent, and its events still delivered, as MNS does not use end', async () => {
    const own = await startReceiver();
    others.push(own);
    const created = await api(spine, token, 'POST', SUBSCRIPTIONS, body(own.url, '2022-04-05T17:31:00.000Z'));
    assert.equal(created.status, 201, created.text);
    const path = `${SUBSCRIPTIONS}/${created.json.id}`;
    const read = (await api(spine, token, 'GET', path)).json;
    assert.deepEqual([read.end, read.status], ['2022-04-05T17:31:00.000Z', 'active']);
    const listed = (await api(spine, token, 'GET', SUBSCRIPTIONS)).json.entry.find((s: { id: string }) => s.id === created.json.id);
    assert.deepEqual([listed.end, listed.status], ['2022-04-05T17:31:00.000Z', 'active']);
    const event = await publish('9000000017');
    await waitFor('the event, past the end', () => idsReceived(own).includes(event));
    const replaced = await api(spine, token, 'PUT', path, body(own.url, new Date(Date.now() - 1_000).toISOString()));
    assert.equal(replaced.status, 204, replaced.text);
    assert.equal((await api(spine, token, 'DELETE', path)).status, 204);
  });

  it('NEMS\'s end, in the relay: events before it are delivered, none after it; a delivery still retrying at it is dead-lettered, not sent', async () => {
    const own = await startReceiver();
    others.push(own);
    // The relay acts on a subscription's end whatever its API; NEMS's delivers to MESH, which a test
    // cannot make refuse, so the end is put on an MNS webhook subscription's row, as NEMS stores one.
    const end = new Date(Date.now() + 4_000);
    const created = await api(spine, token, 'POST', SUBSCRIPTIONS, body(own.url));
    assert.equal(created.status, 201, created.text);
    const id = created.json.id as string;
    await spine.ctx.db.query('UPDATE events.subscriptions SET ends_at = $2 WHERE id = $1', [id, end]);

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
