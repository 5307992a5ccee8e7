import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { verifySignature } from '../../src/services/events/domain/signing.js';
import { FAST_RELAY_ENV, api, changeGp, startReceiver, waitFor, type Receiver } from './support.js';

const SUBSCRIPTIONS = '/multicast-notification-service/subscriptions';
// Demo directory: A83008MB01 is organisation A83008's mailbox.
const MAILBOX = 'A83008MB01';

const body = (criteria: string, type: 'message' | 'rest-hook', endpoint: string) =>
  ({ resourceType: 'Subscription', status: 'requested', reason: 'test', criteria, channel: { type, endpoint, payload: 'application/json' } });

/**
 * Found by probing: a replace (PUT) that turned a MESH subscription into a webhook answered 204, and the
 * secret it minted was never seen; and a copy of a subscription spelt differently (mailbox case, quotes,
 * term order) was a second subscription (201), so the mailbox got every event twice; and a replace that
 * moved a webhook left the deliveries already routed retrying the old URL; and two replaces at once
 * answered one of them 500, and a replace beside a delete (204) brought the subscription back; and the
 * list wrapped each Subscription in {fullUrl, resource}, where MNS lists the Subscriptions themselves.
 */
describe('MNS subscriptions: a replace that makes a webhook, and matching subscriptions spelt differently', () => {
  let spine: TestSpine;
  let receiver: Receiver;
  let token: string;

  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true }, env: FAST_RELAY_ENV });
    receiver = await startReceiver();
    token = (await createAppAndToken(spine, { odsCode: 'A83008' })).token;
  });
  after(async () => {
    await receiver.close();
    await spine.close();
  });

  it('a replace that turns a MESH subscription into a webhook answers its new signing secret, which signs the deliveries', async () => {
    const created = await api(spine, token, 'POST', SUBSCRIPTIONS, body('eventType=pds-change-of-gp-2', 'message', `mesh://${MAILBOX}?workflow_id=WF_GP`));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.signingSecret, undefined);
    const id = created.json.id as string;

    const replaced = await api(spine, token, 'PUT', `${SUBSCRIPTIONS}/${id}`, body('eventType=pds-change-of-gp-2', 'rest-hook', receiver.url));
    assert.equal(replaced.status, 200, replaced.text);
    assert.deepEqual(Object.keys(replaced.json).sort(), ['id', 'signingSecret']);
    assert.equal(replaced.json.id, id);
    const secret = replaced.json.signingSecret as string;
    assert.match(secret, /^whsec_/);

    // A further replace of the webhook keeps that secret: 204, as MNS answers, no new secret.
    const again = await api(spine, token, 'PUT', `${SUBSCRIPTIONS}/${id}`, body("eventType=pds-change-of-gp-2 AND generalpractitioner='B86030'", 'rest-hook', receiver.url));
    assert.equal(again.status, 204, again.text);
    assert.equal(again.text, '');

    await changeGp(spine, token, '9000000009', 'B86030');
    const got = await waitFor('the webhook call', () => receiver.received.find((r) => JSON.parse(r.body).subject === '9000000009'));
    assert.ok(verifySignature(secret, got.body, got.headers['x-openspine-signature'] as string), 'signed with the secret the replace answered');
  });

  it('a subscription matching one the owner has, spelt differently (mailbox case, quotes, filter order), is refused 409', async () => {
    const first = await api(spine, token, 'POST', SUBSCRIPTIONS,
      body("eventType=pds-death-notification-2 AND a='1' AND b='2'", 'message', `mesh://${MAILBOX}?workflow_id=WF_DEATH`));
    assert.equal(first.status, 201, first.text);
    const conflict = { errors: `A matching subscription already exists with id: ${first.json.id}` };
    for (const [criteria, endpoint] of [
      ["eventType=pds-death-notification-2 AND a='1' AND b='2'", `mesh://${MAILBOX.toLowerCase()}?workflow_id=WF_DEATH`],
      ["eventType='pds-death-notification-2' AND a=1 AND b=2", `mesh://${MAILBOX}?workflow_id=WF_DEATH`],
      ["eventType=pds-death-notification-2 AND b='2' AND a='1'", `mesh://${MAILBOX}?workflow_id=WF_DEATH`],
    ]) {
      const again = await api(spine, token, 'POST', SUBSCRIPTIONS, body(criteria!, 'message', endpoint!));
      assert.equal(again.status, 409, `${criteria} ${endpoint}: ${again.text}`);
      assert.deepEqual(again.json, conflict);
    }
    // Another workflow, or another filter value, is another subscription.
    assert.equal((await api(spine, token, 'POST', SUBSCRIPTIONS, body("eventType=pds-death-notification-2 AND a='1' AND b='2'", 'message', `mesh://${MAILBOX}?workflow_id=WF_OTHER`))).status, 201);
    assert.equal((await api(spine, token, 'POST', SUBSCRIPTIONS, body("eventType=pds-death-notification-2 AND a='1' AND b='3'", 'message', `mesh://${MAILBOX}?workflow_id=WF_DEATH`))).status, 201);
    const stored = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM events.subscriptions WHERE workflow_id = 'WF_DEATH' AND deleted_at IS NULL`);
    assert.equal(stored.rows[0].n, 2);
  });

  it('a subscription saved before filters were kept in key order (8511ce8) is matched by a copy with its terms reordered: 409', async () => {
    const sent = "eventType=pds-death-notification-2 AND d='4' AND c='3'";
    const first = await api(spine, token, 'POST', SUBSCRIPTIONS, body(sent, 'message', `mesh://${MAILBOX}?workflow_id=WF_BEFORE`));
    assert.equal(first.status, 201, first.text);
    // As the release before 8511ce8 stored it: the filters in the order sent.
    await spine.ctx.db.query(`UPDATE events.subscriptions SET rule = $2 WHERE id = $1`,
      [first.json.id, { eventType: 'pds-death-notification-2', filters: [{ key: 'd', value: '4' }, { key: 'c', value: '3' }] }]);
    for (const criteria of [sent, "eventType=pds-death-notification-2 AND c='3' AND d='4'"]) {
      const again = await api(spine, token, 'POST', SUBSCRIPTIONS, body(criteria, 'message', `mesh://${MAILBOX}?workflow_id=WF_BEFORE`));
      assert.equal(again.status, 409, `${criteria}: ${again.text}`);
      assert.deepEqual(again.json, { errors: `A matching subscription already exists with id: ${first.json.id}` });
    }
  });

  it('a replace that moves a webhook sends the deliveries already waiting to the new URL, under the same secret', async () => {
    const old = await startReceiver();
    const moved = await startReceiver();
    try {
      old.failWith = 503;
      const criteria = "eventType=pds-change-of-gp-2 AND generalpractitioner='B86031'";
      const created = await api(spine, token, 'POST', SUBSCRIPTIONS, body(criteria, 'rest-hook', old.url));
      assert.equal(created.status, 201, created.text);
      await changeGp(spine, token, '9000000017', 'B86031');
      await waitFor('a refused attempt at the old URL', () => old.refused[0]);

      const replaced = await api(spine, token, 'PUT', `${SUBSCRIPTIONS}/${created.json.id}`, body(criteria, 'rest-hook', moved.url));
      assert.equal(replaced.status, 204, replaced.text);
      const got = await waitFor('the delivery at the new URL', () => moved.received.find((r) => JSON.parse(r.body).subject === '9000000017'), 10_000);
      assert.ok(verifySignature(created.json.signingSecret, got.body, got.headers['x-openspine-signature'] as string));
      assert.equal(got.headers['idempotency-key'], `${JSON.parse(got.body).id}:${created.json.id}`);
      assert.deepEqual(old.received, []);
    } finally {
      await old.close();
      await moved.close();
    }
  });

  it('replaces and a delete at once: no 500, and a subscription whose delete answered 204 stays deleted', async () => {
    const mesh = (criteria: string) => body(criteria, 'message', `mesh://${MAILBOX}?workflow_id=WF_RACE`);
    for (let round = 0; round < 10; round++) {
      const created = await api(spine, token, 'POST', SUBSCRIPTIONS, mesh(`eventType=pds-record-change-2 AND round='${round}'`));
      assert.equal(created.status, 201, created.text);
      const path = `${SUBSCRIPTIONS}/${created.json.id}`;
      const [a, b, deleted] = await Promise.all([
        api(spine, token, 'PUT', path, mesh(`eventType=pds-record-change-2 AND round='${round}a'`)),
        api(spine, token, 'PUT', path, mesh(`eventType=pds-record-change-2 AND round='${round}b'`)),
        api(spine, token, 'DELETE', path),
      ]);
      for (const replaced of [a, b]) {
        assert.ok(replaced.status === 204 || replaced.status === 404, `round ${round}: ${replaced.status} ${replaced.text}`);
        if (replaced.status === 404) assert.deepEqual(replaced.json, { errors: 'Not found' });
      }
      assert.equal(deleted.status, 204, deleted.text);
      assert.equal((await api(spine, token, 'GET', path)).status, 404, `round ${round}: deleted, then read`);
    }
  });

  it('the list\'s entries are the Subscriptions themselves, as MNS lists them (get-all-subscriptions: entry items are Subscription)', async () => {
    const created = await api(spine, token, 'POST', SUBSCRIPTIONS, body('eventType=openspine-nrl-pointer-deleted-1', 'message', `mesh://${MAILBOX}?workflow_id=WF_LIST`));
    assert.equal(created.status, 201, created.text);
    const read = await api(spine, token, 'GET', `${SUBSCRIPTIONS}/${created.json.id}`);
    const listed = await api(spine, token, 'GET', SUBSCRIPTIONS);
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.json.resourceType, 'Bundle');
    assert.equal(listed.json.type, 'searchset');
    const entry = listed.json.entry.find((e: any) => e.id === created.json.id);
    assert.deepEqual(entry, read.json);
    for (const e of listed.json.entry) assert.equal(e.resourceType, 'Subscription');
  });
});
