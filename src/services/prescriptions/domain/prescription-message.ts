import { isValidNhsNumber } from '../../../platform/nhs-number.js';
import { isValidLongFormId, shortFormIdProblem } from './prescription-id.js';
import { endOf, notADay, validityPeriodProblem } from './validity.js';
import { intentProblem, issueNumberProblem } from './prescription-intent.js';
import { itemKey } from './item-names.js';
import type { Amount } from './lifecycle-state.js';
import {
  PRESCRIPTION_ID_EXTENSION, SYSTEMS, asArray, messageBundleProblem, codeOf, distinct, entriesOf, identifierValue, isObject, messageEventOf, resolve, resourcesOf, type Entry, type Json,
} from './fhir.js';

/**
 * A prescribing message (`prescription-order` or `prescription-order-update`) read into what the
 * Spine keeps, or the first thing wrong with it, coded as the spec's examples code it.
 */
export interface PrescriptionMessage {
  event: 'prescription-order' | 'prescription-order-update';
  entries: Entry[];
  shortFormId: string;
  longFormId?: string;
  nhsNumber: string;
  /** The prescribing organisation (the PractitionerRole's, else the MessageHeader's sender). */
  prescriberOds: string;
  /** The author: SDS user id, else a professional code. */
  author?: string;
  nominatedPharmacy?: string;
  /** The items' course of therapy; acute for the one mixture the spec allows, acute and continuous items. */
  courseOfTherapy?: string;
  itemIds: string[];
  /** Each item's prescribed quantity (dispenseRequest.quantity), by its id as ordered: none for an item ordered without one. */
  prescribed: Record<string, Amount>;
  /** Repeat dispensing (continuous-repeat-dispensing): how many issues, and until when they may be dispensed. */
  repeat?: RepeatDispensing;
  medicationRequests: Json[];
  signature?: { data?: string; when?: string };
}

export type MessageProblem =
  | { kind: 'missing-entry' }
  /** A verification error of the spec's tables: `value` unless the table says otherwise. */
  | { kind: 'verification'; diagnostics: string; expression?: string; issueCode?: 'structure' | 'processing' | 'invalid' }
  | { kind: 'failure-to-process'; detail: string }
  | { kind: 'course-of-therapy' }
  | { kind: 'missing-value'; diagnostics: string; expression?: string }
  /** MISSING_VALUE in the words of the prescription-order's table (errors.ts MISSING_DOSAGE_SEQUENCE). */
  | { kind: 'missing-dosage-sequence'; diagnostics: string; expression: string };

export type Parsed = { ok: true; message: PrescriptionMessage } | { ok: false; problem: MessageProblem };

/** The references of an order that name a resource of the Bundle, and the type each must name. */
const REFERENCES = [
  { from: 'MedicationRequest', field: 'subject', to: 'Patient' },
  { from: 'MedicationRequest', field: 'requester', to: 'PractitionerRole' },
  { from: 'MedicationRequest', field: 'medicationReference', to: 'Medication' },
  { from: 'PractitionerRole', field: 'practitioner', to: 'Practitioner' },
  { from: 'PractitionerRole', field: 'organization', to: 'Organization' },
] as const;

/**
 * A reference (`.reference`) that names no resource of its type in the Bundle: the spec's
 * verification error (fhir-prescribing.yaml "Errors", 400 `invalid`): "practitionerRole.practitioner
 * populated incorrectly. Please populate with Reference to resource within Bundle." It was read past,
 * each reader taking the Bundle's first Patient or PractitionerRole in its place, or none (an order
 * whose subject named nothing was signed and stored; found by probing). A reference by identifier
 * alone (no `.reference`: the spec's prescription-refactor example's practitioner and organization)
 * names nothing in the Bundle and is left as it is.
 */
function danglingReference(entries: Entry[], requests: Json[]): Parsed | undefined {
  for (const { from, field, to } of REFERENCES) {
    const holders = from === 'MedicationRequest' ? requests : resourcesOf(entries, from);
    for (const holder of holders) {
      const reference = holder[field];
      if (!isObject(reference) || reference.reference === undefined) continue;
      if (resolve(entries, reference)?.resourceType === to) continue;
      const name = `${from[0]!.toLowerCase()}${from.slice(1)}.${field}`;
      return { ok: false, problem: { kind: 'verification', issueCode: 'invalid', diagnostics: `${name} populated incorrectly. Please populate with Reference to resource within Bundle.`, expression: `Bundle.entry.resource.ofType(${from}).${field}` } };
    }
  }
  return undefined;
}

