import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { verifySignature } from '../../src/services/events/domain/signing.js';
import { FAST_RELAY_ENV, api, changeGp, startReceiver, waitFor, type Receiver } from './support.js';

const SUBSCRIPTIONS = '/multicast-notification-service/subscriptions';

describe('MNS subscriptions delivered to a webhook by the relay', () => {
  let spine: TestSpine;
  let receiver: Receiver;
  let token: string;

  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true }, env: { ...FAST_RELAY_ENV, OPENSPINE_EVENTS_DEAD_LETTER_AFTER_S: '2' } });
    receiver = await startReceiver();
    token = (await createAppAndToken(spine)).token;
  });
  after(async () => {
    await receiver.close();
    await spine.close();
  });

  const subscribe = (endpoint: string, criteria = 'eventType=pds-change-of-gp-2', payload = 'application/json') =>
    api(spine, token, 'POST', SUBSCRIPTIONS, { resourceType: 'Subscription', status: 'requested', reason: 'test', criteria, channel: { type: 'rest-hook', endpoint, payload } });

  it('a change of GP reaches the webhook as a signed CloudEvent with an idempotency key, and is audited as an access', async () => {
    const created = await subscribe(receiver.url);
    assert.equal(created.status, 201, created.text);
    assert.match(created.json.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.headers.get('location'), `${spine.url}${SUBSCRIPTIONS}/${created.json.id}`);
    const secret = created.json.signingSecret as string;

    await changeGp(spine, token, '9000000009', 'B86030');
    const got = await waitFor('the webhook call', () => receiver.received.find((r) => JSON.parse(r.body).subject === '9000000009'));
    const event = JSON.parse(got.body);
    assert.deepEqual(Object.keys(event).sort(), ['dataref', 'filtering', 'id', 'source', 'specversion', 'subject', 'time', 'type', 'versionid'].sort());
    assert.equal(event.type, 'pds-change-of-gp-2');
    assert.equal(event.specversion, '1.0');
    assert.equal(event.dataref, `${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`);
    assert.equal(event.filtering.generalpractitioner, 'B86030');
    assert.ok(verifySignature(secret, got.body, got.headers['x-openspine-signature'] as string), 'the body is signed with the subscription secret');
    assert.equal(got.headers['idempotency-key'], `${event.id}:${created.json.id}`);
    assert.equal(got.headers['content-type'], 'application/json');

    const audit = await waitFor('the delivery audit', async () => (await spine.ctx.db.query(
      `SELECT action, resource, nhs_numbers, detail FROM audit.events WHERE action = 'event.deliver'`)).rows[0]);
    // (Audited before the round that sent it commits: the delivery row is there, not yet marked delivered.)
    const { rows: [delivery] } = await spine.ctx.db.query(
      `SELECT id, event_id FROM events.deliveries WHERE nhs_number = '9000000009' AND subscription_ids @> ARRAY[$1::uuid]`, [created.json.id]);
    // The recipient, the patient, and the delivery itself (a round's deliveries to one recipient share a record).
    assert.deepEqual(audit, {
      action: 'event.deliver', resource: `Subscription/${created.json.id}`, nhs_numbers: ['9000000009'],
      detail: { channel: 'rest-hook', subscriptions: [created.json.id],
        deliveries: [{ id: Number(delivery.id), eventId: delivery.event_id, eventType: 'pds-change-of-gp-2', nhsNumber: '9000000009', attempts: 1 }] },
    });
    // The lag is counted once the round has committed, a moment after its audit record was written.
    const metrics = await waitFor('the delivery lag in /metrics', async () => {
      const text = await (await fetch(`${spine.url}/metrics`)).text();
      return /openspine_events_delivery_lag_seconds_count\{channel="rest-hook"\} [1-9]/.test(text) ? text : undefined;
    });
    assert.match(metrics, /openspine_events_backlog\{state="pending"\} \d+/);
  });

  it('a published event about a patient flagged S is never delivered; one about another patient is', async () => {
    const type = 'imms-vaccination-record-change-1';
    const created = await subscribe(receiver.url, `eventType=${type}`);
    assert.equal(created.status, 201, created.text);
    const publish = (subject: string) => api(spine, token, 'POST', '/multicast-notification-service/events',
      { specversion: '1.0', id: randomUUID(), source: 'urn:test', type, time: new Date().toISOString(), subject }, { 'content-type': 'application/json' });
    // The sensitive patient's first: routed in outbox order, it has been passed over once the other has arrived.
    const sensitive = await publish('9000000025');
    assert.equal(sensitive.status, 200, sensitive.text);
    const other = await publish('9000000017');
    assert.equal(other.status, 200, other.text);
    await waitFor('the other patient\'s event', () => receiver.received.find((r) => JSON.parse(r.body).type === type && JSON.parse(r.body).subject === '9000000017'));
    assert.deepEqual(receiver.received.map((r) => JSON.parse(r.body)).filter((e) => e.subject === '9000000025'), []);
  });

  it('a receiver that refuses gets retries with backoff, then the delivery is dead-lettered, visible and replayable', async () => {
    const failing = await startReceiver();
    failing.failWith = 503;
    const created = await subscribe(failing.url, 'eventType=pds-record-change-2', 'application/fhir+json');
    assert.equal(created.status, 201, created.text);
    await changeGp(spine, token, '9000000017', 'B86031');
    const dead = await waitFor('the dead letter', async () => {
      const res = await api(spine, token, 'GET', `/admin/events/deliveries?status=dead&subscription=${created.json.id}`);
      return res.json.deliveries.length ? res.json.deliveries : undefined;
    });
    assert.equal(dead.length, 1);
    assert.ok(dead[0].attempts >= 2, `retried before dead-lettering (${dead[0].attempts} attempts)`);
    assert.equal(dead[0].lastError, 'webhook answered 503');
    failing.failWith = undefined;
    const replay = await api(spine, token, 'POST', '/admin/events/deliveries/$replay', { subscription: created.json.id }, { 'content-type': 'application/json' });
    assert.deepEqual(replay.json, { replayed: 1 });
    const got = await waitFor('the replayed delivery', () => failing.received[0]);
    const signal = JSON.parse(got.body);
    assert.equal(signal.resourceType, 'Bundle');
    assert.equal(signal.type, 'history');
    const params = signal.entry[0].resource.parameter;
    assert.equal(params[0].valueReference.reference, `${spine.url}${SUBSCRIPTIONS}/${created.json.id}`);
    assert.equal(params[4].part[0].valueString, 'pds-record-change-2');
    assert.equal(got.headers['idempotency-key'], dead[0].idempotencyKey, 'a replay carries the same idempotency key');
    await failing.close();
  });

  it('replay from a point in time sends the events again to that subscription only', async () => {
    const late = await startReceiver();
    const since = new Date(Date.now() - 60_000).toISOString();
    const created = await subscribe(late.url, 'eventType=pds-change-of-gp-2 AND generalpractitioner=\'B86030\'');
    assert.equal(created.status, 201, created.text);
    const replay = await api(spine, token, 'POST', `/admin/events/subscriptions/${created.json.id}/$replay`, { since }, { 'content-type': 'application/json' });
    assert.equal(replay.status, 200, replay.text);
    assert.equal(replay.json.replayed, 1, 'the one earlier change to B86030 (not the one to B86031)');
    const got = await waitFor('the replayed event', () => late.received[0]);
    assert.equal(JSON.parse(got.body).subject, '9000000009');
    await late.close();
  });

  it('subscriptions are read, listed and deleted by their owner only; each is audited', async () => {
    const created = await subscribe(receiver.url, 'eventType=openspine-nrl-pointer-created-1');
    const id = created.json.id;
    const read = await api(spine, token, 'GET', `${SUBSCRIPTIONS}/${id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.json, { resourceType: 'Subscription', id, status: 'active', reason: 'test', criteria: 'eventType=openspine-nrl-pointer-created-1', channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/json' } });
    const other = (await createAppAndToken(spine)).token;
    assert.equal((await api(spine, other, 'GET', `${SUBSCRIPTIONS}/${id}`)).status, 404);
    const list = await api(spine, token, 'GET', SUBSCRIPTIONS);
    assert.ok(list.json.entry.some((e: any) => e.id === id));
    assert.equal((await api(spine, token, 'GET', `${SUBSCRIPTIONS}/not-a-uuid`)).json.errors, 'Please provide a valid subscription ID in UUID4 format');
    assert.equal((await api(spine, token, 'DELETE', `${SUBSCRIPTIONS}/${id}`)).status, 204);
    assert.equal((await api(spine, token, 'DELETE', `${SUBSCRIPTIONS}/${id}`)).status, 404);
    const audited = await spine.ctx.db.query(`SELECT action FROM audit.events WHERE resource = $1 ORDER BY seq`, [`Subscription/${id}`]);
    assert.deepEqual(audited.rows.map((r) => r.action), ['subscription.create', 'subscription.read', 'subscription.delete']);
  });

  it('refuses bad subscriptions in MNS\'s shapes: schema, criteria, endpoint, duplicates', async () => {
    const noType = await api(spine, token, 'POST', SUBSCRIPTIONS, { resourceType: 'Patient', status: 'requested', reason: '', criteria: 'eventType=pds-change-of-gp-2', channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/json' } });
    assert.equal(noType.status, 400);
    assert.ok(noType.json.validationErrors.resourceType, JSON.stringify(noType.json));
    const badType = await subscribe(receiver.url, 'eventType=no-such-event-1');
    assert.deepEqual(badType.json, { validationErrors: { criteria: "Unknown eventType 'no-such-event-1'" } });
    const remote = await subscribe('http://example.com/hook');
    assert.equal(remote.status, 400);
    assert.ok(remote.json.validationErrors['channel.endpoint']);
    const first = await subscribe(receiver.url, 'eventType=openspine-mesh-message-expired-1');
    const again = await subscribe(receiver.url, 'eventType=openspine-mesh-message-expired-1');
    assert.equal(again.status, 409);
    assert.deepEqual(again.json, { errors: `A matching subscription already exists with id: ${first.json.id}` });
    const noCorrelation = await fetch(`${spine.url}${SUBSCRIPTIONS}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(noCorrelation.status, 400);
  });
});

