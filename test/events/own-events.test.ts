import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { sweepExpiredMessages } from '../../src/services/messaging/index.js';
import { MB1, MB2, MB3, mesh } from '../messaging/support/mesh-client.js';
import { call as nrlCall, pointerBody, nextNhsNumber, MENTAL_HEALTH_CRISIS_PLAN } from '../record-locator/support.js';
import { ACUTE, example } from '../prescriptions/support.js';
import { FAST_RELAY_ENV, api, startReceiver, waitFor, type Receiver } from './support.js';

const SUBSCRIPTIONS = '/multicast-notification-service/subscriptions';
const WORKFLOW = 'OPENSPINE_EVENTS_TEST';

/**
 * OpenSpine's own event types (no NHS England event exists for them), end to end: the service's
 * change writes its outbox event, the relay routes it, and MNS subscriptions receive it both at a
 * webhook and in a MESH mailbox.
 */
describe('OpenSpine\'s own event types reach MNS subscribers by webhook and by MESH', () => {
  let spine: TestSpine;
  let receiver: Receiver;
  let token: string;
  const meshBodies: Array<{ workflow: string | null; body: any }> = [];

  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true }, env: FAST_RELAY_ENV });
    receiver = await startReceiver();
    token = (await createAppAndToken(spine)).token;
    for (const type of ['openspine-prescription-status-change-1', 'openspine-nrl-pointer-created-1', 'openspine-nrl-pointer-updated-1',
      'openspine-nrl-pointer-deleted-1']) {
      for (const channel of [{ type: 'rest-hook', endpoint: receiver.url }, { type: 'message', endpoint: `mesh://${MB3}?workflow_id=${WORKFLOW}` }]) {
        const created = await api(spine, token, 'POST', SUBSCRIPTIONS, {
          resourceType: 'Subscription', status: 'requested', reason: 'own events', criteria: `eventType=${type}`, channel: { ...channel, payload: 'application/json' },
        });
        assert.equal(created.status, 201, created.text);
      }
    }
  });
  after(async () => {
    await receiver.close();
    await spine.close();
  });

  const hooked = (type: string, match: (event: any) => boolean = () => true) =>
    waitFor(`a ${type} webhook call`, () => receiver.received.map((r) => ({ headers: r.headers, event: JSON.parse(r.body) }))
      .find((r) => r.event.type === type && match(r.event)));
  /** Collects what MESH holds for MB3 (and acknowledges it), then finds the event. */
  const meshed = (type: string, match: (event: any) => boolean = () => true) => waitFor(`a ${type} MESH message`, async () => {
    const listed = ((await (await mesh(spine.url, `/${MB3}/inbox`, { version: 2 })).json()) as { messages: string[] }).messages;
    for (const id of listed) {
      const message = await mesh(spine.url, `/${MB3}/inbox/${id}`, { version: 2 });
      meshBodies.push({ workflow: message.headers.get('mex-workflowid'), body: JSON.parse(await message.text()) });
      await mesh(spine.url, `/${MB3}/inbox/${id}/status/acknowledged`, { method: 'PUT', version: 2 });
    }
    return meshBodies.find((m) => m.body.type === type && match(m.body));
  });

  it('a prescription issued and released: openspine-prescription-status-change-1, per transition, with the tracking dataref', async () => {
    const order = example(`${ACUTE}1-Process-Request-Send-200_OK.json`);
    const issued = await fetch(`${spine.url}/fhir-prescribing/FHIR/R4/$process-message`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(order) });
    assert.equal(issued.status, 200, await issued.text());
    const release = example('spec/dispensing/release/acute-primary-example-req.json');
    const released = await fetch(`${spine.url}/fhir-dispensing/FHIR/R4/Task/$release`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(release) });
    assert.equal(released.status, 200, await released.text());
    const nhsNumber = order.entry.find((e: any) => e.resource.resourceType === 'Patient').resource.identifier[0].value;

    const type = 'openspine-prescription-status-change-1';
    const created = await hooked(type, (e) => e.filtering.transition === 'created');
    assert.deepEqual(created.event.filtering, { transition: 'created', status: 'to-be-dispensed', prescriptionid: '24F5DA-A83008-7EFE6Z', nominatedpharmacy: 'FA565' });
    assert.equal(created.event.subject, nhsNumber);
    assert.equal(created.event.source, `${spine.url}/fhir-prescribing/FHIR/R4`);
    assert.equal(created.event.dataref, `${spine.url}/fhir-prescribing/FHIR/R4/Task?focus:identifier=24F5DA-A83008-7EFE6Z`);
    const releasedEvent = await hooked(type, (e) => e.filtering.transition === 'released');
    assert.equal(releasedEvent.event.filtering.status, 'with-dispenser');
    assert.ok(releasedEvent.event.filtering.dispenser, 'the releasing pharmacy');
    assert.ok(receiver.received.indexOf(receiver.received.find((r) => JSON.parse(r.body).id === created.event.id)!)
      < receiver.received.indexOf(receiver.received.find((r) => JSON.parse(r.body).id === releasedEvent.event.id)!), 'in order for the patient');

    const overMesh = await meshed(type, (e) => e.filtering.transition === 'released');
    assert.equal(overMesh.workflow, WORKFLOW);
    assert.deepEqual(overMesh.body, releasedEvent.event, 'the same CloudEvent on both channels');
  });

  it('an NRL pointer created, updated and deleted: one event type each, filtering on custodian and type', async () => {
    // Sandbox mode: the NRL sandbox caller, acting for one of the test organisations it may produce for.
    const identity = { 'nhsd-end-user-organisation-ods': 'Y05868' };
    const nhsNumber = nextNhsNumber();
    const created = await nrlCall(spine, 'POST', '/producer/FHIR/R4/DocumentReference', identity, { body: pointerBody('Y05868', nhsNumber) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.headers.get('location')!.split('/').pop()!;
    const read = await nrlCall(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, identity);
    const updated = await nrlCall(spine, 'PUT', `/producer/FHIR/R4/DocumentReference/${id}`, identity, { body: { ...read.body, docStatus: 'amended' } });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    const deleted = await nrlCall(spine, 'DELETE', `/producer/FHIR/R4/DocumentReference/${id}`, identity);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));

    const order: string[] = [];
    for (const action of ['created', 'updated', 'deleted']) {
      const type = `openspine-nrl-pointer-${action}-1`;
      const got = await hooked(type, (e) => e.subject === nhsNumber);
      assert.equal(got.event.dataref, `${spine.url}/record-locator/consumer/FHIR/R4/DocumentReference/${id}`);
      assert.deepEqual(got.event.filtering, { custodian: 'Y05868', type: MENTAL_HEALTH_CRISIS_PLAN });
      assert.equal(got.headers['x-openspine-event-type'], type);
      order.push(got.event.id);
      const overMesh = await meshed(type, (e) => e.subject === nhsNumber);
      assert.equal(overMesh.workflow, WORKFLOW);
      assert.equal(overMesh.body.id, got.event.id);
    }
    const positions = order.map((eventId) => receiver.received.findIndex((r) => JSON.parse(r.body).id === eventId));
    assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'created, updated, deleted arrive in that order');
  });

  it('a MESH message that expires undelivered: openspine-mesh-message-expired-1 to the sender\'s organisation only, never another\'s', async () => {
    const type = 'openspine-mesh-message-expired-1';
    // The sandbox mailboxes X26ABC1-3 belong to organisation X26; the other subscriber is A83008's.
    const sendersOrg = await createAppAndToken(spine, { odsCode: 'X26' });
    const sendersHook = await startReceiver();
    const subscribe = async (as: string, channel: { type: string; endpoint: string }) => {
      const created = await api(spine, as, 'POST', SUBSCRIPTIONS, {
        resourceType: 'Subscription', status: 'requested', reason: 'expiry', criteria: `eventType=${type}`, channel: { ...channel, payload: 'application/json' },
      });
      assert.equal(created.status, 201, created.text);
      return created.json.id as string;
    };
    const own = [await subscribe(sendersOrg.token, { type: 'rest-hook', endpoint: sendersHook.url }),
      await subscribe(sendersOrg.token, { type: 'message', endpoint: `mesh://${MB3}?workflow_id=${WORKFLOW}` })];
    const othersHook = await subscribe(token, { type: 'rest-hook', endpoint: receiver.url });
    const othersFiltered = await subscribe(token, { type: 'rest-hook', endpoint: `${receiver.url}?by-sender` });
    // A filter on the sender does not widen what another organisation hears.
    const filtered = await api(spine, token, 'PUT', `${SUBSCRIPTIONS}/${othersFiltered}`, {
      resourceType: 'Subscription', status: 'requested', reason: 'expiry', criteria: `eventType=${type} AND sender=${MB1}`,
      channel: { type: 'rest-hook', endpoint: `${receiver.url}?by-sender`, payload: 'application/json' },
    });
    assert.equal(filtered.status, 204, filtered.text);

    try {
      const sent = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 2, body: 'never collected', headers: { 'mex-to': MB2, 'mex-workflowid': 'TEST_WORKFLOW', 'mex-localid': 'expire-me' } });
      assert.equal(sent.status, 202, await sent.clone().text());
      const messageId = ((await sent.json()) as { message_id: string }).message_id;
      // Five days pass for this message (the sweep reads the expiry time it was given).
      await spine.ctx.db.query(`UPDATE messaging.inbox SET expires_at = now() - interval '1 minute' WHERE message_id = $1`, [messageId]);
      const swept = await sweepExpiredMessages(spine.ctx);
      assert.equal(swept.expired, 1);

      const got = await waitFor('the expiry at the sender organisation\'s webhook', () => sendersHook.received.map((r) => JSON.parse(r.body)).find((e) => e.type === type));
      assert.deepEqual(got.filtering, { sender: MB1, recipient: MB2 });
      assert.equal(got.source, `${spine.url}/messageexchange`);
      assert.equal(got.subject, undefined, 'about no patient');
      const overMesh = await meshed(type);
      assert.equal(overMesh.body.id, got.id);
      // An event's deliveries are made together, in one routing transaction: by now every one exists.
      const made = await spine.ctx.db.query(`SELECT subscription_ids::text[] AS subs FROM events.deliveries WHERE event_id = $1`, [got.id]);
      assert.deepEqual(made.rows.flatMap((r) => r.subs).sort(), [...own].sort(), 'only the sender organisation\'s subscriptions');
      assert.equal(receiver.received.filter((r) => JSON.parse(r.body).type === type).length, 0, 'another organisation heard nothing');
      for (const id of [othersHook, othersFiltered]) assert.equal((await api(spine, token, 'DELETE', `${SUBSCRIPTIONS}/${id}`)).status, 204);
    } finally {
      await sendersHook.close();
    }
  });
});
