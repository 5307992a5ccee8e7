import { randomUUID } from 'node:crypto';
import { CANCELLATION_RESPONSES, ITEM_STATUSES, STATUSES, type CancellationResponse, type Items, type Status } from './lifecycle.js';

const REPEAT_INFORMATION = 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-RepeatInformation';
/**
 * The spec's EPS-RepeatInformation: `numberOfRepeatsAllowed` is the issues less one, and
 * `numberOfRepeatsIssued` the current issue less one ("if the current issue is the first issue, then
 * the numberOfRepeatsIssued value will be 0"); tracking writes them as valueUnsignedInt
 * (examples/spec/errors/task/success.json), the release as valueInteger (ReleaseMedicationRequest).
 */
const repeatInformation = (repeat: { issue: number; issues: number }, type: 'valueInteger' | 'valueUnsignedInt') => ({
  url: REPEAT_INFORMATION,
  extension: [{ url: 'numberOfRepeatsAllowed', [type]: repeat.issues - 1 }, { url: 'numberOfRepeatsIssued', [type]: repeat.issue - 1 }],
});
import { SYSTEMS, asArray, entriesOf, identifierValue, isObject, textOf, type Json } from './fhir.js';

/** The wire shapes EPS answers with, built from what the Spine holds (spec examples beside each). */
const instant = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, '+00:00');
const STATUS_HISTORY = 'https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionStatusHistory';

/**
 * The cancel response (examples/spec/errors/prescription-order-update/R-000x-Cancellation.json): a
 * message Bundle answering `prescription-order-response`, with the cancelled MedicationRequest
 * carrying its status history code, and the patient, prescriber and organisation of the order.
 */
