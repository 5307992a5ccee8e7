import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import type { Activity } from '../../src/platform/auth/activities.js';
import { waitForExport } from '../consent/support.js';
import {
  ACUTE, call, example, fixture, freshOrder, itemIdsOf, nhsNumberOf, prescribe, shortFormIdOf, withProvenance, withoutMeta, workerHeaders, xmlSignature, type Json, type Response } from './support.js';

/** EPS dispensing over HTTP on PostgreSQL (deployment rules, demo data): release, dispense, return, withdraw, claim, tracking. */
describe('EPS dispensing API', () => {
  let spine: TestSpine;
  let gp: Record<string, string>;
  const pharmacies = new Map<string, Record<string, string>>();

  const pharmacy = async (ods: string) => {
    if (!pharmacies.has(ods)) {
      pharmacies.set(ods, await workerHeaders(spine, ods, 'R8003'));
    }
    return pharmacies.get(ods)!;
  };

  /** The server's clock runs this far ahead of the machine's (the claim period test moves it). */
  let clockOffsetMs = 0;
  before(async () => {
    spine = await startTestSpine({ clock: { now: () => new Date(Date.now() + clockOffsetMs) } });
    gp = await workerHeaders(spine, 'A83008', 'R8000');
  });
  after(async () => { await spine?.close(); });

  /**
   * The acute example made a repeat-dispensing order of `issues` issues, valid until `validUntil`, each issue to last
   * `supplyDays` (7 by default: the next issue may be released at once).
   */
  const repeatOrder = (issues: number, validUntil: string, supplyDays = 7, pharmacyOds = 'FA565') => {
    const order = freshOrder({ pharmacy: pharmacyOds });
    for (const { resource } of order.entry) {
      if (resource.resourceType !== 'MedicationRequest') continue;
      resource.intent = 'original-order'; // an eRD order is its first issue (MedicationRequest.yaml)
      resource.courseOfTherapyType.coding = [{ system: 'https://fhir.nhs.uk/CodeSystem/medicationrequest-course-of-therapy', code: 'continuous-repeat-dispensing', display: 'Continuous long term (repeat dispensing)' }];
      resource.dispenseRequest.numberOfRepeatsAllowed = issues - 1;
      resource.dispenseRequest.validityPeriod = { start: '2026-01-01', end: validUntil };
      resource.dispenseRequest.expectedSupplyDuration = { value: supplyDays, unit: 'day', system: 'http://unitsofmeasure.org', code: 'd' };
    }
    return order;
  };
  const newPrescription = async (pharmacyOds = 'FA565', order = freshOrder({ pharmacy: pharmacyOds })) => {
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

  const ITEM_TYPES: Record<string, { code: string; display: string }> = {
    '0001': { code: '0001', display: 'Item fully dispensed' }, '0002': { code: '0002', display: 'Item not dispensed' },
    '0003': { code: '0003', display: 'Item dispensed - partial' }, '0004': { code: '0004', display: 'Item not dispensed owing' },
  };
  /** The identifier of the last dispense notification and claim (of each issue) answered 200, by short-form id: an amendment names it. */
  const lastSent = new Map<string, string>();
  const replacementOf = (value: string) => ({ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-replacementOf', valueIdentifier: { system: 'https://tools.ietf.org/html/rfc4122', value } });
  /**
   * The spec's dispense notification example, for this prescription, by `ods`, with the given business status; its items
   * (MedicationDispense.type) all fully dispensed for 0006, all not dispensed for 0007, and as the example has them (two
   * dispensed, one owing, one cancelled) for 0003, unless `items` gives each item's type. Its Bundle.id and identifier are
   * its own; an amendment (`amend`) names the last notification answered 200, or the identifier given.
   */
  const notification = (order: Json, ods: string, status: '0003' | '0006' | '0007', amend: boolean | string = false, items?: string[]) => {
    const body = structuredClone(example('spec/dispensing/dispense-notification/acute-primary-example-01-req.json'));
    body.id = randomUUID();
    body.identifier.value = randomUUID();
    for (const { resource } of body.entry) {
      if (resource.resourceType === 'MessageHeader') {
        resource.sender.identifier.value = ods;
        const replaces = amend === true ? lastSent.get(`notification ${shortFormIdOf(order)}`) ?? randomUUID() : amend;
        resource.extension = replaces ? [replacementOf(replaces)] : [];
      }
      if (resource.resourceType === 'MedicationDispense') {
        resource.extension[0].valueCoding.code = status;
        const index = body.entry.filter((e: Json) => e.resource.resourceType === 'MedicationDispense').indexOf(body.entry.find((e: Json) => e.resource === resource));
        const type = items?.[index] ?? (status === '0006' ? '0001' : status === '0007' ? '0002' : undefined);
        if (type) resource.type.coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', ...ITEM_TYPES[type] };
        resource.subject.identifier.value = nhsNumberOf(order);
        for (const c of resource.contained) if (c.resourceType === 'MedicationRequest') c.groupIdentifier.value = shortFormIdOf(order);
      }
    }
    return body;
  };
  const sent = (key: string, identifier: string) => (r: Response) => { if (r.status === 200) lastSent.set(key, identifier); return r; };
  const dispense = async (order: Json, ods: string, status: '0003' | '0006' | '0007', amend: boolean | string = false, items?: string[]) => {
    const body = notification(order, ods, status, amend, items);
    return call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy(ods), body).then(sent(`notification ${shortFormIdOf(order)}`, body.identifier.value));
  };
  /** The spec's return or withdrawal example for this prescription; a withdrawal's focus names the last notification answered 200. */
  const taskBody = (kind: 'return' | 'withdraw', order: Json, ods: string) => {
    const body = structuredClone(example(`spec/dispensing/${kind}/acute-primary-example-req.json`));
    body.groupIdentifier.value = shortFormIdOf(order);
    body.for.identifier.value = nhsNumberOf(order);
    for (const c of body.contained) if (c.resourceType === 'Organization') c.identifier[0].value = ods;
    if (body.owner) body.owner.identifier.value = ods;
    if (kind === 'withdraw') body.focus.identifier.value = lastSent.get(`notification ${shortFormIdOf(order)}`) ?? randomUUID();
    return body;
  };
  const task = async (kind: 'return' | 'withdraw', order: Json, ods: string) =>
    call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await pharmacy(ods), taskBody(kind, order, ods));
  /** The spec's claim example for this prescription (its issue), its identifier its own; an amendment names the last claim answered 200, or the identifier given. */
  const claim = async (order: Json, ods: string, amend: boolean | string = false, headers?: Record<string, string>, issue?: number, repeatsAllowed = 2, change?: (body: Json) => void) => {
    const body = structuredClone(example('spec/dispensing/claim/acute-primary-example-req.json'));
    const key = `claim ${shortFormIdOf(order)} ${issue ?? ''}`;
    body.identifier[0].value = randomUUID();
    body.prescription.extension[0].extension[0].valueIdentifier.value = shortFormIdOf(order);
    body.patient.identifier.value = nhsNumberOf(order);
    for (const c of body.contained) if (c.resourceType === 'Organization') c.identifier[0].value = ods;
    body.extension = body.extension.filter((e: Json) => !e.url.endsWith('replacementOf'));
    const replaces = amend === true ? lastSent.get(key) ?? randomUUID() : amend;
    if (replaces) body.extension.push(replacementOf(replaces));
    if (issue !== undefined) {
      body.item[0].extension.push({ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-RepeatInformation',
        extension: [{ url: 'numberOfRepeatsAllowed', valueInteger: repeatsAllowed }, { url: 'numberOfRepeatsIssued', valueInteger: issue - 1 }] });
    }
    change?.(body);
    return call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Claim', headers ?? await pharmacy(ods), body).then(sent(key, body.identifier[0].value));
  };
  const trackedTask = async (order: Json) => {
    const tracked = await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, gp);
    assert.equal(tracked.status, 200, JSON.stringify(tracked.body));
    assert.equal(tracked.body.total, 1, `tracking ${shortFormIdOf(order)}: ${JSON.stringify(tracked.body)}`);
    return tracked.body.entry[0].resource;
  };
  const statusOf = async (order: Json) => (await trackedTask(order)).businessStatus.coding[0].code;
  /** The events of the prescription's status history, as tracking gives them. */
  const historyOf = async (order: Json) => (await trackedTask(order)).extension
    .filter((e: Json) => e.url.endsWith('PrescriptionStatusHistory')).map((e: Json) => e.extension.find((x: Json) => x.url === 'event').valueString);
  /** Each item's dispense status code (medicationdispense-type) as tracking shows it, in the order's item order. */
  const itemCodesOf = async (order: Json) => {
    const tracked = await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, gp);
    const task = tracked.body.entry[tracked.body.entry.length - 1].resource; // a repeat prescription's current issue
    const byItem = new Map(task.input.map((i: Json) => [i.valueReference.identifier.value, i.extension[0].extension[0].valueCoding]));
    for (const coding of byItem.values()) assert.equal((coding as Json).system, 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type');
    return itemIdsOf(order).map((id) => (byItem.get(id) as Json | undefined)?.code);
  };
  const cancelItem = async (order: Json, itemId: string) => {
    const cancel = structuredClone(example(`${ACUTE}cancellations/2-Process-Request-Cancel-200_OK.json`));
    for (const { resource } of cancel.entry) {
      if (resource.resourceType === 'MedicationRequest') { resource.groupIdentifier.value = shortFormIdOf(order); resource.identifier[0].value = itemId; }
      if (resource.resourceType === 'Patient') resource.identifier[0].value = nhsNumberOf(order);
    }
    return call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', gp, cancel);
  };
  const cancellationCode = (r: { body: Json }) =>
    r.body.entry.find((e: Json) => e.resource.resourceType === 'MedicationRequest').resource.extension[0].extension[0].valueCoding.code;
  const success = (r: { status: number; body: Json }) => {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(withoutMeta(r.body), withoutMeta(example('spec/dispensing/claim/acute-primary-example-res.json')));
  };

  /** A prescription released to FA565, then dispensed in two notifications (partial, then complete), each kept as sent. */
  const dispensedInTwo = async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const partial = notification(order, 'FA565', '0003');
    success(await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), partial));
    const complete = notification(order, 'FA565', '0006');
    success(await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), complete));
    return { order, partial, complete };
  };

  it('an ODS code is the caller\'s exactly as it is written: a pharmacy naming itself in lower case is refused 403 and releases nothing', async () => {
    const order = await newPrescription();
    const lower = await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task/$release', await pharmacy('FA565'), releaseBody('fa565', shortFormIdOf(order)));
    assert.equal(lower.status, 403, JSON.stringify(lower.body));
    assert.equal(lower.body.issue[0].diagnostics, "The releasing pharmacy fa565 is not the caller's organisation (FA565)");
    assert.equal(await statusOf(order), '0001', 'still to be dispensed');
    // Had it been taken as FA565's release and recorded as fa565's, FA565 would be told it is with another dispenser.
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
  });

  it('releases one prescription by its short-form id: 200 Parameters with the signed order in passedPrescriptions', async () => {
    const order = await newPrescription();
    const released = await release('FA565', shortFormIdOf(order));
    assert.equal(released.status, 200, JSON.stringify(released.body));
    // The spec's release response schema refuses the spec's own release example, so the answer is compared with the example.
    const expected = example('spec/dispensing/release/acute-primary-example-res.json');
    assert.deepEqual(released.body.parameter.map((p: Json) => p.name), expected.parameter.map((p: Json) => p.name));
    assert.equal(passed(released).total, 1);
    assert.equal(shortFormIdOf(passed(released).entry[0].resource), shortFormIdOf(order));
    const bundle = passed(released).entry[0].resource;
    const provenance = bundle.entry.find((e: Json) => e.resource.resourceType === 'Provenance');
    assert.ok(provenance, 'the signature is handed over');
    // Its target names each MedicationRequest by item number, in the order's order (the Provenance schema; the spec's release answers).
    assert.deepEqual(provenance.resource.target, itemIdsOf(order).map((value) => ({ type: 'MedicationRequest', identifier: { system: 'https://fhir.nhs.uk/Id/prescription-order-item-number', value } })));
    assert.equal(provenance.resource.target.length, 4);
    // Its MessageHeader names what the prescriber's did, then the signature, as the spec's release answers do.
    const header = bundle.entry.find((e: Json) => e.resource.resourceType === 'MessageHeader').resource;
    const sentHeader = order.entry.find((e: Json) => e.resource.resourceType === 'MessageHeader').resource;
    assert.deepEqual(header.focus, [...sentHeader.focus, { reference: provenance.fullUrl }]);
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

  /** The spec's NO_MORE_PRESCRIPTIONS ("Nominated Release Errors"): an informational outcome, answered 200. */
  const noMorePrescriptions = (r: { status: number; body: Json }) => {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(withoutMeta(r.body), { resourceType: 'OperationOutcome', issue: [{
      severity: 'information', code: 'informational',
      details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'NO_MORE_PRESCRIPTIONS', display: 'No more prescriptions available for nominated download.' }] },
    }] });
  };

  it('nominated release hands over at most 25, oldest first, then the rest, then NO_MORE_PRESCRIPTIONS', async () => {
    const ods = 'FNOM1';
    const orders: Json[] = [];
    for (let i = 0; i < 27; i += 1) orders.push(await newPrescription(ods));
    const first = await release(ods);
    assert.equal(first.status, 200);
    assert.equal(passed(first).total, 25);
    assert.deepEqual(passed(first).entry.map((e: Json) => shortFormIdOf(e.resource)), orders.slice(0, 25).map(shortFormIdOf));
    const second = await release(ods);
    assert.deepEqual(passed(second).entry.map((e: Json) => shortFormIdOf(e.resource)), orders.slice(25).map(shortFormIdOf));
    noMorePrescriptions(await release(ods));
  });

  it('access modes as the specs: an application alone may only download (nominated release); every other call needs a healthcare worker (403 forbidden)', async () => {
    const appHeaders = async (activities: Activity[], odsCode: string) => ({ authorization: `Bearer ${(await createAppAndToken(spine, { activities, odsCode })).token}` });
    const prescribingSystem = await appHeaders(['prescription:prescribe', 'prescription:track'], 'A83008');
    const dispensingSystem = await appHeaders(['prescription:dispense', 'prescription:track'], 'FA565');
    const forbidden = (r: Response, diagnostics: string) => {
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.issue[0].code, 'forbidden');
      assert.equal(r.body.issue[0].details.coding[0].code, 'FORBIDDEN');
      assert.equal(r.body.issue[0].diagnostics, diagnostics);
    };
    const PRESCRIBING = 'Dispensing functionality can only be accessed using the user-restricted access mode.';
    const DISPENSING = 'Dispensing functionality requires user-restricted access unless otherwise stated.';
    forbidden(await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', prescribingSystem, freshOrder()), PRESCRIBING);
    forbidden(await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', prescribingSystem, freshOrder({ pharmacy: 'FA565' })), PRESCRIBING);
    const order = await newPrescription();
    forbidden(await release('FA565', shortFormIdOf(order), dispensingSystem), DISPENSING);
    // The download of the pharmacy's nominated prescriptions is the one call an application makes alone.
    const downloaded = await release('FA565', undefined, dispensingSystem);
    assert.equal(downloaded.status, 200, JSON.stringify(downloaded.body));
    assert.ok(passed(downloaded).entry.some((e: Json) => shortFormIdOf(e.resource) === shortFormIdOf(order)));
    forbidden(await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', dispensingSystem, notification(order, 'FA565', '0006')), DISPENSING);
    forbidden(await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', dispensingSystem, taskBody('return', order, 'FA565')), DISPENSING);
    forbidden(await claim(order, 'FA565', false, dispensingSystem), DISPENSING);
    // Nothing the application was refused was done: the download left it with the dispenser.
    assert.equal(await statusOf(order), '0002');
  });

  it('a wrong type inside an extension (told apart by its url) or a contained resource whose resourceType is not a string is 400 naming the field', async () => {
    const claimBody = structuredClone(example('spec/dispensing/claim/acute-primary-example-req.json'));
    const reference = claimBody.item[0].detail[0].extension.find((e: Json) => e.url.endsWith('Extension-ClaimMedicationRequestReference'));
    for (const wrong of [12345, null, { x: 1 }, true]) {
      reference.valueReference.identifier.value = wrong;
      const refused = await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Claim', await pharmacy('FA565'), claimBody);
      assert.equal(refused.status, 400, `${JSON.stringify(wrong)}: ${refused.text}`);
      assert.match(refused.body.issue[0].diagnostics, /item\/0\/detail\/0\/extension\/\d+\/valueReference\/identifier\/value/, JSON.stringify(wrong));
    }
    const dispenseBody = structuredClone(example('spec/dispensing/dispense-notification/acute-primary-example-01-req.json'));
    const dispensed = dispenseBody.entry.find((e: Json) => e.resource.resourceType === 'MedicationDispense').resource;
    for (const wrong of [null, {}, [], 7]) {
      dispensed.contained[0].resourceType = wrong;
      const refused = await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), dispenseBody);
      assert.equal(refused.status, 400, `${JSON.stringify(wrong)}: ${refused.text}`);
      assert.match(refused.body.issue[0].diagnostics, /contained\/0\/resourceType/, JSON.stringify(wrong));
    }
  });

  it('an order naming no pharmacy goes to the one the patient nominated on PDS; one naming a pharmacy, to that one', async () => {
    // 9000000009, a PDS sandbox patient (demo data), is nominated to Y12345.
    const unnamed = freshOrder({ nhsNumber: '9000000009' });
    for (const { resource } of unnamed.entry) if (resource.resourceType === 'MedicationRequest') delete resource.dispenseRequest.performer;
    await newPrescription(undefined, unnamed);
    const named = await newPrescription('FNAM1', freshOrder({ nhsNumber: '9000000009', pharmacy: 'FNAM1' }));
    const nominated = await release('Y12345');
    assert.equal(nominated.status, 200, JSON.stringify(nominated.body));
    assert.deepEqual(passed(nominated).entry.map((e: Json) => shortFormIdOf(e.resource)), [shortFormIdOf(unnamed)]);
    assert.deepEqual(passed(await release('FNAM1')).entry.map((e: Json) => shortFormIdOf(e.resource)), [shortFormIdOf(named)]);
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
    assert.equal(retry.text, first.text, 'the first answer, byte for byte');
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM prescriptions.history WHERE short_form_id = $1 AND event = 'released'`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 1);
  });

  it('an X-Request-ID sent again with another body (another prescription, another release) is INVALID_VALUE, not the first answer, and changes nothing', async () => {
    const requestId = randomUUID();
    // Signed once, so that it can be sent again as it was.
    const first = freshOrder({ pharmacy: 'FA565' });
    const prepared = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, first);
    const param = (name: string) => prepared.body.parameter.find((p: Json) => p.name === name).valueString as string;
    const signedInfo = Buffer.from(param('digest'), 'base64').toString('utf8');
    const signed = withProvenance(first, xmlSignature(signedInfo, fixture('prescriber-key.pem'), fixture('prescriber-cert.pem')), param('timestamp'));
    const sendFirst = () => call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', { ...gp, 'x-request-id': requestId }, signed);
    const answered = await sendFirst();
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    const second = freshOrder({ pharmacy: 'FA565' });
    const reused = await prescribe(spine, { ...gp, 'x-request-id': requestId }, second);
    assert.equal(reused.status, 400, JSON.stringify(reused.body));
    assert.equal(reused.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.equal(reused.body.issue[0].diagnostics,
      `Invalid value - '${requestId}' in header 'X-Request-ID': it identifies an earlier prescription-order request with another body; a new request needs a new X-Request-ID`);
    const { rows } = await spine.ctx.db.query('SELECT count(*)::int AS n FROM prescriptions.prescriptions WHERE short_form_id = $1', [shortFormIdOf(second)]);
    assert.equal(rows[0].n, 0, 'the second prescription was not made');
    // Two releases of different prescriptions under one id: the second is refused, its prescription stays to be dispensed.
    const [a, b] = [await newPrescription(), await newPrescription()];
    const headers = { ...(await pharmacy('FA565')), 'x-request-id': randomUUID() };
    assert.equal((await release('FA565', shortFormIdOf(a), headers)).status, 200);
    const other = await release('FA565', shortFormIdOf(b), headers);
    assert.equal(other.status, 400, JSON.stringify(other.body));
    assert.match(other.body.issue[0].diagnostics, /earlier release request with another body/);
    assert.equal(await statusOf(b), '0001');
    // The same body again is still the first answer, byte for byte.
    assert.equal((await sendFirst()).text, answered.text);
  });

  it('a retry that comes after later changes (a partial dispense notification, a release) gets its first answer and changes nothing', async () => {
    const order = await newPrescription();
    const releasing = { ...(await pharmacy('FA565')), 'x-request-id': randomUUID() };
    const released = await release('FA565', shortFormIdOf(order), releasing);
    assert.equal(released.status, 200);
    // A partial dispense notification may follow another: its retry must not count as a second one.
    const notifying = { ...(await pharmacy('FA565')), 'x-request-id': randomUUID() };
    const partial = notification(order, 'FA565', '0003');
    const first = await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', notifying, partial);
    success(first);
    success(await dispense(order, 'FA565', '0003'));
    const retried = await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', notifying, partial);
    assert.deepEqual([retried.status, retried.text], [first.status, first.text], 'the first answer, byte for byte');
    const releasedAgain = await release('FA565', shortFormIdOf(order), releasing);
    assert.deepEqual([releasedAgain.status, releasedAgain.text], [released.status, released.text]);
    const { rows } = await spine.ctx.db.query(`SELECT event FROM prescriptions.history WHERE short_form_id = $1 ORDER BY seq`, [shortFormIdOf(order)]);
    assert.deepEqual(rows.map((r) => r.event), ['created', 'released', 'partially-dispensed', 'partially-dispensed']);
  });

  it('keeps each dispensing message in the history as it was received', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const text = JSON.stringify(notification(order, 'FA565', '0006'), null, 2);
    success(await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), text));
    const { rows } = await spine.ctx.db.query(`SELECT message_text FROM prescriptions.history WHERE short_form_id = $1 AND event = 'dispensed'`, [shortFormIdOf(order)]);
    assert.equal(rows[0].message_text, text);
  });

  it('retries racing the first (same X-Request-ID, all at once) all get its answer, and the change is made once', async () => {
    const order = await newPrescription();
    const headers = { ...(await pharmacy('FA565')), 'x-request-id': randomUUID() };
    const answers = await Promise.all(Array.from({ length: 10 }, () => release('FA565', shortFormIdOf(order), headers)));
    assert.equal(answers[0]!.status, 200, JSON.stringify(answers[0]!.body));
    for (const answer of answers) assert.deepEqual([answer.status, answer.text], [answers[0]!.status, answers[0]!.text]);
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM prescriptions.history WHERE short_form_id = $1 AND event = 'released'`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 1);
  });

  it('one pharmacy releasing one prescription 16 times at once (distinct X-Request-IDs) is answered each time, in turn: no 503', async () => {
    const order = await newPrescription();
    const headers = await pharmacy('FA565');
    const answers = await Promise.all(Array.from({ length: 16 }, () => release('FA565', shortFormIdOf(order), { ...headers, 'x-request-id': randomUUID() })));
    assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200), JSON.stringify(answers.find((a) => a.status !== 200)?.body));
    for (const answer of answers) assert.deepEqual(passed(answer).entry.map((e: Json) => shortFormIdOf(e.resource)), [shortFormIdOf(order)]);
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM prescriptions.history WHERE short_form_id = $1 AND event = 'released'`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 16, 'each release recorded once');
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
    const history = await historyOf(order);
    assert.deepEqual(history, ['created', 'released', 'partially-dispensed', 'dispensed', 'withdrawn', 'dispensed', 'dispense-amended', 'claimed', 'claim-amended']);
  });

  it('an amendment naming another dispense notification or claim than the one on record is DISPENSE_AMEND_IDENTIFIER_MISMATCH, displayed as each, and changes nothing', async () => {
    const { order, partial, complete } = await dispensedInTwo();
    const mismatch = (diagnostics: string, display = 'Replacement target does not match existing claim reference on record.') => [{
      severity: 'error', code: 'business-rule', diagnostics,
      details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'DISPENSE_AMEND_IDENTIFIER_MISMATCH', display }] },
    }];
    // Only the most recent dispense notification can be amended (the spec's dispense notification
    // endpoint); NHS England's display for it (Spine's 0021), not the claim's.
    const notLast = await dispense(order, 'FA565', '0006', partial.identifier.value);
    assert.equal(notLast.status, 400, JSON.stringify(notLast.body));
    assert.deepEqual(notLast.body.issue, mismatch('Replacement target does not match the last dispense notification on record.',
      'Dispense Amendment/Cancellation Request does not pertain to Last Dispense'));
    const noTarget = notification(order, 'FA565', '0006', true);
    delete noTarget.entry.find((e: Json) => e.resource.resourceType === 'MessageHeader').resource.extension[0].valueIdentifier.value;
    const missing = await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), noTarget);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.issue[0].details.coding[0].code, 'MISSING_VALUE');
    assert.deepEqual(missing.body.issue[0].expression, ['Bundle.entry.resource.ofType(MessageHeader).extension("Extension-replacementOf").valueIdentifier.value']);
    // The last one is named by its Bundle.identifier (the spec's homecare example) or its Bundle.id (acute-primary-example-04).
    success(await dispense(order, 'FA565', '0006', complete.id));
    success(await dispense(order, 'FA565', '0006', true));
    success(await claim(order, 'FA565'));
    const claimed = lastSent.get(`claim ${shortFormIdOf(order)} `)!;
    const otherClaim = await claim(order, 'FA565', randomUUID());
    assert.equal(otherClaim.status, 400, JSON.stringify(otherClaim.body));
    assert.deepEqual(otherClaim.body.issue, mismatch('Replacement target does not match existing claim reference on record.'));
    success(await claim(order, 'FA565', claimed));
    // The amendment is now the claim on record: the claim it replaced is not.
    assert.deepEqual((await claim(order, 'FA565', claimed)).body.issue, mismatch('Replacement target does not match existing claim reference on record.'));
    success(await claim(order, 'FA565', true));
    const history = await historyOf(order);
    assert.deepEqual(history, ['created', 'released', 'partially-dispensed', 'dispensed', 'dispense-amended', 'dispense-amended', 'claimed', 'claim-amended', 'claim-amended']);
  });

  it('a withdrawal whose focus is not the last dispense notification is DISPENSE_AMEND_IDENTIFIER_MISMATCH and changes nothing; one without a focus is MISSING_VALUE', async () => {
    const { order, partial, complete } = await dispensedInTwo();
    const withdraw = async (focus: unknown) => {
      const body = taskBody('withdraw', order, 'FA565');
      if (focus === undefined) delete body.focus; else body.focus = focus;
      return call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await pharmacy('FA565'), body);
    };
    const naming = (value: string) => ({ type: 'Bundle', identifier: { system: 'https://tools.ietf.org/html/rfc4122', value } });
    // Only the last notification may be withdrawn: the partial one before it, or one never sent, is refused.
    for (const other of [partial.identifier.value, partial.id, randomUUID()]) {
      const refused = await withdraw(naming(other));
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.deepEqual(refused.body.issue, [{
        severity: 'error', code: 'business-rule', diagnostics: 'Withdrawal target does not match the last dispense notification on record.',
        details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'DISPENSE_AMEND_IDENTIFIER_MISMATCH', display: 'Dispense Amendment/Cancellation Request does not pertain to Last Dispense' }] },
      }]);
    }
    // A focus that is missing, or names nothing, is MISSING_VALUE naming the field.
    for (const focus of [undefined, { type: 'Bundle' }, naming('')]) {
      const missing = await withdraw(focus);
      assert.equal(missing.status, 400, JSON.stringify(missing.body));
      assert.equal(missing.body.issue[0].details.coding[0].code, 'MISSING_VALUE');
      assert.equal(missing.body.issue[0].diagnostics, 'The identifier of the dispense notification withdrawn (Task.focus) is missing.');
      assert.deepEqual(missing.body.issue[0].expression, ['Task.focus.identifier.value']);
    }
    assert.equal(await statusOf(order), '0006', 'nothing withdrawn');
    // The last one is named by its Bundle.identifier (the spec's homecare example) or its Bundle.id (the spec's acute example).
    success(await withdraw(naming(complete.id)));
    assert.equal(await statusOf(order), '0003');
    // The partial one is now the last in force.
    assert.equal((await withdraw(naming(complete.identifier.value))).body.issue[0].details.coding[0].code, 'DISPENSE_AMEND_IDENTIFIER_MISMATCH');
    success(await withdraw(naming(partial.identifier.value)));
    assert.equal(await statusOf(order), '0002');
    const history = await historyOf(order);
    assert.deepEqual(history, ['created', 'released', 'partially-dispensed', 'dispensed', 'withdrawn', 'withdrawn']);
  });

  it('an amendment or withdrawal names a UUID in either case (EPS upper-cases every UUID it passes to Spine); another identifier only exactly', async () => {
    const { order, complete } = await dispensedInTwo();
    success(await dispense(order, 'FA565', '0006', complete.identifier.value.toUpperCase()));
    // The amendment is the last notification in force: a withdrawal naming it upper-cased takes it back.
    const withdrawal = taskBody('withdraw', order, 'FA565');
    withdrawal.focus.identifier.value = withdrawal.focus.identifier.value.toUpperCase();
    success(await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await pharmacy('FA565'), withdrawal));
    assert.equal(await statusOf(order), '0003');
    // A notification named by a Bundle.id that is not a UUID (as acute-primary-example-03's) is named exactly.
    const named = notification(order, 'FA565', '0006');
    named.id = 'dispense-notification-a';
    success(await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), named));
    const otherCase = await dispense(order, 'FA565', '0006', 'DISPENSE-NOTIFICATION-A');
    assert.equal(otherCase.status, 400, JSON.stringify(otherCase.body));
    assert.equal(otherCase.body.issue[0].details.coding[0].code, 'DISPENSE_AMEND_IDENTIFIER_MISMATCH');
    success(await dispense(order, 'FA565', '0006', 'dispense-notification-a'));
    success(await claim(order, 'FA565'));
    success(await claim(order, 'FA565', lastSent.get(`claim ${shortFormIdOf(order)} `)!.toUpperCase()));
    const history = await historyOf(order);
    assert.deepEqual(history, ['created', 'released', 'partially-dispensed', 'dispensed', 'dispense-amended', 'withdrawn', 'dispensed', 'dispense-amended', 'claimed', 'claim-amended']);
  });

  it('a return puts the prescription back to be dispensed; a cancellation asked while with the dispenser (R-0002) completes on return, for the item it names', async () => {
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
    // The cancellation named one item: that item is cancelled, the rest go back to be dispensed; with the rest cancelled, so is the prescription.
    assert.equal(await statusOf(order), '0001');
    assert.deepEqual(await itemCodesOf(order), ['0005', '0007', '0007', '0007']);
    for (const itemId of itemIdsOf(order).slice(1)) assert.equal(cancellationCode(await cancelItem(order, itemId)), 'R-0001');
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
    // Each Task has its own prescription's history (read for all of them in one statement): the first released, the second not.
    assert.equal((await release('FA565', shortFormIdOf(first))).status, 200);
    const again = await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?patient:identifier=${nhsNumberOf(first)}`, gp);
    const events = new Map(again.body.entry.map((e: Json) => [e.resource.groupIdentifier.value, e.resource.extension
      .filter((x: Json) => x.url.endsWith('PrescriptionStatusHistory')).map((x: Json) => x.extension.find((y: Json) => y.url === 'event').valueString)]));
    assert.deepEqual(events.get(shortFormIdOf(first)), await historyOf(first));
    assert.ok((events.get(shortFormIdOf(first)) as string[]).includes('released'));
    const secondEvents = events.get(shortFormIdOf(second)) as string[];
    assert.ok(secondEvents.length > 0 && !secondEvents.includes('released'), JSON.stringify([...events]));
    const stranger = await call(spine, 'GET', `/fhir-dispensing/FHIR/R4/Task?patient:identifier=${nhsNumberOf(first)}`, await pharmacy('ZZ999'));
    assert.equal(stranger.body.total, 0, 'a pharmacy that neither holds nor is nominated for them sees none');
    const bad = await call(spine, 'GET', '/fhir-prescribing/FHIR/R4/Task?status=active', gp);
    assert.equal(bad.status, 400);
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM audit.events WHERE action = 'prescription.track' AND $1 = ANY(nhs_numbers)`, [nhsNumberOf(first)]);
    assert.ok(rows[0].n >= 2);
  });

  it("tracking by patient finds the caller's own prescriptions however many newer ones other organisations hold; a search cut at 100 says so", async () => {
    const own = await newPrescription();
    const otherPractice = await workerHeaders(spine, 'B81001', 'R8000');
    // More newer prescriptions by another practice than a search by patient returns (100).
    const orders: Json[] = [];
    for (let i = 0; i < 101; i += 1) {
      const theirs = freshOrder({ ods: 'B81001', nhsNumber: nhsNumberOf(own), pharmacy: 'FB810' });
      assert.equal((await prescribe(spine, otherPractice, theirs)).status, 200);
      orders.push(theirs);
    }
    const tracked = await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?patient:identifier=${nhsNumberOf(own)}`, gp);
    assert.equal(tracked.status, 200, JSON.stringify(tracked.body));
    assert.deepEqual(tracked.body.entry.map((e: Json) => e.resource.groupIdentifier.value), [shortFormIdOf(own)]);
    assert.equal(tracked.body.total, 1, 'not cut: no warning');
    const theirs = await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?patient:identifier=${nhsNumberOf(own)}`, otherPractice);
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

  it('a cancellation naming one item cancels just that item (R-0001); release and tracking show each item; the prescription is cancelled only with its last item', async () => {
    const order = await newPrescription();
    const [first, second, third, fourth] = itemIdsOf(order);
    const cancelled = await cancelItem(order, first!);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancellationCode(cancelled), 'R-0001');
    assert.equal(await statusOf(order), '0001', 'the prescription is still to be dispensed');
    assert.deepEqual(await itemCodesOf(order), ['0005', '0007', '0007', '0007']);
    assert.equal(cancellationCode(await cancelItem(order, first!)), 'R-0006', 'that item was already cancelled');
    const unknown = await cancelItem(order, randomUUID());
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.issue[0].details.coding[0].code, 'R-0008');

    // The release hands over each MedicationRequest with its dispense status, as the spec's release example does.
    const released = await release('FA565', shortFormIdOf(order));
    assert.equal(released.status, 200, JSON.stringify(released.body));
    const requests = passed(released).entry[0].resource.entry.filter((e: Json) => e.resource.resourceType === 'MedicationRequest').map((e: Json) => e.resource);
    const expected = example('spec/dispensing/release/acute-primary-example-res.json').parameter[0].resource.entry[0].resource.entry
      .filter((e: Json) => e.resource.resourceType === 'MedicationRequest').map((e: Json) => e.resource);
    const dispensingInformation = (r: Json) => r.extension.find((e: Json) => e.url.endsWith('Extension-EPS-DispensingInformation'));
    assert.deepEqual(dispensingInformation(requests[1]), dispensingInformation(expected[0]), 'an item with the dispenser: 0008');
    assert.deepEqual(dispensingInformation(requests[0]), dispensingInformation(expected[3]), 'the cancelled item: 0005');
    assert.equal(requests[0].status, expected[3].status);
    assert.deepEqual(requests[0].extension.find((e: Json) => e.url.endsWith('PrescriptionStatusHistory')).extension[0], expected[3].extension[1].extension[0]);
    assert.deepEqual(await itemCodesOf(order), ['0005', '0008', '0008', '0008']);

    // With the dispenser, a cancellation of another item is marked (R-0002) and done when the pharmacy returns it.
    assert.equal(cancellationCode(await cancelItem(order, second!)), 'R-0002');
    success(await task('return', order, 'FA565'));
    assert.equal(await statusOf(order), '0001');
    assert.deepEqual(await itemCodesOf(order), ['0005', '0005', '0007', '0007']);
    assert.equal(cancellationCode(await cancelItem(order, third!)), 'R-0001');
    assert.equal(await statusOf(order), '0001');
    assert.equal(cancellationCode(await cancelItem(order, fourth!)), 'R-0001');
    assert.equal(await statusOf(order), '0005', 'cancelled with its last item');
    const { rows } = await spine.ctx.db.query(
      `SELECT event FROM prescriptions.history WHERE short_form_id = $1 ORDER BY seq`, [shortFormIdOf(order)]);
    assert.deepEqual(rows.map((r) => r.event), ['created', 'item-cancelled', 'released', 'cancellation-requested', 'returned', 'item-cancelled', 'cancelled']);
  });

  it('a cancelled item stays cancelled: a dispense notification reporting it supplied is PRESCRIPTION_INVALID_STATE_TRANSITION and changes nothing', async () => {
    const order = await newPrescription();
    const [first] = itemIdsOf(order);
    assert.equal(cancellationCode(await cancelItem(order, first!)), 'R-0001');
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    assert.deepEqual(await itemCodesOf(order), ['0005', '0008', '0008', '0008']);
    const reopened = await dispense(order, 'FA565', '0006', false, ['0001', '0001', '0001', '0001']);
    assert.equal(reopened.status, 400, JSON.stringify(reopened.body));
    assert.equal(reopened.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
    assert.equal(reopened.body.issue[0].diagnostics, `Item ${first} is 'Item cancelled' and cannot be reported 'Item fully dispensed'.`);
    assert.equal(await statusOf(order), '0002');
    assert.deepEqual(await itemCodesOf(order), ['0005', '0008', '0008', '0008']);
    // Reported as cancelled, with the others supplied: dispensed, the cancellation kept.
    success(await dispense(order, 'FA565', '0006', false, ['0005', '0001', '0001', '0001']));
    assert.equal(await statusOf(order), '0006');
    assert.deepEqual(await itemCodesOf(order), ['0005', '0001', '0001', '0001']);
    // Nor is it paid for as supplied: the spec's claim example says the first line's item was fully dispensed.
    const paid = await claim(order, 'FA565');
    assert.equal(paid.status, 400, JSON.stringify(paid.body));
    assert.equal(paid.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION');
    assert.equal(paid.body.issue[0].diagnostics, `Item ${first} is 'Item cancelled' and cannot be claimed as 'Item fully dispensed'.`);
    assert.equal(await statusOf(order), '0006', 'not claimed');
    // Nor with a second line for the item saying it was cancelled (the last line's status alone was checked, and the first paid).
    const twice = await claim(order, 'FA565', false, undefined, undefined, undefined, (body) => {
      const line = structuredClone(body.item[0].detail[0]);
      line.modifier[0].coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', code: '0005', display: 'Item cancelled' };
      body.item[0].detail.push(line);
    });
    assert.equal(twice.status, 400, JSON.stringify(twice.body));
    assert.equal(twice.body.issue[0].diagnostics, `Item ${first} is 'Item cancelled' and cannot be claimed as 'Item fully dispensed'.`);
    assert.equal(await statusOf(order), '0006', 'not claimed');
    // Nor with the line naming its item by a system that is not quite the item number's (it was taken as naming nothing).
    const unnamed = await claim(order, 'FA565', false, undefined, undefined, undefined, (body) => {
      const reference = body.item[0].detail[0].extension.find((e: Json) => e.url.endsWith('ClaimMedicationRequestReference'));
      reference.valueReference.identifier.system = 'https://fhir.nhs.uk/Id/prescription-order-item-number ';
    });
    assert.equal(unnamed.status, 400, JSON.stringify(unnamed.body));
    assert.deepEqual(unnamed.body.issue[0].details.coding.map((c: Json) => c.code), ['MISSING_VALUE']);
    assert.equal(unnamed.body.issue[0].diagnostics, 'Claim line 1 (Claim.item.detail) does not name its item by its prescription-order-item-number.');
    assert.equal(await statusOf(order), '0006', 'not claimed');
    success(await claim(order, 'FA565', false, undefined, undefined, undefined, (body) => {
      body.item[0].detail[0].modifier[0].coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', code: '0005', display: 'Item cancelled' };
    }));
    assert.equal(await statusOf(order), '0008', 'claimed, its cancelled item claimed as cancelled');
  });

  it('each item takes the status of its MedicationDispense; a business status its items contradict is INVALID_VALUE; 0007 is the whole prescription\'s', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    // The message says dispensed (0006), but one item is part-supplied and one owed: refused, as the spec's other value conflicts, and nothing changes.
    const contradicted = await dispense(order, 'FA565', '0006', false, ['0001', '0003', '0004', '0002']);
    assert.equal(contradicted.status, 400);
    assert.deepEqual(contradicted.body.issue, [{
      severity: 'error', code: 'invalid', details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode', code: 'INVALID_VALUE' }] },
      diagnostics: `Task business status 0006 (Dispensed) contradicts the items: item ${itemIdsOf(order)[1]} is 'Item dispensed - partial', item ${itemIdsOf(order)[2]} is 'Item not dispensed owing'.`,
      expression: ['MedicationDispense.extension:taskBusinessStatus'],
    }]);
    assert.equal(await statusOf(order), '0002');
    assert.deepEqual(await itemCodesOf(order), ['0008', '0008', '0008', '0008']);
    // As 0003 (with dispenser - active) the same items are taken.
    success(await dispense(order, 'FA565', '0003', false, ['0001', '0003', '0004', '0002']));
    assert.equal(await statusOf(order), '0003');
    assert.deepEqual(await itemCodesOf(order), ['0001', '0003', '0004', '0002']);
    const early = await claim(order, 'FA565');
    assert.equal(early.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION', 'not yet claimable');
    success(await dispense(order, 'FA565', '0006', false, ['0001', '0001', '0001', '0002']));
    assert.equal(await statusOf(order), '0006');
    assert.deepEqual(await itemCodesOf(order), ['0001', '0001', '0001', '0002']);
    // A withdrawal takes back the last notification and its item statuses.
    success(await task('withdraw', order, 'FA565'));
    assert.equal(await statusOf(order), '0003');
    assert.deepEqual(await itemCodesOf(order), ['0001', '0003', '0004', '0002']);
    // Nothing dispensed of any item: not dispensed (0007).
    const none = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(none))).status, 200);
    // Not dispensed (0007) speaks for the prescription: its items are not dispensed whatever types it gives (the spec's acute-primary-example-05).
    success(await dispense(none, 'FA565', '0007', false, ['0001', '0001', '0002', '0004']));
    assert.equal(await statusOf(none), '0007');
    assert.deepEqual(await itemCodesOf(none), ['0002', '0002', '0002', '0002']);
    const badType = notification(order, 'FA565', '0006');
    badType.entry.find((e: Json) => e.resource.resourceType === 'MedicationDispense').resource.type.coding[0].code = '0099';
    const refused = await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), badType);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.match(refused.body.issue[0].diagnostics, /MedicationDispense.type '0099'/);
    // One item supplied in two MedicationDispenses (two packs, as the spec's acute-primary-example-05):
    // taken in one status, refused in two, naming the second, and nothing changes.
    const packs = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(packs))).status, 200);
    const twoPacks = (secondType: string) => {
      const body = notification(packs, 'FA565', '0003', false, ['0003', '0003', '0004', '0002']);
      const first = body.entry.find((e: Json) => e.resource.resourceType === 'MedicationDispense');
      const second = structuredClone(first);
      second.fullUrl = `urn:uuid:${second.resource.id = randomUUID()}`;
      second.resource.type.coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', ...ITEM_TYPES[secondType] };
      body.entry.push(second);
      return body;
    };
    const contradicting = await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), twoPacks('0001'));
    assert.equal(contradicting.status, 400, JSON.stringify(contradicting.body));
    assert.equal(contradicting.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.deepEqual(contradicting.body.issue[0].expression, ['Bundle.entry.resource.ofType(MedicationDispense)[4].type.coding.code']);
    assert.match(contradicting.body.issue[0].diagnostics, /^Line item \S+ is given two statuses, 'Item dispensed - partial' and 'Item fully dispensed'/);
    assert.deepEqual(await itemCodesOf(packs), ['0008', '0008', '0008', '0008']);
    success(await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), twoPacks('0003')));
    assert.deepEqual(await itemCodesOf(packs), ['0003', '0003', '0004', '0002']);
  });

  it('a dispense notification or claim naming an item the prescription does not have is ITEM_NOT_FOUND (400 not-found) and changes nothing', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const stranger = randomUUID();
    const body = notification(order, 'FA565', '0003');
    body.entry.filter((e: Json) => e.resource.resourceType === 'MedicationDispense')[1].resource.contained
      .find((c: Json) => c.resourceType === 'MedicationRequest').identifier[0].value = stranger;
    const refused = await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), body);
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.deepEqual(refused.body.issue, [{
      severity: 'error', code: 'not-found', diagnostics: `The prescription has no item ${stranger}.`, expression: ['MedicationDispense.authorizingPrescription'],
      details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'ITEM_NOT_FOUND', display: 'The requested item could not be found.' }] },
    }]);
    assert.equal(await statusOf(order), '0002');
    assert.deepEqual(await itemCodesOf(order), ['0008', '0008', '0008', '0008']);
    // So is a claim for one (the spec lists ITEM_NOT_FOUND for /Claim).
    success(await dispense(order, 'FA565', '0006'));
    const claimBody = structuredClone(example('spec/dispensing/claim/acute-primary-example-req.json'));
    claimBody.prescription.extension[0].extension[0].valueIdentifier.value = shortFormIdOf(order);
    claimBody.patient.identifier.value = nhsNumberOf(order);
    for (const c of claimBody.contained) if (c.resourceType === 'Organization') c.identifier[0].value = 'FA565';
    claimBody.item[0].detail[2].extension.find((e: Json) => e.url.endsWith('ClaimMedicationRequestReference')).valueReference.identifier.value = stranger;
    const claimed = await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Claim', await pharmacy('FA565'), claimBody);
    assert.equal(claimed.status, 400, JSON.stringify(claimed.body));
    assert.deepEqual(claimed.body.issue, [{ ...refused.body.issue[0], expression: ['Claim.item.detail.extension("Extension-ClaimMedicationRequestReference")'] }]);
    assert.equal(await statusOf(order), '0006');
  });

  it('a claim amendment after the claim period (the 5th of the next month) is refused with CLAIM_AMEND_PERIOD_ISSUE', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0006'));
    success(await claim(order, 'FA565'));
    success(await claim(order, 'FA565', true));
    try {
      clockOffsetMs = 70 * 24 * 3600 * 1000; // past the 5th of the month after next, whatever today is
      const late = await claim(order, 'FA565', true, await workerHeaders(spine, 'FA565', 'R8003'));
      assert.equal(late.status, 400);
      assert.deepEqual(late.body.issue[0].details.coding, [{
        system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'CLAIM_AMEND_PERIOD_ISSUE', display: 'Claim amendment is not permitted outside of the claim period.',
      }]);
      assert.equal(late.body.issue[0].code, 'business-rule');
    } finally {
      clockOffsetMs = 0;
    }
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM prescriptions.history WHERE short_form_id = $1 AND event = 'claim-amended'`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 1, 'the late amendment changed nothing');
  });

  /** Runs `steps` with the server's clock at `iso` (and a token minted then). */
  const at = async <T>(iso: string, ods: string, step: (headers: Record<string, string>) => Promise<T>): Promise<T> => {
    clockOffsetMs = Date.parse(iso) - Date.now();
    return step(await workerHeaders(spine, ods, 'R8003'));
  };

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
      clockOffsetMs = 0;
    }
  });

  it('$export gives each MedicationRequest its own item\'s status: dispensed completed, not dispensed stopped, owed active, cancelled cancelled', async () => {
    const order = await newPrescription();
    const [first, second, third, fourth] = itemIdsOf(order);
    assert.equal(cancellationCode(await cancelItem(order, fourth!)), 'R-0001');
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await dispense(order, 'FA565', '0003', false, ['0001', '0002', '0004', '0005']));
    const waiting = await newPrescription();
    const exporter = (await createAppAndToken(spine, { activities: ['export:bulk'] })).token;
    const kickoff = await fetch(`${spine.url}/export/FHIR/R4/$export?_type=MedicationRequest`, { headers: { authorization: `Bearer ${exporter}`, prefer: 'respond-async', accept: 'application/fhir+json' } });
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
    const statusAt = async (offsetDays: number, order: Json) => {
      clockOffsetMs = offsetDays * DAY;
      // Two sweeps at once (and the server's own, if it runs now): one holds a row, the other skips it; wait for the commit.
      await Promise.all([expireLapsedIssues(spine.ctx), expireLapsedIssues(spine.ctx)]);
      const statusNow = async () => (await spine.ctx.db.query(`SELECT status FROM prescriptions.prescriptions WHERE short_form_id = $1`, [shortFormIdOf(order)])).rows[0].status;
      // (Up to 20 s: other tests leave many prescriptions lapsing at the same time, each audited.)
      for (let i = 0; i < 200 && (await statusNow()) !== 'expired'; i++) await new Promise((r) => setTimeout(r, 100));
      return statusNow();
    };
    try {
      assert.equal(await statusAt(27, controlled), 'with-dispenser', 'a CD2 is valid for 28 days after the day it was signed');
      assert.equal(await statusAt(29, controlled), 'expired');
      assert.equal(await statusAt(29, acute), 'to-be-dispensed');
      assert.equal(await statusAt(175, acute), 'to-be-dispensed', 'valid for 6 months');
      assert.equal(await statusAt(186, acute), 'expired');
    } finally {
      clockOffsetMs = 0;
    }
    assert.equal(await statusOf(controlled), '0004');
    assert.deepEqual(await itemCodesOf(controlled), ['0006', '0006', '0006', '0006']);
    assert.equal(await statusOf(acute), '0004');
    assert.equal((await release('FA565', shortFormIdOf(acute))).body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
    for (const order of [acute, controlled]) {
      const outbox = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM platform.outbox WHERE event_type = 'eps-prescription-expired' AND payload->>'shortFormId' = $1`, [shortFormIdOf(order)]);
      assert.equal(outbox.rows[0].n, 1, 'expired exactly once');
      const history = await spine.ctx.db.query(`SELECT actor_ods, status FROM prescriptions.history WHERE short_form_id = $1 AND event = 'expired'`, [shortFormIdOf(order)]);
      assert.deepEqual(history.rows, [{ actor_ods: 'X2601', status: 'expired' }]);
      const audit = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM audit.events WHERE action = 'prescription.expire' AND resource = $1 AND $2 = ANY(nhs_numbers)`,
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
    clockOffsetMs = 186 * 24 * 3600 * 1000;
    // Tokens minted then (those minted now have expired by then).
    const gpNow = gp;
    gp = await workerHeaders(spine, 'A83008', 'R8000');
    pharmacies.set(ods, await workerHeaders(spine, ods, 'R8003'));
    try {
      expiredRefusal(await dispense(held, ods, '0006'), 'dispense');
      expiredRefusal(await release(ods, shortFormIdOf(waiting)), 'release');
      noMorePrescriptions(await release(ods));
      assert.equal(cancellationCode(await cancelItem(waiting, itemIdsOf(waiting)[0]!)), 'R-0005');
      assert.equal(await statusOf(waiting), '0004', 'tracking shows it expired');
      assert.deepEqual(await itemCodesOf(held), ['0006', '0006', '0006', '0006']);
    } finally {
      clockOffsetMs = 0;
      gp = gpNow;
      pharmacies.delete(ods);
    }
    assert.ok(!(await historyOf(held)).includes('dispensed'), 'nothing dispensed');
    assert.ok(!(await historyOf(waiting)).includes('released'), 'nothing released');
  });

  describe('repeat dispensing', () => {
    const IN_A_YEAR = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString();
    /** Each issue tracking shows: [repeat number (numberOfRepeatsIssued + 1), business status], in order. */
    const issuesOf = async (order: Json) => {
      const tracked = await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, gp);
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
      const first = (await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, gp)).body.entry[0].resource;
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
      const { rows } = await spine.ctx.db.query(
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
        clockOffsetMs = 0;
      }
      assert.deepEqual(await issuesOf(order), [[1, '0006'], [2, '0002']]);
    });

    it('a repeat order without numberOfRepeatsAllowed is MISSING_VALUE; cancelling a repeat prescription cancels its remaining issues', async () => {
      const without = repeatOrder(3, IN_A_YEAR);
      for (const { resource } of without.entry) if (resource.resourceType === 'MedicationRequest') delete resource.dispenseRequest.numberOfRepeatsAllowed;
      const refused = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, without);
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
        (await spine.ctx.db.query('SELECT valid_until FROM prescriptions.prescriptions WHERE short_form_id = $1', [shortFormIdOf(order)])).rows[0].valid_until as Date;
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
      const inWeeks = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, weeks);
      assert.equal(inWeeks.status, 400, JSON.stringify(inWeeks.body));
      assert.equal(inWeeks.body.issue[0].diagnostics, "dispenseRequest.expectedSupplyDuration must be given in days (code 'd').");
      const sooner = await newPrescription('FA565', repeatOrder(3, '2027-03-01T23:59:59+00:00'));
      assert.equal((await validUntilOf(sooner)).toISOString(), '2027-03-01T23:59:59.000Z', "the prescriber's earlier end");
    });

    it('an issue not dispensed by the end of the validity period expires (0004) by the periodic sweep: once, audited, in the outbox', async () => {
      const order = await newPrescription('FA565', repeatOrder(3, new Date(Date.now() + 3600 * 1000).toISOString()));
      assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
      const { expireLapsedIssues } = await import('../../src/services/prescriptions/handlers/expiry.js');
      await expireLapsedIssues(spine.ctx);
      assert.deepEqual(await issuesOf(order), [[1, '0002']], 'still valid');
      clockOffsetMs = 2 * 3600 * 1000;
      try {
        // Two sweeps at once (and the server's own, if it runs now): a row one holds, the others skip, so wait for its commit.
        await Promise.all([expireLapsedIssues(spine.ctx), expireLapsedIssues(spine.ctx)]);
        const statusNow = async () => (await spine.ctx.db.query(`SELECT status FROM prescriptions.prescriptions WHERE short_form_id = $1`, [shortFormIdOf(order)])).rows[0].status;
        for (let i = 0; i < 100 && (await statusNow()) !== 'expired'; i++) await new Promise((r) => setTimeout(r, 100));
      } finally {
        clockOffsetMs = 0;
      }
      assert.deepEqual(await issuesOf(order), [[1, '0004']]);
      assert.deepEqual(await itemCodesOf(order), ['0006', '0006', '0006', '0006']);
      const late = await dispense(order, 'FA565', '0006');
      assert.equal(late.body.issue[0].details.coding[0].code, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
      const outbox = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM platform.outbox WHERE event_type = 'eps-prescription-expired' AND payload->>'shortFormId' = $1`, [shortFormIdOf(order)]);
      assert.equal(outbox.rows[0].n, 1, 'expired exactly once');
      const history = await spine.ctx.db.query(`SELECT actor_ods FROM prescriptions.history WHERE short_form_id = $1 AND event = 'expired'`, [shortFormIdOf(order)]);
      assert.deepEqual(history.rows, [{ actor_ods: 'X2601' }]);
      const audit = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM audit.events WHERE action = 'prescription.expire' AND resource = $1 AND $2 = ANY(nhs_numbers)`,
        [`Prescription/${shortFormIdOf(order)}`, nhsNumberOf(order)]);
      assert.equal(audit.rows[0].n, 1);
    });
  });
});
