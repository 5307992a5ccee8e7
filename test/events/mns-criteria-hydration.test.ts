import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { FAST_RELAY_ENV, api } from './support.js';

const SUBSCRIPTIONS = '/multicast-notification-service/subscriptions';
// Demo directory: A83008MB01 is organisation A83008's mailbox.
const MAILBOX = 'A83008MB01';

const subscription = (criteria: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Subscription', status: 'requested', reason: 'test', criteria,
  channel: { type: 'message', endpoint: `mesh://${MAILBOX}?workflow_id=WF_CRITERIA`, payload: 'application/json' }, ...extra,
});

/**
 * Gaps left by an earlier session: a filter with an empty value (`generalpractitioner=''`) was stored
 * and matched nothing, silently, for ever; and `hydration: {enabled: true}` was accepted (201) and
 * ignored, so the subscriber, who asked for the resource beside each signal because it cannot fetch
 * it, got bare signals. OpenSpine hydrates no event type (MNS offers it "for selected event types").
 */
describe('MNS subscriptions: empty filter values and hydration are refused, naming the field', () => {
  let spine: TestSpine;
  let token: string;

  before(async () => {
    spine = await startTestSpine({ env: FAST_RELAY_ENV });
    token = (await createAppAndToken(spine, { odsCode: 'A83008' })).token;
  });
  after(async () => { await spine.close(); });

  const stored = async () => (await spine.ctx.db.query(`SELECT count(*)::int AS n FROM events.subscriptions WHERE deleted_at IS NULL`)).rows[0].n as number;

  it('a filter with an empty or blank value is 400 {validationErrors: {criteria}}, on create and on replace, and nothing is stored', async () => {
    for (const [criteria, key] of [
      ["eventType='pds-change-of-gp-2' AND generalpractitioner=''", 'generalpractitioner'],
      ['eventType=pds-change-of-gp-2 AND generalpractitioner=', 'generalpractitioner'],
      ["eventType='pds-change-of-gp-2' AND generalpractitioner='B86030' AND registrationencountercode='  '", 'registrationencountercode'],
    ] as const) {
      const refused = await api(spine, token, 'POST', SUBSCRIPTIONS, subscription(criteria));
      assert.equal(refused.status, 400, `${criteria}: ${refused.text}`);
      assert.deepEqual(refused.json, { validationErrors: { criteria: `Filter '${key}' has no value` } }, criteria);
    }
    assert.equal(await stored(), 0);

    const made = await api(spine, token, 'POST', SUBSCRIPTIONS, subscription("eventType='pds-change-of-gp-2' AND generalpractitioner='B86030'"));
    assert.equal(made.status, 201, made.text);
    const replaced = await api(spine, token, 'PUT', `${SUBSCRIPTIONS}/${made.json.id}`, subscription("eventType='pds-change-of-gp-2' AND generalpractitioner=''"));
    assert.equal(replaced.status, 400, replaced.text);
    assert.deepEqual(replaced.json, { validationErrors: { criteria: "Filter 'generalpractitioner' has no value" } });
    const read = await api(spine, token, 'GET', `${SUBSCRIPTIONS}/${made.json.id}`);
    assert.equal(read.json.criteria, "eventType='pds-change-of-gp-2' AND generalpractitioner='B86030'");
    assert.equal((await api(spine, token, 'DELETE', `${SUBSCRIPTIONS}/${made.json.id}`)).status, 204);
  });

  it('hydration enabled is 400 {validationErrors: {hydration.enabled}} on create and on replace; disabled (MNS\'s default) is accepted', async () => {
    const hydrated = { hydration: { enabled: true, headers: { custom_header_1: 'custom_value_1' } } };
    const refused = await api(spine, token, 'POST', SUBSCRIPTIONS, subscription('eventType=pds-death-notification-2', hydrated));
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(refused.json, { validationErrors: { 'hydration.enabled': "Hydration is not available for eventType 'pds-death-notification-2'" } });
    assert.equal(await stored(), 0);

    const plain = await api(spine, token, 'POST', SUBSCRIPTIONS, subscription('eventType=pds-death-notification-2', { hydration: { enabled: false } }));
    assert.equal(plain.status, 201, plain.text);
    const replaced = await api(spine, token, 'PUT', `${SUBSCRIPTIONS}/${plain.json.id}`, subscription('eventType=pds-death-notification-2', hydrated));
    assert.equal(replaced.status, 400, replaced.text);
    assert.deepEqual(Object.keys(replaced.json.validationErrors), ['hydration.enabled']);

    const notBoolean = await api(spine, token, 'POST', SUBSCRIPTIONS, subscription('eventType=pds-record-change-2', { hydration: { enabled: 'true' } }));
    assert.equal(notBoolean.status, 400, notBoolean.text);
    assert.equal(await stored(), 1);
  });
});