export function cancelResponse(order: Json, itemId: string, code: CancellationResponse, messageId: string, now: Date): Json {
  const entries = entriesOf(order);
  const request = entries.find((e) => e.resource.resourceType === 'MedicationRequest' && identifierValue(e.resource.identifier, SYSTEMS.orderItemNumber) === itemId)
    ?? entries.find((e) => e.resource.resourceType === 'MedicationRequest')!;
  const header = entries.find((e) => e.resource.resourceType === 'MessageHeader')?.resource ?? {};
  const sender = isObject(header.sender) ? identifierValue(header.sender.identifier, SYSTEMS.ods) : undefined;
  const medicationRequest: Json = {
    ...request.resource,
    status: code === 'R-0001' ? 'cancelled' : 'active',
    extension: [
      {
        url: STATUS_HISTORY,
        extension: [
          { url: 'status', valueCoding: { system: 'https://fhir.nhs.uk/CodeSystem/medicationrequest-status-history', code, display: CANCELLATION_RESPONSES[code] } },
          { url: 'statusDate', valueDateTime: instant(now) },
        ],
      },
      ...asArray(request.resource.extension).filter((e) => isObject(e) && e.url !== STATUS_HISTORY),
    ],
  };
  const kept = entries.filter((e) => ['Patient', 'Practitioner', 'PractitionerRole', 'Organization'].includes(textOf(e.resource.resourceType)));
  const patient = kept.find((e) => e.resource.resourceType === 'Patient');
  const responseHeader = {
    resourceType: 'MessageHeader',
    id: randomUUID(),
    extension: [{ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-MessageHeader-messageId', valueIdentifier: { system: SYSTEMS.rfc4122, value: messageId } }],
    eventCoding: { system: SYSTEMS.messageEvent, code: 'prescription-order-response', display: 'Prescription Order Response' },
    destination: sender ? [{ endpoint: `urn:nhs-uk:addressing:ods:${sender}`, receiver: { identifier: { system: SYSTEMS.ods, value: sender } } }] : [],
    sender: { identifier: { system: SYSTEMS.ods, value: 'X2601' }, display: 'NHS Digital Spine' },
    source: { name: 'NHS Spine', endpoint: '/fhir-prescribing/FHIR/R4/$process-message' },
    response: { identifier: messageId, code: 'ok' },
    focus: [patient?.fullUrl, request.fullUrl].filter(Boolean).map((reference) => ({ reference })),
  };
  const fullUrl = `urn:uuid:${responseHeader.id}`;
  return {
    resourceType: 'Bundle',
    type: 'message',
    identifier: { system: SYSTEMS.rfc4122, value: messageId },
    timestamp: instant(now),
    entry: [{ fullUrl, resource: responseHeader }, { fullUrl: request.fullUrl, resource: medicationRequest }, ...kept.map((e) => ({ fullUrl: e.fullUrl, resource: e.resource }))],
  };
}

/** A searchset Bundle; an empty one has no `entry` (FHIR's JSON has no empty arrays), as the spec's empty answers. */
const searchset = (entries: Json[], now: Date, self?: string): Json => {
  const id = randomUUID();
  return {
    resourceType: 'Bundle', id, meta: { lastUpdated: instant(now) }, identifier: { system: SYSTEMS.rfc4122, value: id }, type: 'searchset',
    ...(self ? { link: [{ relation: 'self', url: self }] } : {}),
    total: entries.length, ...(entries.length > 0 ? { entry: entries } : {}),
  };
};

/** `Task/$release` (examples/spec/dispensing/release/*-res.json): the prescriptions released, and those that failed. */
export function releaseParameters(passed: Json[], failed: Json[], now: Date, self: string): Json {
  const asEntry = (resource: Json) => ({ fullUrl: `urn:uuid:${textOf(resource.id ?? randomUUID())}`, search: { mode: 'match' }, resource });
  return {
    resourceType: 'Parameters',
    id: randomUUID(),
    parameter: [
      { name: 'passedPrescriptions', resource: searchset(passed.map(asEntry), now, self) },
      // As the spec's three answers: the failed bundle links to itself only when it is empty.
      { name: 'failedPrescriptions', resource: searchset(failed.map((resource) => ({ fullUrl: `urn:uuid:${textOf(resource.id)}`, resource })), now, failed.length === 0 ? self : undefined) },
    ],
  };
}

const DISPENSING_INFORMATION = 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-DispensingInformation';
const dispensingInformation = (status: Items[string]) => ({
  url: DISPENSING_INFORMATION,
  extension: [{ url: 'dispenseStatus', valueCoding: { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', ...ITEM_STATUSES[status] } }],
});

/**
 * A released prescription as EPS hands it over (examples/spec/dispensing/release/*-res.json): the
 * signed order Bundle, stamped with its release time, each MedicationRequest carrying its item's
 * dispense status (Extension-EPS-DispensingInformation); a cancelled item is `cancelled`, with its
 * R-0001 status history.
 */
export function releasedBundle(order: Json, now: Date, items: Items = {}, repeat?: { issue: number; issues: number }): Json {
  const itemIds: string[] = [];
  const entry = asArray(order.entry).map((e) => {
    if (!isObject(e) || !isObject(e.resource) || e.resource.resourceType !== 'MedicationRequest') return e;
    const itemId = identifierValue(e.resource.identifier, SYSTEMS.orderItemNumber);
    if (itemId !== undefined) itemIds.push(itemId);
    const status = items[itemId ?? ''];
    if (!status) return e;
    const kept = asArray(e.resource.extension).filter((x) => !isObject(x) || (x.url !== DISPENSING_INFORMATION && x.url !== STATUS_HISTORY));
    const cancelled = status === 'cancelled'
      ? [{ url: STATUS_HISTORY, extension: [
        { url: 'status', valueCoding: { system: 'https://fhir.nhs.uk/CodeSystem/medicationrequest-status-history', code: 'R-0001', display: CANCELLATION_RESPONSES['R-0001'] } },
        { url: 'statusDate', valueDateTime: instant(now) },
      ] }]
      : [];
    // A repeat issue: which one, in the MedicationRequest's basedOn (ReleaseMedicationRequest schema).
    const basedOn = repeat ? { basedOn: [{ extension: [repeatInformation(repeat, 'valueInteger')] }] } : {};
    return { ...e, resource: { ...e.resource, extension: [...kept, ...cancelled, dispensingInformation(status)], ...basedOn, ...(status === 'cancelled' ? { status: 'cancelled' } : {}) } };
  });
  return { ...order, timestamp: instant(now), entry: withSignatureInFocus(withItemsSigned(entry, itemIds)) };
}

/**
 * The released order's Provenance names each MedicationRequest it signs, in the order's order, by
 * its item number: the spec's Provenance schema ("A reference to each MedicationRequest resource in
 * the Bundle must be provided", as `type` and a prescription-order-item-number `identifier`) and its
 * release answers (examples/spec/dispensing/release/*-res.json) give that form. The prescriber's own
 * targets (references within the order as sent) are not kept: EPS builds the released order anew.
 */
function withItemsSigned(entry: unknown[], itemIds: readonly string[]): unknown[] {
  const target = itemIds.map((value) => ({ type: 'MedicationRequest', identifier: { system: SYSTEMS.orderItemNumber, value } }));
  return entry.map((e) => (isObject(e) && isObject(e.resource) && e.resource.resourceType === 'Provenance' ? { ...e, resource: { ...e.resource, target } } : e));
}

/**
 * The released order's MessageHeader names its signature too: the prescriber's focus (the items,
 * the prescriber's role, the patient) was written before `$prepare`, when the Provenance did not
 * exist, and EPS's release answers list it last (examples/spec/dispensing/release/*-res.json).
 */
function withSignatureInFocus(entry: unknown[]): unknown[] {
  const provenance = entry.find((e) => isObject(e) && isObject(e.resource) && e.resource.resourceType === 'Provenance') as Json | undefined;
  const headerAt = entry.findIndex((e) => isObject(e) && isObject(e.resource) && e.resource.resourceType === 'MessageHeader');
  if (!provenance || typeof provenance.fullUrl !== 'string' || headerAt < 0) return entry;
  const header = (entry[headerAt] as Json).resource as Json;
  const focus = asArray(header.focus);
  if (focus.some((f) => isObject(f) && f.reference === provenance.fullUrl)) return entry;
  const named = { ...(entry[headerAt] as Json), resource: { ...header, focus: [...focus, { reference: provenance.fullUrl }] } };
  return entry.map((e, i) => (i === headerAt ? named : e));
}

export interface TrackedPrescription {
  shortFormId: string;
  longFormId?: string;
  nhsNumber: string;
  status: Status;
  dispenser?: string;
  prescriberOds: string;
  courseOfTherapy?: string;
  createdAt: Date;
  /** Each line item's dispense status, by item id. */
  items: Items;
  /** Repeat dispensing: the current issue, of how many. */
  repeat?: { issue: number; issues: number };
  history: Array<{ at: Date; event: string; status: Status; actorOds?: string; issue?: number }>;
  /** The issues the caller may see, where not all (tracking-access.ts: an earlier issue's dispenser sees its own). */
  onlyIssues?: number[];
}

const businessStatus = (status: Status) =>
  ({ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-TaskBusinessStatus', valueCoding: { system: 'https://fhir.nhs.uk/CodeSystem/EPS-task-business-status', ...STATUSES[status] } });

/**
 * Each issue of a prescription as tracking shows it: a repeat prescription's issues so far, each
 * with its own status (its last history entry's; the current one's is the prescription's), its
 * history and its repeat number; the current issue alone has items.
 */
function issuesOf(p: TrackedPrescription): TrackedPrescription[] {
  if (!p.repeat) return [p];
  const { issue: current, issues } = p.repeat;
  const shown = (i: number) => p.onlyIssues === undefined || p.onlyIssues.includes(i + 1);
  return Array.from({ length: current }, (_, i) => i).filter(shown).map((i) => {
    const history = p.history.filter((h) => (h.issue ?? 1) === i + 1);
    const last = i + 1 === current;
    return {
      ...p, history, repeat: { issue: i + 1, issues },
      status: last ? p.status : history[history.length - 1]?.status ?? p.status,
      items: last ? p.items : {},
      ...(last ? {} : { dispenser: [...history].reverse().find((h) => h.actorOds && h.event !== 'issue-available')?.actorOds ?? p.dispenser }),
      // The first issue is the prescription (its long-form id); each later one a Task of its own.
      longFormId: i === 0 ? p.longFormId : undefined,
    };
  });
}

/**
 * A search cut short: it found `prescriptions` prescriptions (`tasks` Tasks, a repeat one's issues
 * each), of which only the newest `shown` are answered.
 */
export interface CutShort { shown: number; prescriptions: number; tasks: number }

/**
 * Tracking (`GET Task`, examples/spec/errors/task/success.json): one Task per prescription (per issue of a repeat one), with its status history.
 * A search cut short says so, as FHIR has a searchset say it (search.html): `total` counts every match, not only those in
 * the Bundle, and an OperationOutcome entry (`search.mode` `outcome`) warns that the rest were left out.
 */
export function trackingBundle(prescriptions: TrackedPrescription[], now: Date, cut?: CutShort): Json {
  const bundle = trackingSearchset(prescriptions, now);
  if (!cut) return bundle;
  const outcome = {
    resourceType: 'OperationOutcome',
    issue: [{
      severity: 'warning', code: 'too-costly',
      diagnostics: `Only the newest ${cut.shown} of the patient's ${cut.prescriptions} prescriptions are returned; search by prescription (focus:identifier) for the others.`,
    }],
  };
  return { ...bundle, total: cut.tasks, entry: [...(bundle.entry as Json[] | undefined ?? []), { fullUrl: `urn:uuid:${randomUUID()}`, search: { mode: 'outcome' }, resource: outcome }] };
}

function trackingSearchset(prescriptions: TrackedPrescription[], now: Date): Json {
  return searchset(prescriptions.flatMap(issuesOf).map((p) => {
    const id = p.longFormId ?? randomUUID();
    const task: Json = {
      resourceType: 'Task',
      id,
      extension: [
        businessStatus(p.status),
        ...(p.courseOfTherapy ? [{ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-Prescription', extension: [{ url: 'courseOfTherapyType', valueCoding: { system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy', code: p.courseOfTherapy } }] }] : []),
        ...(p.repeat ? [repeatInformation(p.repeat, 'valueUnsignedInt')] : []),
        ...p.history.map((h) => ({
          url: 'https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionStatusHistory',
          extension: [
            { url: 'status', valueCoding: { system: 'https://fhir.nhs.uk/CodeSystem/EPS-task-business-status', ...STATUSES[h.status] } },
            { url: 'event', valueString: h.event },
            { url: 'statusDate', valueDateTime: instant(h.at) },
            ...(h.actorOds ? [{ url: 'organisation', valueIdentifier: { system: SYSTEMS.ods, value: h.actorOds } }] : []),
          ],
        })),
      ],
      identifier: [{ system: SYSTEMS.rfc4122, value: id }],
      groupIdentifier: { system: SYSTEMS.prescriptionOrderNumber, value: p.shortFormId },
      status: p.status === 'cancelled' || p.status === 'expired' ? 'cancelled' : p.status === 'dispensed' || p.status === 'not-dispensed' || p.status === 'claimed' ? 'completed' : p.status === 'to-be-dispensed' ? 'requested' : 'in-progress',
      businessStatus: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-task-business-status', ...STATUSES[p.status] }] },
      intent: 'order',
      focus: { identifier: { system: SYSTEMS.prescriptionOrderNumber, value: p.shortFormId } },
      for: { identifier: { system: SYSTEMS.nhsNumber, value: p.nhsNumber } },
      authoredOn: instant(p.createdAt),
      requester: { identifier: { system: SYSTEMS.ods, value: p.prescriberOds } },
      ...(p.dispenser ? { owner: { identifier: { system: SYSTEMS.ods, value: p.dispenser } } } : {}),
      // Each line item, as the example's input (type 16076005 Prescription) with its dispense status.
      input: Object.entries(p.items).map(([itemId, status]) => ({
        extension: [dispensingInformation(status)],
        type: { coding: [{ system: 'http://snomed.info/sct', code: '16076005', display: 'Prescription' }] },
        valueReference: { identifier: { system: SYSTEMS.orderItemNumber, value: itemId } },
      })),
    };
    return { fullUrl: `urn:uuid:${id}`, search: { mode: 'match' }, resource: task };
  }), now);
}
