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

/** Found by probing: a replace (PUT) that turned a MESH subscription into a webhook answered 204, and the secret it minted was never seen. */
describe('MNS subscriptions: a replace that makes a webhook', () => {
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
});
