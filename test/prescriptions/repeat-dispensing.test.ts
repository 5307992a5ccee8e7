import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call, itemIdsOf, nhsNumberOf, shortFormIdOf, type Json } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/** EPS repeat dispensing over HTTP on PostgreSQL (deployment rules, demo data): issue by issue, claims by issue number, the release window, cancellation, validity, expiry. */
describe('EPS repeat dispensing', () => {
  const rig = dispensingRig();
  const eps = dispensingSteps(rig);
  const { repeatOrder, newPrescription, release, passed, dispense, claim, itemCodesOf, cancelItem, cancellationCode, success, noMorePrescriptions, at } = eps;

  const IN_A_YEAR = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString();
  /** Each issue tracking shows: [repeat number (numberOfRepeatsIssued + 1), business status], in order. */
  const issuesOf = async (order: Json) => {
    const tracked = await call(rig.spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, eps.gp);
    assert.equal(tracked.status, 200, JSON.stringify(tracked.body));
    return tracked.body.entry.map((e: Json) => {
      const repeat = e.resource.extension.find((x: Json) => x.url.endsWith('Extension-EPS-RepeatInformation'));
      assert.deepEqual(repeat.extension.map((x: Json) => x.url), ['numberOfRepeatsAllowed', 'numberOfRepeatsIssued']);
      assert.equal(repeat.extension[0].valueUnsignedInt, 2, 'three issues: two repeats allowed');
      return [repeat.extension[1].valueUnsignedInt + 1, e.resource.businessStatus.coding[0].code];
    });
  };

  it('a repeat-dispensing order is issue 1 of N; each issue dispensed makes the next to be dispensed; tracking shows each issue; each is claimed by its number', async () => {
    const order = await newPrescription('FA565', repeatOrder(3, IN_A_YEAR));
    assert.deepEqual(await issuesOf(order), [[1, '0001']]);
    const released = await release('FA565', shortFormIdOf(order));
    assert.equal(released.status, 200, JSON.stringify(released.body));
    const request = passed(released).entry[0].resource.entry.find((e: Json) => e.resource.resourceType === 'MedicationRequest').resource;
    assert.deepEqual(request.basedOn, [{ extension: [{ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-RepeatInformation',
      extension: [{ url: 'numberOfRepeatsAllowed', valueInteger: 2 }, { url: 'numberOfRepeatsIssued', valueInteger: 0 }] }] }]);
    success(await dispense(order, 'FA565', '0006'));
    assert.deepEqual(await issuesOf(order), [[1, '0006'], [2, '0001']]);
    assert.deepEqual(await itemCodesOf(order), ['0007', '0007', '0007', '0007'], 'issue 2: every item to be dispensed');
    const first = (await call(rig.spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, eps.gp)).body.entry[0].resource;
    assert.deepEqual(first.input, [], 'items are shown on the current issue only');
    const mismatch = await claim(order, 'FA565', false, undefined, 1, 5);
    assert.equal(mismatch.status, 400);
    assert.deepEqual(mismatch.body.issue[0].details.coding, [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'MISMATCH_AUTHORISED_REPEAT_COUNTS',
      display: 'The repeat count in this message does not match the repeat count in the original prescription.' }], 'the claim says 6 issues, the prescription has 3');
    success(await claim(order, 'FA565', false, undefined, 1));
    const otherClaim = await claim(order, 'FA565', randomUUID(), undefined, 1);
    assert.equal(otherClaim.body.issue[0].details.coding[0].code, 'DISPENSE_AMEND_IDENTIFIER_MISMATCH', 'an amendment of issue 1\'s claim names that claim');
    success(await claim(order, 'FA565', true, undefined, 1));
    assert.deepEqual(await issuesOf(order), [[1, '0008'], [2, '0001']]);
    // The next issue may go to another pharmacy.
    assert.equal((await release('VNE51', shortFormIdOf(order))).status, 200);
    const early = await claim(order, 'VNE51', false, undefined, 2);
    assert.equal(early.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION', 'issue 2 not dispensed yet');
    success(await dispense(order, 'VNE51', '0006'));
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0006'));
    assert.deepEqual(await issuesOf(order), [[1, '0008'], [2, '0006'], [3, '0006']], 'the last issue stays dispensed');
    success(await claim(order, 'VNE51', false, undefined, 2));
    success(await claim(order, 'FA565', false, undefined, 3));
    assert.deepEqual(await issuesOf(order), [[1, '0008'], [2, '0008'], [3, '0008']]);
    const { rows } = await rig.spine.ctx.db.query(
      `SELECT payload->>'issue' AS issue FROM platform.outbox WHERE event_type = 'eps-prescription-issue-available' AND payload->>'shortFormId' = $1 ORDER BY id`, [shortFormIdOf(order)]);
    assert.deepEqual(rows.map((r) => r.issue), ['2', '3']);
  });

  it('an earlier issue\'s claim may not say an item the prescriber cancelled was supplied (PRESCRIPTION_INVALID_LINE_STATE_TRANSITION, the spec\'s code for a claim\'s line), as the current issue\'s may not', async () => {
    const order = await newPrescription('FA565', repeatOrder(3, IN_A_YEAR));
    const [first] = itemIdsOf(order);
    assert.equal(cancellationCode(await cancelItem(order, first!)), 'R-0001');
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0006', false, ['0005', '0001', '0001', '0001']));
    assert.deepEqual(await issuesOf(order), [[1, '0006'], [2, '0001']], 'issue 1 dispensed, issue 2 current: issue 1 is an earlier issue');
    // The spec's claim example says the first line's item was fully dispensed.
    const paid = await claim(order, 'FA565', false, undefined, 1);
    assert.equal(paid.status, 400, JSON.stringify(paid.body));
    assert.equal(paid.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION');
    assert.equal(paid.body.issue[0].diagnostics, `Item ${first} is 'Item cancelled' and cannot be claimed as 'Item fully dispensed'.`);
    assert.deepEqual(await issuesOf(order), [[1, '0006'], [2, '0001']], 'not claimed');
    success(await claim(order, 'FA565', false, undefined, 1, 2, (body) => {
      body.item[0].detail[0].modifier[0].coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', code: '0005', display: 'Item cancelled' };
      delete body.item[0].detail[0].subDetail; // none of it dispensed, none claimed
    }));
    assert.deepEqual(await issuesOf(order), [[1, '0008'], [2, '0001']]);
  });

  it('the next issue may be released from 7 days before the last one\'s supply (expectedSupplyDuration) runs out, by id or nominated, not before', async () => {
    const ods = 'FRPT1';
    const order = await newPrescription(ods, repeatOrder(3, IN_A_YEAR, 28, ods));
    assert.equal((await release(ods, shortFormIdOf(order))).status, 200);
    success(await dispense(order, ods, '0006'));
    assert.deepEqual(await issuesOf(order), [[1, '0006'], [2, '0001']]);
    const early = await release(ods, shortFormIdOf(order));
    assert.equal(early.status, 400);
    assert.equal(early.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
    assert.match(early.body.issue[0].diagnostics, /^Issue 2 of this prescription may be released from \d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
    const DAY = 24 * 3600 * 1000;
    try {
      const nominated = await at(new Date(Date.now() + 20 * DAY).toISOString(), ods, (h) => release(ods, undefined, h));
      noMorePrescriptions(nominated); // day 20 of 28: not yet
      const due = await at(new Date(Date.now() + 22 * DAY).toISOString(), ods, (h) => release(ods, undefined, h));
      assert.deepEqual(passed(due).entry.map((e: Json) => shortFormIdOf(e.resource)), [shortFormIdOf(order)], 'day 22: from day 21');
    } finally {
      rig.clockOffsetMs = 0;
    }
    assert.deepEqual(await issuesOf(order), [[1, '0006'], [2, '0002']]);
  });

  it('a repeat order without numberOfRepeatsAllowed is MISSING_VALUE; cancelling a repeat prescription cancels its remaining issues', async () => {
    const without = repeatOrder(3, IN_A_YEAR);
    for (const { resource } of without.entry) if (resource.resourceType === 'MedicationRequest') delete resource.dispenseRequest.numberOfRepeatsAllowed;
    const refused = await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', eps.gp, without);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.issue[0].details.coding[0].code, 'MISSING_VALUE');
    assert.match(refused.body.issue[0].diagnostics, /numberOfRepeatsAllowed/);

    const order = await newPrescription('FA565', repeatOrder(3, IN_A_YEAR));
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    for (const itemId of itemIdsOf(order)) assert.equal(cancellationCode(await cancelItem(order, itemId)), 'R-0002', 'with the dispenser: marked');
    success(await dispense(order, 'FA565', '0006'));
    assert.deepEqual(await issuesOf(order), [[1, '0006'], [2, '0005']], 'issue 1 was dispensed; the rest are cancelled');
    const again = await release('FA565', shortFormIdOf(order));
    assert.equal(again.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
  });

  it('a repeat prescription is valid for at most 12 months ("capped at 12 months"): one without an end, or ending later, runs to the end of that day', async () => {
    const validUntilOf = async (order: Json) =>
      (await rig.spine.ctx.db.query('SELECT valid_until FROM prescriptions.prescriptions WHERE short_form_id = $1', [shortFormIdOf(order)])).rows[0].valid_until as Date;
    const noEnd = repeatOrder(3, IN_A_YEAR);
    for (const { resource } of noEnd.entry) if (resource.resourceType === 'MedicationRequest') delete resource.dispenseRequest.validityPeriod.end;
    const farEnd = repeatOrder(3, '9999-12-31T23:59:59+00:00');
    const { londonDate, londonEndOfDay, addMonths } = await import('../../src/services/prescriptions/domain/london-time.js');
    const capped = londonEndOfDay(addMonths(londonDate(new Date()), 12));
    for (const order of [noEnd, farEnd]) {
      await newPrescription('FA565', order);
      assert.equal((await validUntilOf(order)).toISOString(), capped.toISOString());
    }
    const weeks = repeatOrder(3, IN_A_YEAR);
    for (const { resource } of weeks.entry) if (resource.resourceType === 'MedicationRequest') resource.dispenseRequest.expectedSupplyDuration = { value: 4, unit: 'week', system: 'http://unitsofmeasure.org', code: 'wk' };
    const inWeeks = await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', eps.gp, weeks);
    assert.equal(inWeeks.status, 400, JSON.stringify(inWeeks.body));
    assert.equal(inWeeks.body.issue[0].diagnostics, "dispenseRequest.expectedSupplyDuration must be given in days (code 'd').");
    const sooner = await newPrescription('FA565', repeatOrder(3, '2027-03-01T23:59:59+00:00'));
    assert.equal((await validUntilOf(sooner)).toISOString(), '2027-03-01T23:59:59.000Z', "the prescriber's earlier end");
  });

  it('an issue not dispensed by the end of the validity period expires (0004) by the periodic sweep: once, audited, in the outbox', async () => {
    const order = await newPrescription('FA565', repeatOrder(3, new Date(Date.now() + 3600 * 1000).toISOString()));
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const { expireLapsedIssues } = await import('../../src/services/prescriptions/handlers/expiry.js');
    await expireLapsedIssues(rig.spine.ctx);
    assert.deepEqual(await issuesOf(order), [[1, '0002']], 'still valid');
    rig.clockOffsetMs = 2 * 3600 * 1000;
    try {
      // Two sweeps at once (and the server's own, if it runs now): a row one holds, the others skip, so wait for its commit.
      await Promise.all([expireLapsedIssues(rig.spine.ctx), expireLapsedIssues(rig.spine.ctx)]);
      const statusNow = async () => (await rig.spine.ctx.db.query(`SELECT status FROM prescriptions.prescriptions WHERE short_form_id = $1`, [shortFormIdOf(order)])).rows[0].status;
      for (let i = 0; i < 100 && (await statusNow()) !== 'expired'; i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      rig.clockOffsetMs = 0;
    }
    assert.deepEqual(await issuesOf(order), [[1, '0004']]);
    assert.deepEqual(await itemCodesOf(order), ['0006', '0006', '0006', '0006']);
    const late = await dispense(order, 'FA565', '0006');
    assert.equal(late.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
    const outbox = await rig.spine.ctx.db.query(`SELECT count(*)::int AS n FROM platform.outbox WHERE event_type = 'eps-prescription-expired' AND payload->>'shortFormId' = $1`, [shortFormIdOf(order)]);
    assert.equal(outbox.rows[0].n, 1, 'expired exactly once');
    const history = await rig.spine.ctx.db.query(`SELECT actor_ods FROM prescriptions.history WHERE short_form_id = $1 AND event = 'expired'`, [shortFormIdOf(order)]);
    assert.deepEqual(history.rows, [{ actor_ods: 'X2601' }]);
    const audit = await rig.spine.ctx.db.query(`SELECT count(*)::int AS n FROM audit.events WHERE action = 'prescription.expire' AND resource = $1 AND $2 = ANY(nhs_numbers)`,
      [`Prescription/${shortFormIdOf(order)}`, nhsNumberOf(order)]);
    assert.equal(audit.rows[0].n, 1);
  });
});
