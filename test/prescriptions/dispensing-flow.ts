import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { call, example, freshOrder, nhsNumberOf, prescribe, shortFormIdOf, workerHeaders, type Json, type Response } from './support.js';

/**
 * A prescription's way through dispensing over HTTP, in the spec's example messages, for the tests
 * of one behaviour each (the older dispensing tests have their own steps, dispensing-steps.ts): a GP at
 * A83008 prescribes, pharmacies (R8003 users at their ODS code) release, dispense, claim and track.
 */
export function dispensingFlow(spine: TestSpine) {
  const headers = new Map<string, Record<string, string>>();
  const worker = async (ods: string, role: 'R8000' | 'R8003' = ods === 'A83008' ? 'R8000' : 'R8003') => {
    if (!headers.has(ods)) headers.set(ods, await workerHeaders(spine, ods, role));
    return headers.get(ods)!;
  };

  /** The acute example made repeat dispensing: `issues` issues, each of 7 days (the next may be released at once), valid for a year. */
  const repeatOrder = (issues: number, nominated = 'FA565') => {
    const order = freshOrder({ pharmacy: nominated });
    const inAYear = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    for (const { resource } of order.entry) {
      if (resource.resourceType !== 'MedicationRequest') continue;
      resource.intent = 'original-order';
      resource.courseOfTherapyType.coding = [{ system: 'https://fhir.nhs.uk/CodeSystem/medicationrequest-course-of-therapy', code: 'continuous-repeat-dispensing', display: 'Continuous long term (repeat dispensing)' }];
      resource.dispenseRequest.numberOfRepeatsAllowed = issues - 1;
      resource.dispenseRequest.validityPeriod = { start: new Date().toISOString().slice(0, 10), end: inAYear };
      resource.dispenseRequest.expectedSupplyDuration = { value: 7, unit: 'day', system: 'http://unitsofmeasure.org', code: 'd' };
    }
    return order;
  };

  const prescribed = async (order: Json = freshOrder({ pharmacy: 'FA565' })) => {
    const sent = await prescribe(spine, await worker('A83008'), order);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    return order;
  };

  const release = async (ods: string, order: Json) => {
    const body = structuredClone(example('spec/dispensing/release/acute-primary-example-req.json'));
    for (const p of body.parameter) {
      if (p.name === 'owner') p.resource.identifier[0].value = ods;
      if (p.name === 'group-identifier') p.valueIdentifier.value = shortFormIdOf(order);
    }
    return call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task/$release', await worker(ods), body);
  };

  const ITEM_TYPES: Record<string, string> = {
    '0001': 'Item fully dispensed', '0002': 'Item not dispensed', '0003': 'Item dispensed - partial', '0004': 'Item not dispensed owing', '0005': 'Item cancelled',
  };
  const itemType = (code: string) => ({ system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', code, display: ITEM_TYPES[code] });

  /**
   * The spec's dispense notification example for this prescription by `ods`: business status `status`, each item (in the
   * order's order) of the type given, supplying 1 of it; then `change`d, if given.
   */
  const dispense = async (ods: string, order: Json, status: '0003' | '0006' | '0007', items: string[], change?: (body: Json) => void) => {
    const body = structuredClone(example('spec/dispensing/dispense-notification/acute-primary-example-01-req.json'));
    body.id = randomUUID();
    body.identifier.value = randomUUID();
    let index = 0;
    for (const { resource } of body.entry) {
      if (resource.resourceType === 'MessageHeader') { resource.sender.identifier.value = ods; resource.extension = []; }
      // The dispensing organisation: the one each MedicationDispense's performer works for (the sender is not read).
      if (resource.resourceType === 'Organization') resource.identifier[0].value = ods;
      if (resource.resourceType !== 'MedicationDispense') continue;
      resource.extension[0].valueCoding.code = status;
      resource.type.coding[0] = itemType(items[index++]!);
      resource.subject.identifier.value = nhsNumberOf(order);
      // One of each item: the example's quantities (the first two items' whole 20) sent again would supply more than was prescribed.
      resource.quantity.value = 1;
      for (const c of resource.contained) if (c.resourceType === 'MedicationRequest') c.groupIdentifier.value = shortFormIdOf(order);
    }
    change?.(body);
    return call(spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await worker(ods), body);
  };

  /**
   * The spec's claim example for this prescription by `ods` (of repeat issue `issue` of `issues`, if given), its first line
   * claiming its item (the order's first) as `firstLine` (the example's 0001 otherwise); then `change`d, if given.
   */
  const claim = async (ods: string, order: Json, options: { issue?: number; issues?: number; firstLine?: string; change?: (body: Json) => void } = {}) => {
    const body = structuredClone(example('spec/dispensing/claim/acute-primary-example-req.json'));
    body.identifier[0].value = randomUUID();
    body.prescription.extension[0].extension[0].valueIdentifier.value = shortFormIdOf(order);
    body.patient.identifier.value = nhsNumberOf(order);
    for (const c of body.contained) if (c.resourceType === 'Organization') c.identifier[0].value = ods;
    body.extension = body.extension.filter((e: Json) => !e.url.endsWith('replacementOf'));
    if (options.issue !== undefined) {
      body.item[0].extension.push({ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-RepeatInformation',
        extension: [{ url: 'numberOfRepeatsAllowed', valueInteger: (options.issues ?? 1) - 1 }, { url: 'numberOfRepeatsIssued', valueInteger: options.issue - 1 }] });
    }
    if (options.firstLine) body.item[0].detail[0].modifier[0].coding[0] = itemType(options.firstLine);
    claimingOneOfEach(body);
    // A line saying its item was not supplied claims none of it (as the example's cancelled fourth line).
    if (options.firstLine && !['0001', '0003'].includes(options.firstLine)) delete body.item[0].detail[0].subDetail;
    options.change?.(body);
    return call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Claim', await worker(ods), body);
  };

  /** Tracking by prescription on the dispensing base, by `ods` (or with the headers given). */
  const track = async (ods: string | Record<string, string>, order: Json): Promise<Response> =>
    call(spine, 'GET', `/fhir-dispensing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, typeof ods === 'string' ? await worker(ods) : ods);

  /** Each Task of a tracking answer: [issue (numberOfRepeatsIssued + 1, or 1), business status]. */
  const issuesIn = (tracked: Response) => {
    assert.equal(tracked.status, 200, JSON.stringify(tracked.body));
    return ((tracked.body.entry ?? []) as Json[]).map((e) => {
      const repeat = e.resource.extension?.find((x: Json) => x.url.endsWith('Extension-EPS-RepeatInformation'));
      const issued = repeat?.extension.find((x: Json) => x.url === 'numberOfRepeatsIssued')?.valueUnsignedInt ?? 0;
      return [issued + 1, e.resource.businessStatus.coding[0].code];
    });
  };

  /** Each item's dispense status code on the last (current) Task, in the order's item order. */
  const itemCodes = (tracked: Response, itemIds: string[]) => {
    const tasks = tracked.body.entry as Json[];
    const task = tasks[tasks.length - 1]!.resource;
    const byItem = new Map(task.input.map((i: Json) => [i.valueReference.identifier.value, i.extension[0].extension[0].valueCoding.code]));
    return itemIds.map((id) => byItem.get(id));
  };

  return { worker, repeatOrder, prescribed, release, dispense, claim, track, issuesIn, itemCodes };
}

export const issueCodeOf = (r: Response) => r.body.issue?.[0]?.details?.coding?.[0]?.code;

/**
 * The spec's claim example made to claim what the tests' dispense notifications dispense, one of each
 * item (a claim may claim no more than was dispensed): each line one product (subDetail) of quantity 1.
 */
export function claimingOneOfEach(body: Json) {
  for (const item of body.item) {
    for (const line of item.detail ?? []) {
      if (!Array.isArray(line.subDetail)) continue;
      line.subDetail = line.subDetail.slice(0, 1);
      line.subDetail[0].quantity.value = 1;
    }
  }
  return body;
}

export interface DispensingRig {
  readonly spine: TestSpine;
  readonly flow: ReturnType<typeof dispensingFlow>;
  /** How far ahead of the machine's the server's clock runs: 0 unless a test moves it (and it puts it back). */
  clockOffsetMs: number;
}

/** A deployed (not sandbox) Spine for the tests of one describe, started before them and closed after, with its dispensing flow; `env` for its configuration. */
export function dispensingRig(env?: Record<string, string>): DispensingRig {
  let spine: TestSpine | undefined;
  let flow: ReturnType<typeof dispensingFlow> | undefined;
  let clockOffsetMs = 0;
  before(async () => {
    spine = await startTestSpine({ clock: { now: () => new Date(Date.now() + clockOffsetMs) }, ...(env ? { env } : {}) });
    flow = dispensingFlow(spine);
  });
  after(async () => { await spine?.close(); });
  return {
    get spine() { return spine!; },
    get flow() { return flow!; },
    get clockOffsetMs() { return clockOffsetMs; },
    set clockOffsetMs(ms: number) { clockOffsetMs = ms; },
  };
}
