import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import {
  ACUTE, call, example, freshOrder, itemIdsOf, nhsNumberOf, prescribe, shortFormIdOf, withoutMeta, type Json,
} from './support.js';

/** EPS dispensing over HTTP on PostgreSQL (deployment rules, demo data): release, dispense, return, withdraw, claim, tracking. */
describe('EPS dispensing API', () => {
  let spine: TestSpine;
  let gp: Record<string, string>;
  const pharmacies = new Map<string, Record<string, string>>();

  const pharmacy = async (ods: string) => {
    if (!pharmacies.has(ods)) {
      const app = await createAppAndToken(spine, { activities: ['prescription:dispense', 'prescription:track'], odsCode: ods });
      pharmacies.set(ods, { authorization: `Bearer ${app.token}` });
    }
    return pharmacies.get(ods)!;
  };

  before(async () => {
    spine = await startTestSpine();
    const app = await createAppAndToken(spine, { activities: ['prescription:prescribe', 'prescription:track'], odsCode: 'A83008' });
    gp = { authorization: `Bearer ${app.token}` };
  });
  after(async () => { await spine?.close(); });

  const newPrescription = async (pharmacyOds = 'FA565') => {
    const order = freshOrder({ pharmacy: pharmacyOds });
    const sent = await prescribe(spine, gp, order);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    return order;
  };
  const releaseBody = (owner: string, shortFormId?: string) => {
    const body = structuredClone(example('spec/dispensing/release/acute-primary-example-req.json'));
    body.parameter = body.parameter.filter((p: Json) => p.name !== 'group-identifier' || shortFormId);
    for (const p of body.parameter) {
      if (p.name === 'owner') p.resource.identifier[0].value = owner;
      if (p.name === 'group-identifier') p.valueIdentifier.value = shortFormId;
    }
    return body;
  };
  const release = async (owner: string, shortFormId?: string, headers?: Record<string, string>) =>
    call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task/$release', headers ?? await pharmacy(owner), releaseBody(owner, shortFormId));
  const passed = (r: { body: Json }) => r.body.parameter.find((p: Json) => p.name === 'passedPrescriptions').resource;

  /** The spec's dispense notification example, for this prescription, by `ods`, with the given business status. */
  const notification = (order: Json, ods: string, status: '0003' | '0006' | '0007', amend = false) => {
    const body = structuredClone(example('spec/dispensing/dispense-notification/acute-primary-example-01-req.json'));
    for (const { resource } of body.entry) {
      if (resource.resourceType === 'MessageHeader') {
        resource.sender.identifier.value = ods;
        resource.extension = amend ? [{ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-replacementOf', valueIdentifier: { system: 'https://tools.ietf.org/html/rfc4122', value: randomUUID() } }] : [];
      }
      if (resource.resourceType === 'MedicationDispense') {
        resource.extension[0].valueCoding.code = status;
        resource.subject.identifier.value = nhsNumberOf(order);
        for (const c of resource.contained) if (c.resourceType === 'MedicationRequest') c.groupIdentifier.value = shortFormIdOf(order);
      }
    }
    return body;
  };
  const dispense = async (order: Json, ods: string, status: '0003' | '0006' | '0007', amend = false) =>
    call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy(ods), notification(order, ods, status, amend));
  const taskBody = (kind: 'return' | 'withdraw', order: Json, ods: string) => {
    const body = structuredClone(example(`spec/dispensing/${kind}/acute-primary-example-req.json`));
    body.groupIdentifier.value = shortFormIdOf(order);
    body.for.identifier.value = nhsNumberOf(order);
    for (const c of body.contained) if (c.resourceType === 'Organization') c.identifier[0].value = ods;
    if (body.owner) body.owner.identifier.value = ods;
    return body;
  };
  const task = async (kind: 'return' | 'withdraw', order: Json, ods: string) =>
    call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await pharmacy(ods), taskBody(kind, order, ods));
  const claim = async (order: Json, ods: string, amend = false) => {
    const body = structuredClone(example('spec/dispensing/claim/acute-primary-example-req.json'));
    body.prescription.extension[0].extension[0].valueIdentifier.value = shortFormIdOf(order);
    body.patient.identifier.value = nhsNumberOf(order);
    for (const c of body.contained) if (c.resourceType === 'Organization') c.identifier[0].value = ods;
    body.extension = body.extension.filter((e: Json) => !e.url.endsWith('replacementOf'));
    if (amend) body.extension.push({ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-replacementOf', valueIdentifier: { system: 'https://tools.ietf.org/html/rfc4122', value: randomUUID() } });
    return call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Claim', await pharmacy(ods), body);
  };
  const statusOf = async (order: Json) => {
    const tracked = await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${shortFormIdOf(order)}`, gp);
    assert.equal(tracked.status, 200, JSON.stringify(tracked.body));
    assert.equal(tracked.body.total, 1, `tracking ${shortFormIdOf(order)}: ${JSON.stringify(tracked.body)}`);
    return tracked.body.entry[0].resource.businessStatus.coding[0].code;
  };
  const success = (r: { status: number; body: Json }) => {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(withoutMeta(r.body), withoutMeta(example('spec/dispensing/claim/acute-primary-example-res.json')));
  };

  it('releases one prescription by its short-form id: 200 Parameters with the signed order in passedPrescriptions', async () => {
    const order = await newPrescription();
    const released = await release('FA565', shortFormIdOf(order));
    assert.equal(released.status, 200, JSON.stringify(released.body));
    // The spec's release response schema refuses the spec's own release example, so the answer is compared with the example.
    const expected = example('spec/dispensing/release/acute-primary-example-res.json');
    assert.deepEqual(released.body.parameter.map((p: Json) => p.name), expected.parameter.map((p: Json) => p.name));
    assert.equal(passed(released).total, 1);
    assert.equal(shortFormIdOf(passed(released).entry[0].resource), shortFormIdOf(order));
    assert.ok(passed(released).entry[0].resource.entry.some((e: Json) => e.resource.resourceType === 'Provenance'));
    assert.equal(await statusOf(order), '0002');
  });

  it('another pharmacy is told PRESCRIPTION_WITH_ANOTHER_DISPENSER; an unknown id is RESOURCE_NOT_FOUND as the example; a bad checksum FAILURE_TO_PROCESS_MESSAGE', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const other = await release('VNE51', shortFormIdOf(order));
    assert.equal(other.status, 400);
    assert.deepEqual(other.body.issue[0].details.coding, example('spec/errors/release/with-another-dispenser-error.json').issue[0].details.coding);
    assert.equal(other.body.issue[0].code, 'business-rule');
    const unknown = await release('FA565', freshOrder().entry[1].resource.groupIdentifier.value);
    assert.equal(unknown.status, 400);
    assert.deepEqual(withoutMeta(unknown.body), withoutMeta(example('spec/errors/release/not-found-error.json')));
    const checksum = await release('FA565', '24F5DA-A83008-7EFE6Y');
    assert.equal(checksum.body.issue[0].details.coding[0].code, 'FAILURE_TO_PROCESS_MESSAGE');
    const notMine = await release('VNE51', shortFormIdOf(order), await pharmacy('FA565'));
    assert.equal(notMine.status, 403, 'a pharmacy releases only for itself');
  });

  it('nominated release hands over at most 25, oldest first, then the rest, then nothing (200, empty bundles)', async () => {
    const ods = 'FNOM1';
    const orders: Json[] = [];
    for (let i = 0; i < 27; i += 1) orders.push(await newPrescription(ods));
    const first = await release(ods);
    assert.equal(first.status, 200);
    assert.equal(passed(first).total, 25);
    assert.deepEqual(passed(first).entry.map((e: Json) => shortFormIdOf(e.resource)), orders.slice(0, 25).map(shortFormIdOf));
    const second = await release(ods);
    assert.deepEqual(passed(second).entry.map((e: Json) => shortFormIdOf(e.resource)), orders.slice(25).map(shortFormIdOf));
    const third = await release(ods);
    assert.equal(third.status, 200);
    assert.equal(passed(third).total, 0);
    assert.equal(third.body.parameter.find((p: Json) => p.name === 'failedPrescriptions').resource.total, 0);
  });

  it('exactly once: 50 pharmacies racing to release one prescription, one gets it, 49 are told it is with another dispenser', async () => {
    const order = await newPrescription();
    const racers = Array.from({ length: 50 }, (_, i) => `FR${String(i).padStart(3, '0')}`);
    for (const ods of racers) await pharmacy(ods);
    const answers = await Promise.all(racers.map((ods) => release(ods, shortFormIdOf(order))));
    const winners = answers.filter((a) => a.status === 200);
    assert.equal(winners.length, 1, answers.map((a) => a.status).join(','));
    for (const loser of answers.filter((a) => a.status !== 200)) {
      assert.equal(loser.status, 400);
      assert.equal(loser.body.issue[0].details.coding[0].code, 'PRESCRIPTION_WITH_ANOTHER_DISPENSER');
    }
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM platform.outbox WHERE event_type = 'eps-prescription-released' AND payload->>'shortFormId' = $1`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 1, 'one release event');
  });

  it('a retried release (same X-Request-ID) gets the first answer and releases nothing twice', async () => {
    const order = await newPrescription();
    const headers = { ...(await pharmacy('FA565')), 'x-request-id': randomUUID() };
    const first = await release('FA565', shortFormIdOf(order), headers);
    const retry = await release('FA565', shortFormIdOf(order), headers);
    assert.deepEqual(retry.body, first.body);
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM prescriptions.history WHERE short_form_id = $1 AND event = 'released'`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 1);
  });

  it('runs the lifecycle: partial then full dispense, withdraw, dispense again, claim, amend the claim; each step as the examples answer', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0003'));
    assert.equal(await statusOf(order), '0003');
    success(await dispense(order, 'FA565', '0006'));
    assert.equal(await statusOf(order), '0006');
    success(await task('withdraw', order, 'FA565'));
    assert.equal(await statusOf(order), '0003');
    success(await dispense(order, 'FA565', '0006'));
    success(await dispense(order, 'FA565', '0006', true));
    const early = await claim(await newPrescription(), 'FA565');
    assert.equal(early.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION', 'a claim before release');
    success(await claim(order, 'FA565'));
    assert.equal(await statusOf(order), '0008');
    success(await claim(order, 'FA565', true));
    const again = await dispense(order, 'FA565', '0006');
    assert.equal(again.status, 400);
    assert.equal(again.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
    const byOther = await dispense(order, 'VNE51', '0006');
    assert.equal(byOther.body.issue[0].details.coding[0].code, 'PRESCRIPTION_WITH_ANOTHER_DISPENSER');
    const history = (await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${shortFormIdOf(order)}`, gp)).body.entry[0].resource.extension
      .filter((e: Json) => e.url.endsWith('PrescriptionStatusHistory')).map((e: Json) => e.extension.find((x: Json) => x.url === 'event').valueString);
    assert.deepEqual(history, ['created', 'released', 'partially-dispensed', 'dispensed', 'withdrawn', 'dispensed', 'dispense-amended', 'claimed', 'claim-amended']);
  });

  it('a return puts the prescription back to be dispensed; a cancellation asked while with the dispenser (R-0002) completes on return', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await task('return', order, 'FA565'));
    assert.equal(await statusOf(order), '0001');
    assert.equal((await release('VNE51', shortFormIdOf(order))).status, 200, 'another pharmacy may now release it');

    const cancel = structuredClone(example(`${ACUTE}cancellations/2-Process-Request-Cancel-200_OK.json`));
    for (const { resource } of cancel.entry) {
      if (resource.resourceType === 'MedicationRequest') { resource.groupIdentifier.value = shortFormIdOf(order); resource.identifier[0].value = itemIdsOf(order)[0]; }
      if (resource.resourceType === 'Patient') resource.identifier[0].value = nhsNumberOf(order);
    }
    const marked = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', gp, cancel);
    assert.equal(marked.status, 400);
    const code = marked.body.entry.find((e: Json) => e.resource.resourceType === 'MedicationRequest').resource.extension[0].extension[0].valueCoding;
    assert.deepEqual(code, example('spec/errors/prescription-order-update/R-0002-Cancellation.json').entry[1].resource.extension[0].extension[0].valueCoding);
    success(await task('return', order, 'VNE51'));
    assert.equal(await statusOf(order), '0005');
    const cancelledRelease = await release('FA565', shortFormIdOf(order));
    assert.equal(cancelledRelease.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
  });

  it('tracks by patient: every prescription of the NHS number the caller may see, audited', async () => {
    const first = await newPrescription();
    const second = freshOrder({ nhsNumber: nhsNumberOf(first) });
    assert.equal((await prescribe(spine, gp, second)).status, 200);
    const tracked = await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|${nhsNumberOf(first)}`, gp);
    assert.equal(tracked.status, 200);
    assert.deepEqual(tracked.body.entry.map((e: Json) => e.resource.groupIdentifier.value).sort(), [shortFormIdOf(first), shortFormIdOf(second)].sort());
    const stranger = await call(spine, 'GET', `/fhir-dispensing/FHIR/R4/Task?patient:identifier=${nhsNumberOf(first)}`, await pharmacy('ZZ999'));
    assert.equal(stranger.body.total, 0, 'a pharmacy that neither holds nor is nominated for them sees none');
    const bad = await call(spine, 'GET', '/fhir-prescribing/FHIR/R4/Task?status=active', gp);
    assert.equal(bad.status, 400);
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM audit.events WHERE action = 'prescription.track' AND $1 = ANY(nhs_numbers)`, [nhsNumberOf(first)]);
    assert.ok(rows[0].n >= 2);
  });
});