const verification = (diagnostics: string, expression?: string): Parsed => ({ ok: false, problem: { kind: 'verification', diagnostics, expression } });

/** Each item's dispenseRequest.quantity (checked by then: `isQuantity`), by its id. */
function prescribedQuantities(requests: Json[], itemIds: string[]): Record<string, Amount> {
  const prescribed: Record<string, Amount> = {};
  for (const [i, request] of requests.entries()) {
    const quantity = isObject(request.dispenseRequest) && isObject(request.dispenseRequest.quantity) ? request.dispenseRequest.quantity : undefined;
    if (quantity === undefined || typeof quantity.value !== 'number') continue;
    prescribed[itemIds[i]!] = {
      value: quantity.value,
      ...(typeof quantity.unit === 'string' ? { unit: quantity.unit } : {}),
      ...(typeof quantity.system === 'string' ? { system: quantity.system } : {}),
      ...(typeof quantity.code === 'string' || typeof quantity.code === 'number' ? { code: String(quantity.code) } : {}),
    };
  }
  return prescribed;
}

/** A quantity as the spec has it: over 0, at most two decimal places, exactly as JSON gives it back. */
const QUANTITY_TEXT = /^[0-9]+(\.[0-9]{1,2})?$/;
export const isQuantity = (value: unknown): boolean => typeof value === 'number' && value > 0 && QUANTITY_TEXT.test(String(value));

/**
 * An EPS prescription holds one to four items (the spec's MedicationRequest schema: "at least one
 * and up to four MedicationRequest objects"); a fifth is refused as EPS refuses it
 * (examples/secondary-care/community/acute/nominated-pharmacy/clinical-practitioner/multiple-drugs/bulk-translation).
 */
export const MAX_ITEMS = 4;

const REPEAT_DISPENSING = 'continuous-repeat-dispensing';
/** More issues than this is not a prescription (EPS repeat dispensing runs for up to a year). */
const MAX_REPEATS = 99;
/** An issue lasting more than a year is not one (the validity period is capped at 12 months). */
const MAX_SUPPLY_DAYS = 366;

/**
 * A repeat-dispensing order's issues (the spec's MedicationRequest schema: `numberOfRepeatsAllowed`
 * is the number of issues besides the first, "if a prescription is valid for 6 issues in total, the
 * value entered must be 5") and the end of its validity period (a date is valid to its end, London time).
 * The items must agree: the issues are the prescription's.
 */
export interface RepeatDispensing { issues: number; validUntil?: Date; supplyDays?: number }

export function readRepeatDispensing(requests: Json[]): { ok: true; repeat: RepeatDispensing } | { ok: false; problem: MessageProblem } {
  const expression = 'Bundle.entry.resource.ofType(MedicationRequest).dispenseRequest';
  const dispense = requests.map((r) => (isObject(r.dispenseRequest) ? r.dispenseRequest : {}));
  const repeats = distinct(dispense.map((d) => (d.numberOfRepeatsAllowed === undefined ? undefined : JSON.stringify(d.numberOfRepeatsAllowed))));
  if (repeats.includes(undefined)) {
    return { ok: false, problem: { kind: 'missing-value', diagnostics: 'MedicationRequest.dispenseRequest.numberOfRepeatsAllowed is required for repeat dispensing.', expression: `${expression}.numberOfRepeatsAllowed` } };
  }
  const allowed = Number(repeats[0]);
  if (repeats.length > 1 || !Number.isInteger(allowed) || allowed < 0 || allowed > MAX_REPEATS) {
    return { ok: false, problem: { kind: 'verification', diagnostics: `Expected all MedicationRequests to have the same value for dispenseRequest.numberOfRepeatsAllowed, a whole number from 0 to ${MAX_REPEATS}.`, expression: `${expression}.numberOfRepeatsAllowed` } };
  }
  // Each issue is to last `expectedSupplyDuration` days ("defaults to 28"): the shortest item's, as the patient runs out of it first.
  // In days (UCUM `d`, as every example gives it): a supply of 4 `wk` was taken as 4 days.
  if (dispense.some((d) => isObject(d.expectedSupplyDuration) && d.expectedSupplyDuration.code !== 'd')) {
    return { ok: false, problem: { kind: 'verification', diagnostics: "dispenseRequest.expectedSupplyDuration must be given in days (code 'd').", expression: `${expression}.expectedSupplyDuration.code` } };
  }
  const supplies = dispense.map((d) => (isObject(d.expectedSupplyDuration) ? d.expectedSupplyDuration.value : undefined)).filter((v) => v !== undefined);
  if (supplies.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_SUPPLY_DAYS)) {
    return { ok: false, problem: { kind: 'verification', diagnostics: `dispenseRequest.expectedSupplyDuration.value must be a whole number of days from 1 to ${MAX_SUPPLY_DAYS}.`, expression: `${expression}.expectedSupplyDuration.value` } };
  }
  const supplyDays = supplies.length > 0 ? { supplyDays: Math.min(...(supplies as number[])) } : {};
  const ends = distinct(dispense.map((d) => (isObject(d.validityPeriod) && typeof d.validityPeriod.end === 'string' ? d.validityPeriod.end : undefined)));
  const end = ends[0];
  if (ends.length > 1) return { ok: false, problem: { kind: 'verification', diagnostics: 'Expected all MedicationRequests to have the same value for dispenseRequest.validityPeriod.end.', expression: `${expression}.validityPeriod.end` } };
  if (end === undefined) return { ok: true, repeat: { issues: allowed + 1, ...supplyDays } };
  const validUntil = endOf(end);
  if (validUntil === undefined) {
    return { ok: false, problem: { kind: 'verification', diagnostics: notADay('end', end), expression: `${expression}.validityPeriod.end` } };
  }
  return { ok: true, repeat: { issues: allowed + 1, validUntil, ...supplyDays } };
}

