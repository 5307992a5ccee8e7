import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { MATCHING_NEMS_SUBSCRIPTION } from '../../src/services/events/store/subscriptions.js';
import { api, nemsSubscriptionXml } from './support.js';

/**
 * NEMS refuses a second identical subscription (409 DUPLICATE_REJECTED) by looking for the
 * organisation's live subscriptions to the mailbox: with thousands of other organisations'
 * subscriptions stored, that look-up is one descent of an index, not a read of the table.
 */
describe('NEMS duplicate check among many subscriptions', () => {
  let spine: TestSpine;
  let token: string;
  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true } });
    token = (await createAppAndToken(spine, { odsCode: 'A83008' })).token;
    await directoryApi(spine.ctx.db).upsertMailbox({ mailboxId: 'A83008NEMS1', mailboxName: 'Test practice NEMS', odsCode: 'A83008', orgCode: 'A83008', password: 'password', active: true });
    // 20,000 live subscriptions of 2,000 other organisations, each to its own mailbox.
    await spine.ctx.db.query(`
      INSERT INTO events.subscriptions (id, api, owner_app_id, owner_ods, criteria, rule, event_types, channel, endpoint, mailbox, resource, created_at)
      SELECT gen_random_uuid(), 'nems', 'other-app', 'Y' || lpad((i % 2000)::text, 5, '0'), 'c', '{"events":["vaccinations-1"]}', ARRAY['openspine-none-1'],
             'mesh', 'MB' || i, 'MB' || i, '{}', now()
      FROM generate_series(1, 20000) AS i`);
    await spine.ctx.db.query('ANALYZE events.subscriptions');
  });
  after(async () => spine.close());

  it('a second identical subscription is 409 DUPLICATE_REJECTED, found through the owner and mailbox index', async () => {
    const criteria = '/Bundle?type=message&subscriptionRuleType=GP_GP_GP&Organization.identifier=A83008&MessageHeader.event=pds-death-notification-1';
    const xml = { 'content-type': 'application/fhir+xml', accept: 'application/fhir+json' };
    const first = await api(spine, token, 'POST', '/nems/STU3/Subscription', nemsSubscriptionXml(criteria), xml);
    assert.equal(first.status, 201, first.text);
    const second = await api(spine, token, 'POST', '/nems/STU3/Subscription', nemsSubscriptionXml(criteria, 'a83008nems1'), xml);
    assert.equal(second.status, 409, second.text);
    assert.equal(second.json.issue[0].details.coding[0].code, 'DUPLICATE_REJECTED');

    const rule = (await spine.ctx.db.query(`SELECT rule FROM events.subscriptions WHERE owner_ods = 'A83008'`)).rows[0].rule;
    const { rows } = await spine.ctx.db.query(`EXPLAIN (FORMAT JSON) ${MATCHING_NEMS_SUBSCRIPTION}`, ['a83008', JSON.stringify(rule), 'A83008NEMS1']);
    const plan = JSON.stringify(rows[0]['QUERY PLAN']);
    assert.match(plan, /"Index Name":"subscriptions_nems_owner_mailbox"/, plan);
    assert.doesNotMatch(plan, /"Node Type":"Seq Scan"/, plan);
  });
});
