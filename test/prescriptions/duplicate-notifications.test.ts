import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call, shortFormIdOf, type Json } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/**
 * A dispense notification is one message, named by its Bundle.identifier (DispenseNotification.yaml:
 * "The unique ID of the dispense notification"): sent again under another X-Request-ID it is the
 * same notification, recorded once.
 */
describe('EPS dispensing: a dispense notification sent again under another X-Request-ID', () => {
  const rig = dispensingRig();
  const eps = dispensingSteps(rig);
  const { pharmacy, newPrescription, release, notification, success } = eps;
  const notify = async (body: Json) => call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', { ...(await pharmacy('FA565')), 'x-request-id': randomUUID() }, body);
  const historyOf = async (order: Json) =>
    (await rig.spine.ctx.db.query(`SELECT event FROM prescriptions.history WHERE short_form_id = $1 ORDER BY seq`, [shortFormIdOf(order)])).rows.map((r) => r.event);
  const notificationsOf = async (order: Json) =>
    (await rig.spine.ctx.db.query(`SELECT dispense_notifications FROM prescriptions.prescriptions WHERE short_form_id = $1`, [shortFormIdOf(order)])).rows[0].dispense_notifications;

  it('the same partial dispense notification twice is recorded once, and the second answered as the first', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const partial = notification(order, 'FA565', '0003');
    success(await notify(partial));
    success(await notify(partial));
    assert.deepEqual(await historyOf(order), ['created', 'released', 'partially-dispensed']);
    assert.equal(await notificationsOf(order), 1);
    // The rest of the prescription dispensed: the complete notification is taken as usual.
    success(await notify(notification(order, 'FA565', '0006')));
    assert.deepEqual(await historyOf(order), ['created', 'released', 'partially-dispensed', 'dispensed']);
  });

  it('a repeat issue\'s last notification sent again once the next issue is with the pharmacy is answered, not taken as the next issue\'s', async () => {
    const order = await rig.flow.prescribed(rig.flow.repeatOrder(2));
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const complete = notification(order, 'FA565', '0006');
    success(await notify(complete));
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200, 'issue 2 released');
    success(await notify(complete));
    const issues = rig.flow.issuesIn(await rig.flow.track('FA565', order));
    assert.deepEqual(issues, [[1, '0006'], [2, '0002']], 'issue 2 still with the dispenser');
  });

  it('two sent at once are recorded once, each answered 200', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const partial = notification(order, 'FA565', '0003');
    const answers = await Promise.all([notify(partial), notify(partial), notify(partial)]);
    for (const answer of answers) success(answer);
    assert.deepEqual(await historyOf(order), ['created', 'released', 'partially-dispensed']);
    assert.equal(await notificationsOf(order), 1);
  });

  it('an identifier an earlier notification had, with another body, is INVALID_VALUE and records nothing', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const partial = notification(order, 'FA565', '0003');
    success(await notify(partial));
    const other = notification(order, 'FA565', '0006');
    other.identifier.value = partial.identifier.value.toUpperCase(); // a UUID names one message in either case
    const reused = await notify(other);
    assert.equal(reused.status, 400, JSON.stringify(reused.body));
    assert.equal(reused.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.deepEqual(reused.body.issue[0].expression, ['Bundle.identifier']);
    assert.match(reused.body.issue[0].diagnostics, /identifies an earlier dispense notification with another body/);
    assert.deepEqual(await historyOf(order), ['created', 'released', 'partially-dispensed']);
  });

  it('a notification withdrawn and sent again is refused: a new notification needs a new identifier', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const partial = notification(order, 'FA565', '0003');
    success(await notify(partial));
    eps.lastSent.set(`notification ${shortFormIdOf(order)}`, partial.identifier.value);
    success(await eps.task('withdraw', order, 'FA565'));
    const again = await notify(partial);
    assert.equal(again.status, 400, JSON.stringify(again.body));
    assert.match(again.body.issue[0].diagnostics, /since withdrawn/);
    assert.equal(await notificationsOf(order), 0);
    success(await notify(notification(order, 'FA565', '0003')));
    assert.equal(await notificationsOf(order), 1);
  });

  it('an amended notification sent again is answered as recorded; once its amendment is withdrawn (taking both back) it is refused', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const partial = notification(order, 'FA565', '0003');
    success(await notify(partial));
    const amendment = notification(order, 'FA565', '0003', partial.identifier.value);
    success(await notify(amendment));
    success(await notify(partial));
    assert.deepEqual(await historyOf(order), ['created', 'released', 'partially-dispensed', 'dispense-amended']);
    eps.lastSent.set(`notification ${shortFormIdOf(order)}`, amendment.identifier.value);
    success(await eps.task('withdraw', order, 'FA565'));
    assert.equal(await notificationsOf(order), 0);
    for (const again of [partial, amendment]) {
      const refused = await notify(again);
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.match(refused.body.issue[0].diagnostics, /since withdrawn/);
    }
    assert.equal(await notificationsOf(order), 0);
  });
});