/** A groupIdentifier's long-form prescription id (Extension-DM-PrescriptionId), as sent. */
function longFormIdOf(group: Json): unknown {
  const extension = asArray(group.extension).find((e) => isObject(e) && e.url === PRESCRIPTION_ID_EXTENSION);
  return isObject(extension) && isObject(extension.valueIdentifier) ? extension.valueIdentifier.value : undefined;
}

/**
 * `checksum: false` for `$prepare`: EPS checks the short-form id's check character when the order
 * is sent (examples/errors/1-…-Send-400_INVALID_CHECKSUM), while its `$prepare` answered the
 * homecare examples whose ids fail it (secondary-care/homecare/…-dosage-instructions) with 200.
 */
export function readPrescriptionMessage(bundle: Json, options: { checksum: boolean } = { checksum: true }): Parsed {
  if (!Array.isArray(bundle.entry)) return { ok: false, problem: { kind: 'missing-entry' } };
  const notAMessage = messageBundleProblem(bundle);
  if (notAMessage) return verification(notAMessage.diagnostics, notAMessage.expression);
  const entries = entriesOf(bundle);
  const event = messageEventOf(entries);
  if (event !== 'prescription-order' && event !== 'prescription-order-update') {
    return verification('MessageHeader.eventCoding.code must be one of: prescription-order, prescription-order-update, dispense-notification.',
      'Bundle.entry.resource.ofType(MessageHeader).eventCoding');
  }
  const requests = resourcesOf(entries, 'MedicationRequest');
  if (requests.length === 0) return verification('Bundle contains no MedicationRequest.', 'Bundle.entry.resource.ofType(MedicationRequest)');
  if (event === 'prescription-order-update' && requests.length !== 1) {
    return verification("The Bundle must contain exactly one MedicationRequest if MessageHeader.eventCoding.code is 'prescription-order-update'.");
  }
  if (requests.length > MAX_ITEMS) {
    return { ok: false, problem: { kind: 'verification', issueCode: 'processing', diagnostics: `Bundle contains too many resources of type MedicationRequest. Expected at most ${MAX_ITEMS}.`, expression: 'Bundle.entry' } };
  }
  const intents = new Set(['order', 'original-order', 'instance-order']);
  if (requests.some((r) => typeof r.intent !== 'string' || !intents.has(r.intent))) {
    return verification('MedicationRequest.intent must be order, original-order or instance-order.', 'Bundle.entry.resource.ofType(MedicationRequest).intent');
  }
  if (requests.some((r) => r.medicationReference !== undefined && r.medicationCodeableConcept !== undefined)) {
    return { ok: false, problem: { kind: 'verification', issueCode: 'structure', diagnostics: 'MedicationRequest cannot contain both medicationReference and medicationCodeableConcept fields.' } };
  }
  // An order's items are to be dispensed: every example's is `active` (one `cancelled` was taken and released as sent).
  if (event === 'prescription-order' && requests.some((r) => r.status !== 'active')) {
    return verification("MedicationRequest.status must be 'active'.", 'Bundle.entry.resource.ofType(MedicationRequest).status');
  }
  if (event === 'prescription-order-update') {
    if (requests[0]!.status !== 'cancelled') return verification("MedicationRequest.status must be 'cancelled'.", 'Bundle.entry.resource.ofType(MedicationRequest).status');
    if (!isObject(requests[0]!.statusReason)) return verification('Expected MedicationRequest to have a value for statusReason.', 'Bundle.entry.resource.ofType(MedicationRequest).statusReason');
  }
  const groups = distinct(requests.map((r) => (isObject(r.groupIdentifier) ? r.groupIdentifier.value as string | undefined : undefined)));
  if (groups.length !== 1 || typeof groups[0] !== 'string') {
    return verification('Expected all MedicationRequests to have the same value for groupIdentifier.', 'Bundle.entry.resource.ofType(MedicationRequest).groupIdentifier');
  }
  const shortFormId = groups[0];
  if (shortFormIdProblem(shortFormId) === 'checksum' && options.checksum) return { ok: false, problem: { kind: 'failure-to-process', detail: 'prescriptionID has invalid checksum' } };
  if (shortFormIdProblem(shortFormId) === 'shape') return { ok: false, problem: { kind: 'failure-to-process', detail: 'prescriptionID has invalid format' } };
  // The long-form id is the groupIdentifier's too: every item's must be the same. Only the first
  // item's is signed (the fragments' id) and kept, and the others' were released as sent, each
  // naming its own prescription (found by probing).
  const longFormIds = distinct(requests.map((r) => JSON.stringify(longFormIdOf(r.groupIdentifier as Json) ?? null)));
  if (longFormIds.length > 1) {
    return verification('Expected all MedicationRequests to have the same value for groupIdentifier.', 'Bundle.entry.resource.ofType(MedicationRequest).groupIdentifier');
  }
  const longFormId = longFormIdOf(requests[0]!.groupIdentifier as Json);
  if (longFormId !== undefined && (typeof longFormId !== 'string' || !isValidLongFormId(longFormId))) {
    return { ok: false, problem: { kind: 'failure-to-process', detail: 'long-form prescriptionID is not a UUID' } };
  }
  const itemIds = requests.map((r) => identifierValue(r.identifier, SYSTEMS.orderItemNumber));
  if (itemIds.some((id) => id === undefined)) return { ok: false, problem: { kind: 'missing-value', diagnostics: 'MedicationRequest.identifier (prescription-order-item-number) is missing', expression: 'Bundle.entry.resource.ofType(MedicationRequest).identifier' } };
  // One UUID however cased is one item (item-names.ts): two items so named could not be told apart.
  if (new Set(itemIds.map((id) => itemKey(id!))).size !== itemIds.length) return verification('Expected all MedicationRequests to have a different value for identifier.');
  const courses = distinct(requests.map((r) => codeOf(r.courseOfTherapyType)));
  const mixedAcuteAndRepeat = courses.length === 2 && courses.includes('acute') && courses.includes('continuous');
  if (courses.length > 1 && !mixedAcuteAndRepeat) {
    return { ok: false, problem: { kind: 'course-of-therapy' } };
  }
  // The one mixture the spec allows is an acute prescription, whichever item comes first: the spec's
  // acute-and-repeat order converts to treatment type 0001, acute, with no repeat number
  // (examples/primary-care/acute-and-repeat-prescribing/1-Convert-Response-Send-200_OK.xml). Taken
  // from the first item, one listing its repeat item first was held to no repeat count at all.
  const courseOfTherapy = mixedAcuteAndRepeat ? 'acute' : courses[0];
  const intent = intentProblem(requests);
  if (intent) return verification(intent, 'Bundle.entry.resource.ofType(MedicationRequest).intent');
  const issueNumber = issueNumberProblem(requests);
  if (issueNumber) return verification(issueNumber.diagnostics, issueNumber.expression);
  const performers = distinct(requests.map((r) => (isObject(r.dispenseRequest) && isObject(r.dispenseRequest.performer)
    ? identifierValue(r.dispenseRequest.performer.identifier, SYSTEMS.ods) : undefined)));
  if (event === 'prescription-order' && performers.length > 1) {
    return verification(`Expected all MedicationRequests to have the same value for dispenseRequest.performer. Received ${JSON.stringify(performers)}.`);
  }
  // FHIR's medication[x] is 1..1, and the spec's MedicationRequest schema requires it.
  if (requests.some((r) => r.medicationReference === undefined && r.medicationCodeableConcept === undefined)) {
    return { ok: false, problem: { kind: 'missing-value', diagnostics: 'MedicationRequest must contain medicationCodeableConcept or medicationReference.', expression: 'Bundle.entry.resource.ofType(MedicationRequest).medicationCodeableConcept' } };
  }
  // One patient and one prescriber: the signature covers one of each (its recordTarget and author),
  // and the Spine files the prescription under them.
  for (const field of ['subject', 'requester'] as const) {
    if (distinct(requests.map((r) => JSON.stringify(r[field] ?? null))).length > 1) {
      return verification(`Expected all MedicationRequests to have the same value for ${field}.`, `Bundle.entry.resource.ofType(MedicationRequest).${field}`);
    }
  }
  const dangling = danglingReference(entries, requests);
  if (dangling) return dangling;
  // The spec's MedicationRequest schema: the quantity is "a rational number with implicit precision,
  // to a maximum of 2 decimal places" ("Do not use an IEEE type floating point type"): one that reads
  // back otherwise (1.005, 1e-7, 1.0000000000000002, or 23 digits a double rounds) is not the
  // quantity the prescriber wrote, and none is supplied of nothing.
  const quantities = requests.map((r) => (isObject(r.dispenseRequest) && isObject(r.dispenseRequest.quantity) ? r.dispenseRequest.quantity.value : undefined));
  const oddQuantity = quantities.find((q) => q !== undefined && !isQuantity(q));
  if (oddQuantity !== undefined) {
    return verification(`dispenseRequest.quantity.value '${String(oddQuantity)}' must be a number greater than 0 with at most 2 decimal places.`,
      'Bundle.entry.resource.ofType(MedicationRequest).dispenseRequest.quantity.value');
  }
  const period = event === 'prescription-order' ? validityPeriodProblem(requests) : undefined;
  if (period) return verification(period.diagnostics, period.expression);
  for (const request of requests) {
    const dosages = asArray(request.dosageInstruction);
    if (dosages.length > 1 && dosages.some((d) => !isObject(d) || typeof d.sequence !== 'number')) {
      return { ok: false, problem: { kind: 'missing-dosage-sequence', diagnostics: 'Multiple dosage instruction lines require a sequence number on each.', expression: 'Bundle.entry.resource.ofType(MedicationRequest).dosageInstruction.sequence' } };
    }
  }
  let repeat: PrescriptionMessage['repeat'];
  if (event === 'prescription-order' && courses[0] === REPEAT_DISPENSING) {
    const read = readRepeatDispensing(requests);
    if (!read.ok) return read;
    repeat = read.repeat;
  }
  const patient = resolve(entries, requests[0]!.subject) ?? resourcesOf(entries, 'Patient')[0];
  const nhsNumber = patient ? identifierValue(patient.identifier, SYSTEMS.nhsNumber) : undefined;
  if (!nhsNumber) return { ok: false, problem: { kind: 'missing-value', diagnostics: 'Patient.identifier (NHS number) is missing', expression: 'Bundle.entry.resource.ofType(Patient).identifier' } };
  if (!isValidNhsNumber(nhsNumber)) return { ok: false, problem: { kind: 'failure-to-process', detail: 'NHS number is invalid' } };
  const role = resolve(entries, requests[0]!.requester) ?? resourcesOf(entries, 'PractitionerRole')[0];
  const practitioner = role ? resolve(entries, role.practitioner) : undefined;
  const organisation = role ? resolve(entries, role.organization) : undefined;
  const header = resourcesOf(entries, 'MessageHeader')[0]!;
  const prescriberOds = identifierValue(organisation?.identifier, SYSTEMS.ods)
    ?? (isObject(header.sender) ? identifierValue(header.sender.identifier, SYSTEMS.ods) : undefined)
    ?? shortFormId.slice(7, 13).replace(/^0+/, '');
  const author = identifierValue(practitioner?.identifier, SYSTEMS.sdsUserId)
    ?? asArray(practitioner?.identifier).filter(isObject).map((i) => i.value).find((v): v is string => typeof v === 'string');
  const provenance = resourcesOf(entries, 'Provenance')[0];
  const signature = provenance ? asArray(provenance.signature).find(isObject) : undefined;
  return {
    ok: true,
    message: {
      event, entries, shortFormId, longFormId: longFormId as string | undefined, nhsNumber, prescriberOds, author,
      nominatedPharmacy: performers[0], courseOfTherapy, itemIds: itemIds as string[], prescribed: prescribedQuantities(requests, itemIds as string[]),
      medicationRequests: requests, ...(repeat ? { repeat } : {}),
      ...(signature ? { signature: { data: typeof signature.data === 'string' ? signature.data : undefined, when: typeof signature.when === 'string' ? signature.when : undefined } } : {}),
    },
  };
}
