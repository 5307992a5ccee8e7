import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before } from 'node:test';
import { ACUTE, call, example, freshOrder, itemIdsOf, nhsNumberOf, prescribe, shortFormIdOf, withoutMeta, workerHeaders, type Json, type Response } from './support.js';
import { claimingOneOfEach, type DispensingRig } from './dispensing-flow.js';

/**
 * The steps of the EPS dispensing tests written before dispensing-flow.ts (dispensing-*.test.ts,
 * repeat-dispensing.test.ts), over their rig: a GP at A83008 prescribes, pharmacies (R8003 users at
 * their ODS code) release, dispense, return, withdraw and claim, and tracking reads the result.
 * An amendment names the last dispense notification or claim answered 200 unless given another.
 */
export function dispensingSteps(rig: DispensingRig) {
  const pharmacies = new Map<string, Record<string, string>>();
  /** The GP's headers (A83008, R8000): a test may swap them for a while (a token minted at a moved clock). */
  let gp!: Record<string, string>;
  before(async () => { gp = await workerHeaders(rig.spine, 'A83008', 'R8000'); });
  const pharmacy = async (ods: string) => {
    if (!pharmacies.has(ods)) {
      pharmacies.set(ods, await workerHeaders(rig.spine, ods, 'R8003'));
    }
    return pharmacies.get(ods)!;
  };

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
    const sent = await prescribe(rig.spine, gp, order);
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
    call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task/$release', headers ?? await pharmacy(owner), releaseBody(owner, shortFormId));
  const passed = (r: { body: Json }) => r.body.parameter.find((p: Json) => p.name === 'passedPrescriptions').resource;

  const ITEM_TYPES: Record<string, { code: string; display: string }> = {
    '0001': { code: '0001', display: 'Item fully dispensed' }, '0002': { code: '0002', display: 'Item not dispensed' },
    '0003': { code: '0003', display: 'Item dispensed - partial' }, '0004': { code: '0004', display: 'Item not dispensed owing' },
    '0005': { code: '0005', display: 'Item cancelled' },
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
      // The dispensing organisation: the one each MedicationDispense's performer works for (the sender is not read).
      if (resource.resourceType === 'Organization') resource.identifier[0].value = ods;
      if (resource.resourceType === 'MedicationDispense') {
        resource.extension[0].valueCoding.code = status;
        const index = body.entry.filter((e: Json) => e.resource.resourceType === 'MedicationDispense').indexOf(body.entry.find((e: Json) => e.resource === resource));
        const type = items?.[index] ?? (status === '0006' ? '0001' : status === '0007' ? '0002' : undefined);
        if (type) resource.type.coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', ...ITEM_TYPES[type] };
        resource.subject.identifier.value = nhsNumberOf(order);
        // One of each item: the example's quantities (the first two items' whole 20) sent again would supply more than was prescribed.
        resource.quantity.value = 1;
        for (const c of resource.contained) if (c.resourceType === 'MedicationRequest') c.groupIdentifier.value = shortFormIdOf(order);
      }
    }
    return body;
  };
  const sent = (key: string, identifier: string) => (r: Response) => { if (r.status === 200) lastSent.set(key, identifier); return r; };
  const dispense = async (order: Json, ods: string, status: '0003' | '0006' | '0007', amend: boolean | string = false, items?: string[]) => {
    const body = notification(order, ods, status, amend, items);
    return call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy(ods), body).then(sent(`notification ${shortFormIdOf(order)}`, body.identifier.value));
  };
  /**
   * The spec's return or withdrawal example for this prescription, its identifier its own (the same Task.identifier is one
   * message, recorded once); a withdrawal's focus names the last notification answered 200.
   */
  const taskBody = (kind: 'return' | 'withdraw', order: Json, ods: string) => {
    const body = structuredClone(example(`spec/dispensing/${kind}/acute-primary-example-req.json`));
    body.identifier[0].value = randomUUID();
    body.groupIdentifier.value = shortFormIdOf(order);
    body.for.identifier.value = nhsNumberOf(order);
    for (const c of body.contained) if (c.resourceType === 'Organization') c.identifier[0].value = ods;
    if (body.owner) body.owner.identifier.value = ods;
    if (kind === 'withdraw') body.focus.identifier.value = lastSent.get(`notification ${shortFormIdOf(order)}`) ?? randomUUID();
    return body;
  };
  const task = async (kind: 'return' | 'withdraw', order: Json, ods: string) =>
    call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await pharmacy(ods), taskBody(kind, order, ods));
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
    claimingOneOfEach(body);
    change?.(body);
    return call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Claim', headers ?? await pharmacy(ods), body).then(sent(key, body.identifier[0].value));
  };
  const trackedTask = async (order: Json) => {
    const tracked = await call(rig.spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, gp);
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
    const tracked = await call(rig.spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, gp);
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
    return call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', gp, cancel);
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
    success(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), partial));
    const complete = notification(order, 'FA565', '0006');
    success(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), complete));
    return { order, partial, complete };
  };

  /** The spec's NO_MORE_PRESCRIPTIONS ("Nominated Release Errors"): an informational outcome, answered 200. */
  const noMorePrescriptions = (r: { status: number; body: Json }) => {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(withoutMeta(r.body), { resourceType: 'OperationOutcome', issue: [{
      severity: 'information', code: 'informational',
      details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'NO_MORE_PRESCRIPTIONS', display: 'No more prescriptions available for nominated download.' }] },
    }] });
  };

  /** Runs `steps` with the server's clock at `iso` (and a token minted then). */
  const at = async <T>(iso: string, ods: string, step: (headers: Record<string, string>) => Promise<T>): Promise<T> => {
    rig.clockOffsetMs = Date.parse(iso) - Date.now();
    return step(await workerHeaders(rig.spine, ods, 'R8003'));
  };

  return {
    get gp() { return gp; },
    set gp(headers: Record<string, string>) { gp = headers; },
    pharmacies, pharmacy, repeatOrder, newPrescription, releaseBody, release, passed, ITEM_TYPES, lastSent, notification, dispense, taskBody, task,
    claim, trackedTask, statusOf, historyOf, itemCodesOf, cancelItem, cancellationCode, success, dispensedInTwo, noMorePrescriptions, at,
  };
}
