import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freshOrder, itemIdsOf, nhsNumberOf, shortFormIdOf, workerHeaders, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/** EPS dispensing over time, the server's clock moved, over HTTP on PostgreSQL (deployment rules, demo data): the claim period and a prescription's expiry. */
describe('EPS dispensing: the claim period and expiry', () => {
  const rig = dispensingRig();
  const eps = dispensingSteps(rig);
  const { newPrescription, release, dispense, claim, statusOf, historyOf, itemCodesOf, cancelItem, cancellationCode, success, noMorePrescriptions, at } = eps;

  it('a claim amendment after the claim period (the 5th of the next month) is refused with CLAIM_AMEND_PERIOD_ISSUE', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0006'));
    success(await claim(order, 'FA565'));
    success(await claim(order, 'FA565', true));
    try {
      rig.clockOffsetMs = 70 * 24 * 3600 * 1000; // past the 5th of the month after next, whatever today is
      const late = await claim(order, 'FA565', true, await workerHeaders(rig.spine, 'FA565', 'R8003'));
      assert.equal(late.status, 400);
      assert.deepEqual(late.body.issue[0].details.coding, [{
        system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'CLAIM_AMEND_PERIOD_ISSUE', display: 'Claim amendment is not permitted outside of the claim period.',
      }]);
      assert.equal(late.body.issue[0].code, 'business-rule');
    } finally {
      rig.clockOffsetMs = 0;
    }
    const { rows } = await rig.spine.ctx.db.query(`SELECT count(*)::int AS n FROM prescriptions.history WHERE short_form_id = $1 AND event = 'claim-amended'`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 1, 'the late amendment changed nothing');
  });

  it('the claim period is London\'s: a claim at 00:30 BST on 1 June is a June claim, amendable to the end of 5 July BST (22:59:59.999 UTC)', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0006'));
    try {
      success(await at('2026-05-31T23:30:00Z', 'FA565', (h) => claim(order, 'FA565', false, h)));
      // Counted in UTC the claim would be May's, and its period over on 5 June.
      success(await at('2026-06-20T12:00:00Z', 'FA565', (h) => claim(order, 'FA565', true, h)));
      success(await at('2026-07-05T22:30:00Z', 'FA565', (h) => claim(order, 'FA565', true, h)));
      // 23:30 UTC on 5 July is 00:30 on 6 July in London.
      const late = await at('2026-07-05T23:30:00Z', 'FA565', (h) => claim(order, 'FA565', true, h));
      assert.equal(late.status, 400);
      assert.equal(late.body.issue[0].details.coding[0].code, 'CLAIM_AMEND_PERIOD_ISSUE');
    } finally {
      rig.clockOffsetMs = 0;
    }
  });

  it('an acute prescription not dispensed expires (0004) 6 months after it was signed, a schedule 2 controlled drug after 28 days: by the sweep, once, audited', async () => {
    const { expireLapsedIssues } = await import('../../src/services/prescriptions/handlers/expiry.js');
    const acute = await newPrescription();
    const controlled = freshOrder({ pharmacy: 'FA565' });
    const request = controlled.entry.find((e: Json) => e.resource.resourceType === 'MedicationRequest').resource;
    request.extension.push({ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-DM-ControlledDrug', extension: [
      { url: 'quantityWords', valueString: 'twenty eight' },
      { url: 'schedule', valueCoding: { system: 'https://fhir.nhs.uk/CodeSystem/medicationrequest-controlled-drug', code: 'CD2', display: 'Schedule 2' } }] });
    await newPrescription('FA565', controlled);
    assert.equal((await release('FA565', shortFormIdOf(controlled))).status, 200);
    const DAY = 24 * 3600 * 1000;
    const statusAt = async (offsetDays: number, order: Json, lapsed: boolean) => {
      rig.clockOffsetMs = offsetDays * DAY;
      // Two sweeps at once (and the server's own, if it runs now): one holds a row, the other skips it; wait for the commit.
      await Promise.all([expireLapsedIssues(rig.spine.ctx), expireLapsedIssues(rig.spine.ctx)]);
      const statusNow = async () => (await rig.spine.ctx.db.query(`SELECT status FROM prescriptions.prescriptions WHERE short_form_id = $1`, [shortFormIdOf(order)])).rows[0].status;
      // A lapsed one: up to 20 s (other tests leave many prescriptions lapsing at the same time, each
      // audited). One that is not: 1 s, for a sweep of the server's own that held the row to commit.
      const deadline = Date.now() + (lapsed ? 20_000 : 1_000);
      while (Date.now() < deadline && (!lapsed || (await statusNow()) !== 'expired')) await new Promise((r) => setTimeout(r, 100));
      return statusNow();
    };
    try {
      assert.equal(await statusAt(27, controlled, false), 'with-dispenser', 'a CD2 is valid for 28 days after the day it was signed');
      assert.equal(await statusAt(29, controlled, true), 'expired');
      assert.equal(await statusAt(29, acute, false), 'to-be-dispensed');
      assert.equal(await statusAt(175, acute, false), 'to-be-dispensed', 'valid for 6 months');
      assert.equal(await statusAt(186, acute, true), 'expired');
    } finally {
      rig.clockOffsetMs = 0;
    }
    assert.equal(await statusOf(controlled), '0004');
    assert.deepEqual(await itemCodesOf(controlled), ['0006', '0006', '0006', '0006']);
    assert.equal(await statusOf(acute), '0004');
    assert.equal((await release('FA565', shortFormIdOf(acute))).body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
    for (const order of [acute, controlled]) {
      const outbox = await rig.spine.ctx.db.query(`SELECT count(*)::int AS n FROM platform.outbox WHERE event_type = 'eps-prescription-expired' AND payload->>'shortFormId' = $1`, [shortFormIdOf(order)]);
      assert.equal(outbox.rows[0].n, 1, 'expired exactly once');
      const history = await rig.spine.ctx.db.query(`SELECT actor_ods, status FROM prescriptions.history WHERE short_form_id = $1 AND event = 'expired'`, [shortFormIdOf(order)]);
      assert.deepEqual(history.rows, [{ actor_ods: 'X2601', status: 'expired' }]);
      const audit = await rig.spine.ctx.db.query(`SELECT count(*)::int AS n FROM audit.events WHERE action = 'prescription.expire' AND resource = $1 AND $2 = ANY(nhs_numbers)`,
        [`Prescription/${shortFormIdOf(order)}`, nhsNumberOf(order)]);
      assert.equal(audit.rows[0].n, 1);
    }
  });

  it('a prescription whose validity has ended is refused at the call, before the expiry sweep marks it: release by id or nominated, dispense notification, cancellation', async () => {
    const ods = 'FEXP1';
    const held = await newPrescription(ods);
    assert.equal((await release(ods, shortFormIdOf(held))).status, 200);
    const waiting = await newPrescription(ods);
    const expiredRefusal = (r: Response, what: string) => {
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.issue[0].code, 'business-rule');
      assert.equal(r.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
      assert.equal(r.body.issue[0].diagnostics, `Cannot ${what} a prescription that is Expired`);
    };
    // 6 months and a few days after it was signed: lapsed. The server's sweep (every minute) may or may not have run since.
    rig.clockOffsetMs = 186 * 24 * 3600 * 1000;
    // Tokens minted then (those minted now have expired by then).
    const gpNow = eps.gp;
    eps.gp = await workerHeaders(rig.spine, 'A83008', 'R8000');
    eps.pharmacies.set(ods, await workerHeaders(rig.spine, ods, 'R8003'));
    try {
      expiredRefusal(await dispense(held, ods, '0006'), 'dispense');
      expiredRefusal(await release(ods, shortFormIdOf(waiting)), 'release');
      noMorePrescriptions(await release(ods));
      assert.equal(cancellationCode(await cancelItem(waiting, itemIdsOf(waiting)[0]!)), 'R-0005');
      assert.equal(await statusOf(waiting), '0004', 'tracking shows it expired');
      assert.deepEqual(await itemCodesOf(held), ['0006', '0006', '0006', '0006']);
    } finally {
      rig.clockOffsetMs = 0;
      eps.gp = gpNow;
      eps.pharmacies.delete(ods);
    }
    assert.ok(!(await historyOf(held)).includes('dispensed'), 'nothing dispensed');
    assert.ok(!(await historyOf(waiting)).includes('released'), 'nothing released');
  });
});
