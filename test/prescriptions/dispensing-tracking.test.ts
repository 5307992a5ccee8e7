import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAppAndToken } from '../support/identity.js';
import { waitForExport } from '../consent/support.js';
import { call, freshOrder, itemIdsOf, nhsNumberOf, prescribe, shortFormIdOf, workerHeaders, type Json } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/** EPS tracking by patient and $export over HTTP on PostgreSQL (deployment rules, demo data). */
describe('EPS dispensing: tracking by patient and bulk export', () => {
  const rig = dispensingRig();
  const eps = dispensingSteps(rig);
  const { pharmacy, newPrescription, release, dispense, historyOf, cancelItem, cancellationCode, success } = eps;

  it('tracks by patient: every prescription of the NHS number the caller may see, audited', async () => {
    const first = await newPrescription();
    const second = freshOrder({ nhsNumber: nhsNumberOf(first) });
    assert.equal((await prescribe(rig.spine, eps.gp, second)).status, 200);
    const tracked = await call(rig.spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|${nhsNumberOf(first)}`, eps.gp);
    assert.equal(tracked.status, 200);
    assert.deepEqual(tracked.body.entry.map((e: Json) => e.resource.groupIdentifier.value).sort(), [shortFormIdOf(first), shortFormIdOf(second)].sort());
    // Each Task has its own prescription's history (read for all of them in one statement): the first released, the second not.
    assert.equal((await release('FA565', shortFormIdOf(first))).status, 200);
    const again = await call(rig.spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?patient:identifier=${nhsNumberOf(first)}`, eps.gp);
    const events = new Map(again.body.entry.map((e: Json) => [e.resource.groupIdentifier.value, e.resource.extension
      .filter((x: Json) => x.url.endsWith('PrescriptionStatusHistory')).map((x: Json) => x.extension.find((y: Json) => y.url === 'event').valueString)]));
    assert.deepEqual(events.get(shortFormIdOf(first)), await historyOf(first));
    assert.ok((events.get(shortFormIdOf(first)) as string[]).includes('released'));
    const secondEvents = events.get(shortFormIdOf(second)) as string[];
    assert.ok(secondEvents.length > 0 && !secondEvents.includes('released'), JSON.stringify([...events]));
    const stranger = await call(rig.spine, 'GET', `/fhir-dispensing/FHIR/R4/Task?patient:identifier=${nhsNumberOf(first)}`, await pharmacy('ZZ999'));
    assert.equal(stranger.body.total, 0, 'a pharmacy that neither holds nor is nominated for them sees none');
    const bad = await call(rig.spine, 'GET', '/fhir-prescribing/FHIR/R4/Task?status=active', eps.gp);
    assert.equal(bad.status, 400);
    const { rows } = await rig.spine.ctx.db.query(`SELECT count(*)::int AS n FROM audit.events WHERE action = 'prescription.track' AND $1 = ANY(nhs_numbers)`, [nhsNumberOf(first)]);
    assert.ok(rows[0].n >= 2);
  });

  it('a token naming another system (or none) finds nothing: its value is not read as the parameter\'s own', async () => {
    const order = await newPrescription();
    const track = (query: string) => call(rig.spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?${query}`, eps.gp);
    const token = (system: string, value: string) => encodeURIComponent(`${system}|${value}`);
    const found = async (query: string) => {
      const tracked = await track(query);
      assert.equal(tracked.status, 200, JSON.stringify(tracked.body));
      return (tracked.body.entry ?? []).map((e: Json) => e.resource.groupIdentifier.value);
    };
    assert.deepEqual(await found(`focus:identifier=${token('https://fhir.nhs.uk/Id/prescription-order-number', shortFormIdOf(order))}`), [shortFormIdOf(order)]);
    assert.deepEqual(await found(`focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`), [shortFormIdOf(order)]);
    assert.deepEqual(await found(`focus:identifier=${token('https://fhir.nhs.uk/Id/nhs-number', shortFormIdOf(order))}`), []);
    assert.deepEqual(await found(`focus:identifier=${token('', shortFormIdOf(order))}`), []);
    assert.deepEqual(await found(`patient:identifier=${token('https://fhir.nhs.uk/Id/prescription-order-number', nhsNumberOf(order))}`), []);
    assert.deepEqual(await found(`patient:identifier=${token('https://fhir.nhs.uk/Id/nhs-number', nhsNumberOf(order))}`), [shortFormIdOf(order)]);
  });

  it("tracking by patient finds the caller's own prescriptions however many newer ones other organisations hold; a search cut at 100 says so", async () => {
    const own = await newPrescription();
    const otherPractice = await workerHeaders(rig.spine, 'B81001', 'R8000');
    // More newer prescriptions by another practice than a search by patient returns (100).
    const orders: Json[] = [];
    for (let i = 0; i < 101; i += 1) {
      const theirs = freshOrder({ ods: 'B81001', nhsNumber: nhsNumberOf(own), pharmacy: 'FB810' });
      assert.equal((await prescribe(rig.spine, otherPractice, theirs)).status, 200);
      orders.push(theirs);
    }
    const tracked = await call(rig.spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?patient:identifier=${nhsNumberOf(own)}`, eps.gp);
    assert.equal(tracked.status, 200, JSON.stringify(tracked.body));
    assert.deepEqual(tracked.body.entry.map((e: Json) => e.resource.groupIdentifier.value), [shortFormIdOf(own)]);
    assert.equal(tracked.body.total, 1, 'not cut: no warning');
    const theirs = await call(rig.spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?patient:identifier=${nhsNumberOf(own)}`, otherPractice);
    assert.equal(theirs.status, 200, theirs.text);
    // The newest 100 of 101, and said so: total counts every match (FHIR search), an outcome entry warns of the rest.
    assert.equal(theirs.body.total, 101);
    const matches = theirs.body.entry.filter((e: Json) => e.search.mode === 'match');
    assert.deepEqual(matches.map((e: Json) => e.resource.groupIdentifier.value), orders.slice(1).reverse().map(shortFormIdOf));
    const { fullUrl, ...warning } = theirs.body.entry[theirs.body.entry.length - 1];
    assert.match(fullUrl, /^urn:uuid:[0-9a-f-]{36}$/);
    assert.deepEqual(warning, { search: { mode: 'outcome' }, resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'too-costly',
      diagnostics: "Only the newest 100 of the patient's 101 prescriptions are returned; search by prescription (focus:identifier) for the others." }] } });
    assert.equal(theirs.body.entry.length, 101);
  });

  it('$export gives each MedicationRequest its own item\'s status: dispensed completed, not dispensed stopped, owed active, cancelled cancelled', async () => {
    const order = await newPrescription();
    const [first, second, third, fourth] = itemIdsOf(order);
    assert.equal(cancellationCode(await cancelItem(order, fourth!)), 'R-0001');
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0003', false, ['0001', '0002', '0004', '0005']));
    const waiting = await newPrescription();
    const exporter = (await createAppAndToken(rig.spine, { activities: ['export:bulk'] })).token;
    const kickoff = await fetch(`${rig.spine.url}/export/FHIR/R4/$export?_type=MedicationRequest`, { headers: { authorization: `Bearer ${exporter}`, prefer: 'respond-async', accept: 'application/fhir+json' } });
    assert.equal(kickoff.status, 202, await kickoff.clone().text());
    const manifest = await waitForExport(kickoff.headers.get('content-location')!, exporter);
    const lines: Json[] = [];
    for (const output of manifest.output) {
      const text = await (await fetch(output.url, { headers: { authorization: `Bearer ${exporter}` } })).text();
      lines.push(...text.split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    }
    const statusOfItem = new Map(lines.filter((r) => r.groupIdentifier.value === shortFormIdOf(order)).map((r) => [r.id, r.status]));
    assert.deepEqual(Object.fromEntries(statusOfItem), { [first!]: 'completed', [second!]: 'stopped', [third!]: 'active', [fourth!]: 'cancelled' });
    assert.deepEqual(lines.filter((r) => r.groupIdentifier.value === shortFormIdOf(waiting)).map((r) => r.status), ['active', 'active', 'active', 'active'], 'to be dispensed: active');
  });
});