describe('MNS webhooks outside sandbox mode reach public addresses only', () => {
  let spine: TestSpine;
  let token: string;
  before(async () => {
    spine = await startTestSpine({ env: { ...FAST_RELAY_ENV, OPENSPINE_EVENTS_WEBHOOK_NETWORKS: '10.20.0.0/16' } });
    token = (await createAppAndToken(spine)).token;
  });
  after(() => spine.close());

  const subscribe = (endpoint: string, criteria = 'eventType=pds-change-of-gp-2') =>
    api(spine, token, 'POST', SUBSCRIPTIONS, { resourceType: 'Subscription', status: 'requested', reason: 'test', criteria, channel: { type: 'rest-hook', endpoint, payload: 'application/json' } });

  it('refuses loopback, private, link-local and metadata addresses, and names for loopback; stores none of them', async () => {
    for (const endpoint of ['https://127.0.0.1:9399/hook', 'https://169.254.169.254/latest/meta-data/', 'https://10.0.0.1/', 'https://[::1]:9399/x',
      'https://0.0.0.0:9399/x', 'https://[::ffff:10.0.0.1]/', 'https://localhost/hook', 'https://2130706433/']) {
      const refused = await subscribe(endpoint);
      assert.equal(refused.status, 400, `${endpoint}: ${refused.text}`);
      assert.deepEqual(refused.json, { validationErrors: { 'channel.endpoint': 'Please provide a valid endpoint: a webhook may not be sent to a loopback, private, link-local or other internal address' } }, endpoint);
    }
    const stored = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM events.subscriptions`);
    assert.equal(stored.rows[0].n, 0);
  });

  it('refuses the special-purpose blocks not globally reachable: IPv6 documentation, SRv6 SIDs, dummy, IPv4 inside IPv6', async () => {
    for (const endpoint of ['https://[3fff::1]/hook', 'https://[3fff:fff:ffff::1]/', 'https://[5f00::1]/hook', 'https://[5f00:ffff::abcd]/', 'https://[100:0:0:1::1]/',
      'https://[::127.0.0.1]/', 'https://[::ffff:0:10.0.0.1]/', 'https://[64:ff9b::a9fe:a9fe]/']) {
      const refused = await subscribe(endpoint);
      assert.equal(refused.status, 400, `${endpoint}: ${refused.text}`);
      assert.deepEqual(refused.json, { validationErrors: { 'channel.endpoint': 'Please provide a valid endpoint: a webhook may not be sent to a loopback, private, link-local or other internal address' } }, endpoint);
    }
    const stored = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM events.subscriptions`);
    assert.equal(stored.rows[0].n, 0);
  });

  it('refuses an endpoint with whitespace around or inside it (RFC 3986: no URI has any) as it refuses any endpoint that is not a URL', async () => {
    for (const endpoint of [' https://receiver.example.org/hook', 'https://receiver.example.org/hook ', '\thttps://receiver.example.org/hook', 'https://receiver.example.org/hook\n',
      'https://receiver.exam\tple.org/hook', 'https://receiver.example.org/ho\nok', 'https://receiver.example.org/a b', '\u0001https://receiver.example.org/hook']) {
      const refused = await subscribe(endpoint);
      assert.equal(refused.status, 400, `${JSON.stringify(endpoint)}: ${refused.text}`);
      assert.deepEqual(refused.json, { validationErrors: { 'channel.endpoint': 'Please provide a valid endpoint: an https:// URL' } }, JSON.stringify(endpoint));
    }
    const stored = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM events.subscriptions`);
    assert.equal(stored.rows[0].n, 0);
  });

  it('takes a public address, a name, and the networks the deployment names', async () => {
    for (const [i, endpoint] of ['https://receiver.example.org/hook', 'https://8.8.8.8/hook', 'https://10.20.3.4/hook'].entries()) {
      const taken = await subscribe(endpoint, ['eventType=pds-change-of-gp-2', 'eventType=openspine-mesh-message-expired-1', 'eventType=openspine-nrl-pointer-created-1'][i]);
      assert.equal(taken.status, 201, `${endpoint}: ${taken.text}`);
    }
  });
});
