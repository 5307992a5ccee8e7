import { isUuid } from '../../../platform/uuids.js';
import { shortFormIdProblem } from './prescription-id.js';
import { itemStatusOfCode, type Amount, type ItemStatus } from './lifecycle.js';
import { ITEM_STATUSES } from './items.js';
import { itemKey } from './item-names.js';
import { SYSTEMS, asArray, messageBundleProblem, entriesOf, identifierValue, isObject, messageEventOf, quoted, resolve, resourcesOf, type Entry, type Json } from './fhir.js';
import { containedLookup, dispenserNamedBy, dispensingOrganisation } from './dispenser.js';
import { taskRepeatCounts } from './task-repeat.js';

/**
 * Readers of the dispensing messages: each gives what the lifecycle needs (which prescription,
 * which pharmacy, what happened) or the first thing wrong, in the spec's words.
 */
/**
 * What is wrong, by the error it is: `invalid` a verification error of issue code `value`,
 * `invalid-issue` one of issue code `invalid`, `invalid-value` INVALID_VALUE, `missing` MISSING_VALUE.
 */
export type Read<T> = { ok: true; value: T } | { ok: false; diagnostics: string; expression?: string; code?: 'missing' | 'invalid' | 'invalid-issue' | 'invalid-value' | 'provided-value' | 'checksum' | 'missing-entry' };

export const missing = <T>(diagnostics: string, expression?: string): Read<T> => ({ ok: false, diagnostics, expression, code: 'missing' });
export const invalid = <T>(diagnostics: string, expression?: string): Read<T> => ({ ok: false, diagnostics, expression, code: 'invalid' });
/** A verification error the spec's table gives issue code `invalid` ("Required parameter owner is missing.": a parameter not provided). */
export const invalidIssue = <T>(diagnostics: string, expression?: string): Read<T> => ({ ok: false, diagnostics, expression, code: 'invalid-issue' });
const REPLACEMENT_OF = 'https://fhir.nhs.uk/StructureDefinition/Extension-replacementOf';
const BUSINESS_STATUS = 'https://fhir.nhs.uk/StructureDefinition/Extension-EPS-TaskBusinessStatus';
const NON_DISPENSING_REASON = 'https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionNonDispensingReason';
export const ITEM_TYPES = 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type';


/**
 * A dispensing message's own identifier (a dispense notification's Bundle.identifier, a claim's
 * Claim.identifier, a return's or withdrawal's Task.identifier): the spec's Rfc4122 identifier, "RFC4122
 * unique identifier", as every example's is. It is kept for the prescription's life (each message is
 * recorded once by it, lifecycle.ts messageSeen), so one that is not a UUID is INVALID_VALUE, as an
 * X-Request-ID reused is: an identifier of 400 kB was taken, and kept in the prescription's row, read
 * and written again by every later call (found by probing).
 */
function ownIdentifier(value: unknown, field: string): Read<string | undefined> {
  if (value === undefined) return { ok: true, value: undefined };
  if (typeof value === 'string' && isUuid(value)) return { ok: true, value };
  return { ok: false, code: 'provided-value', expression: field,
    diagnostics: `Invalid value - '${quoted(value)}' in field '${field}': it is an RFC 4122 identifier (a UUID).` };
}

/** FHIR's id datatype ([A-Za-z0-9\-\.]{1,64}): a dispense notification's Bundle.id names it too (an amendment or withdrawal may), and is kept. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** Whether a message amends another (Extension-replacementOf), and which: the identifier it names. */
export function replacementOf(extensions: unknown, path: string): Read<{ amendment: boolean; replaces?: string }> {
  const extension = asArray(extensions).filter(isObject).find((e) => e.url === REPLACEMENT_OF);
  if (!extension) return { ok: true, value: { amendment: false } };
  const replaces = isObject(extension.valueIdentifier) ? extension.valueIdentifier.value : undefined;
  if (typeof replaces !== 'string' || replaces === '') {
    return missing('The identifier of the message replaced (replacementOf) is missing.', `${path}.extension("Extension-replacementOf").valueIdentifier.value`);
  }
  return { ok: true, value: { amendment: true, replaces } };
}

export function checkedId<T>(id: unknown, then: (id: string) => Read<T>, expression: string): Read<T> {
  if (typeof id !== 'string') return missing('The prescription id (short form) is missing.', expression);
  const problem = shortFormIdProblem(id);
  if (problem === 'checksum') return { ok: false, diagnostics: 'prescriptionID has invalid checksum', expression, code: 'checksum' };
  if (problem) return invalid(`'${quoted(id)}' is not a short-form prescription id.`, expression);
  return then(id);
}

/**
 * The dispenser's PractitionerRole names its practitioner by identifier and display, as every one of
 * the spec's releases, claims, returns and withdrawals does; one naming it by reference is the spec's
 * verification error (fhir-dispensing.yaml "Errors", `/Claim`, `/Task/$release`, `/Task`): "… practitioner
 * populated incorrectly. Please populate with Identifier and Display." (400 `invalid`), `field` naming
 * where it is. A practitioner given no reference, or none, is left as it is (the spec asks for none).
 */
export function practitionerByReference<T>(roles: unknown[], field: string): Read<T> | undefined {
  const byReference = roles.filter(isObject).some((role) => isObject(role.practitioner) && role.practitioner.reference !== undefined);
  return byReference ? invalidIssue(`${field} populated incorrectly. Please populate with Identifier and Display.`, field) : undefined;
}

export interface ReleaseRequest { owner: string; shortFormId?: string }

export function readRelease(parameters: Json): Read<ReleaseRequest> {
  const all = asArray(parameters.parameter).filter(isObject);
  // Each parameter once (Release.yaml: "the short-form-prescription-id of the prescription"): a
  // second group-identifier was ignored, so a release naming two released the first alone, and
  // said nothing of the other (found by probing).
  const repeated = ['owner', 'status', 'agent', 'group-identifier'].find((name) => all.filter((p) => p.name === name).length > 1);
  if (repeated) return invalid(`Parameter ${repeated} must be given at most once.`, `Parameters.parameter("${repeated}")`);
  const named = (name: string) => all.find((p) => p.name === name);
  const owner = named('owner');
  const ods = owner && isObject(owner.resource) ? identifierValue(owner.resource.identifier, SYSTEMS.ods) : undefined;
  if (!ods) return invalidIssue('Required parameter owner is missing.', 'Parameters.parameter("owner")');
  const status = named('status');
  if (!status || status.valueCode !== 'accepted') return invalid("Parameter status must be 'accepted'.", 'Parameters.parameter("status").valueCode');
  if (!named('agent')) return invalidIssue('Required parameter agent is missing.', 'Parameters.parameter("agent")');
  const byReference = practitionerByReference<ReleaseRequest>([named('agent')!.resource], 'Parameters.parameter("agent").resource.practitioner');
  if (byReference) return byReference;
  const group = named('group-identifier');
  if (!group) return { ok: true, value: { owner: ods } };
  const id = isObject(group.valueIdentifier) ? group.valueIdentifier.value : undefined;
  return checkedId(id, (shortFormId) => ({ ok: true, value: { owner: ods, shortFormId } }), 'Parameters.parameter("group-identifier").valueIdentifier.value');
}

export interface DispenseNotification {
  dispenser: string; shortFormId: string; nhsNumber?: string; outcome: 'partial' | 'complete' | 'none'; amendment: boolean;
  /** What an amendment names (MessageHeader replacementOf) and what this one is named by (Bundle.identifier, Bundle.id). */
  replaces?: string; identifiers: string[];
  /** Each line item's status as the notification gives it (MedicationDispense.type), by item id: all its MedicationDispenses give the same. */
  items: Record<string, ItemStatus>;
  /** Its message id: Bundle.identifier ("The unique ID of the dispense notification", DispenseNotification.yaml). */
  messageId?: string;
  /** What it supplied of each item (each MedicationDispense.quantity of the item), by item id. */
  quantities: Record<string, Amount[]>;
}

/** A quantity as the spec has it: at least 0, at most two decimal places, exactly as JSON gives it back. */
const QUANTITY_TEXT = /^[0-9]+(\.[0-9]{1,2})?$/;

/**
 * A quantity dispensed (a MedicationDispense's, "The amount of medication that has been dispensed"; a
 * claim line's subDetail's, "The quantity of the medication dispensed to the patient"), a rational
 * number "to a maximum of 2 decimal places": none when it gives none (neither schema requires it); a
 * value that is not such a number (negative, a string, 1e21, 0.001) is INVALID_VALUE, as it would
 * count against the prescribed or dispensed quantity (a negative one took back what was supplied).
 * `field` names it in the diagnostics, `where` in the expression.
 */
export function dispensedQuantity(quantity: unknown, where: string, field: string): Read<Amount | undefined> {
  if (quantity === undefined) return { ok: true, value: undefined };
  const value = isObject(quantity) ? quantity.value : undefined;
  if (typeof value !== 'number' || !QUANTITY_TEXT.test(String(value))) {
    return { ok: false, code: 'invalid-value', expression: `${where}.value`,
      diagnostics: `Invalid value - '${quoted(value)}' in field '${field}.value': a quantity is a number of at least 0 with at most 2 decimal places.` };
  }
  const q = quantity as Json;
  return { ok: true, value: {
    value, ...(typeof q.unit === 'string' ? { unit: q.unit } : {}), ...(typeof q.system === 'string' ? { system: q.system } : {}),
    ...(typeof q.code === 'string' || typeof q.code === 'number' ? { code: String(q.code) } : {}),
  } };
}

/**
 * The pharmacy a notification is from: every MedicationDispense's performer's organisation (dispenser.ts),
 * one and the same, as NHS England's implementation holds every MedicationDispense to one performer.
 */
function notificationDispenser(dispenses: Json[], entries: Entry[]): Read<string> {
  const named = new Set<string>();
  for (const [i, dispense] of dispenses.entries()) {
    const find = containedLookup(dispense.contained, (reference) => resolve(entries, reference));
    const codes = asArray(dispense.performer).filter(isObject).map((p) => dispenserNamedBy(p.actor, find)).filter((ods) => ods !== undefined);
    if (codes.length === 0) {
      return missing(`MedicationDispense ${i + 1} does not name its dispensing organisation: its performer is a PractitionerRole whose organization is an Organization with an ODS code.`,
        `Bundle.entry.resource.ofType(MedicationDispense)[${i}].performer`);
    }
    for (const ods of codes) named.add(ods);
  }
  if (named.size > 1) return invalid('Expected all MedicationDispenses to have the same value for performer.', 'Bundle.entry.resource.ofType(MedicationDispense).performer');
  return { ok: true, value: [...named][0]! };
}

const ORGANISATION_RELATIONSHIPS = 'https://fhir.nhs.uk/StructureDefinition/Extension-ODS-OrganisationRelationships';

/**
 * The reimbursement authority (ODSOrganisationRelationships.yaml: "the reimbursement authority that a
 * notification needs to be sent to", NHSBSA T1450 in England), `reimbursementAuthority` of the dispensing
 * Organization's Extension-ODS-OrganisationRelationships, as every one of the spec's notifications gives it:
 * both specs' verification errors (400 `invalid`) refuse a notification without it, or without its ODS code,
 * in these words. It was not read, so a notification naming no one to be paid by was recorded.
 */
function reimbursementAuthorityProblem(dispenses: Json[], entries: Entry[]): Read<never> | undefined {
  const where = 'Bundle.entry.resource.ofType(Organization).extension("Extension-ODS-OrganisationRelationships")';
  for (const dispense of dispenses) {
    const find = containedLookup(dispense.contained, (reference) => resolve(entries, reference));
    for (const performer of asArray(dispense.performer).filter(isObject)) {
      const organisation = dispensingOrganisation(performer.actor, find);
      const relationships = asArray(organisation?.extension).filter(isObject).find((e) => e.url === ORGANISATION_RELATIONSHIPS);
      if (!relationships) {
        return { ok: false, code: 'invalid-issue', expression: where, diagnostics: 'The dispense notification is missing the reimbursement authority and it should be provided.' };
      }
      const authority = asArray(relationships.extension).filter(isObject).find((e) => e.url === 'reimbursementAuthority');
      const ods = isObject(authority?.valueIdentifier) ? authority.valueIdentifier.value : undefined;
      if (typeof ods !== 'string' || ods.trim() === '') {
        return { ok: false, code: 'invalid-issue', expression: `${where}.extension("reimbursementAuthority")`,
          diagnostics: 'The dispense notification is missing the ODS code for the reimbursement authority and it should be provided.' };
      }
    }
  }
  return undefined;
}

export function readDispenseNotification(bundle: Json): Read<DispenseNotification> {
  // As a prescribing Bundle without entries (examples/spec/errors/example-a-validation-error-missing-field).
  if (!Array.isArray(bundle.entry)) return { ok: false, diagnostics: "ResourceType Bundle must contain 'entry' field", code: 'missing-entry' };
  const notAMessage = messageBundleProblem(bundle);
  if (notAMessage) return invalid(notAMessage.diagnostics, notAMessage.expression);
  const entries = entriesOf(bundle);
  if (messageEventOf(entries) !== 'dispense-notification') {
    return invalid('MessageHeader.eventCoding.code must be one of: prescription-order, prescription-order-update, dispense-notification.', 'Bundle.entry.resource.ofType(MessageHeader).eventCoding');
  }
  const header = resourcesOf(entries, 'MessageHeader')[0]!;
  const dispenses = resourcesOf(entries, 'MedicationDispense');
  if (dispenses.length === 0) return missing('Bundle contains no MedicationDispense.', 'Bundle.entry.resource.ofType(MedicationDispense)');
  const performer = notificationDispenser(dispenses, entries);
  if (!performer.ok) return performer;
  const dispenser = performer.value;
  const unpaid = reimbursementAuthorityProblem(dispenses, entries);
  if (unpaid) return unpaid;
  const requests = dispenses.flatMap((d) => asArray(d.contained).filter(isObject).filter((c) => c.resourceType === 'MedicationRequest'));
  const ids = [...new Set(requests.map((r) => (isObject(r.groupIdentifier) ? r.groupIdentifier.value : undefined)))];
  if (ids.length > 1) return invalid('Expected all MedicationDispenses to be for the same prescription.', 'MedicationDispense.authorizingPrescription');
  const statuses = [...new Set(dispenses.map((d) => {
    const ext = asArray(d.extension).filter(isObject).find((e) => e.url === BUSINESS_STATUS);
    return isObject(ext?.valueCoding) ? ext.valueCoding.code : undefined;
  }))];
  if (statuses.length !== 1) return invalid('Expected all MedicationDispenses to have the same value for MedicationDispense.extension:taskBusinessStatus', 'MedicationDispense.extension:taskBusinessStatus');
  // examples/errors/3-…-Dispense-400_Invalid_Value: one reason for the whole prescription not being dispensed.
  const reasons = new Set(dispenses.map((d) => {
    const ext = asArray(d.extension).filter(isObject).find((e) => e.url === NON_DISPENSING_REASON);
    return isObject(ext?.valueCoding) ? ext.valueCoding.code : undefined;
  }));
  if (reasons.size > 1) {
    return { ok: false, code: 'invalid-value', expression: 'MedicationDispense.extension:prescriptionNonDispensingReason',
      diagnostics: 'Expected all MedicationDispenses to have the same value for MedicationDispense.extension:prescriptionNonDispensingReason' };
  }
  const outcome = statuses[0] === '0003' ? 'partial' : statuses[0] === '0006' ? 'complete' : statuses[0] === '0007' ? 'none' : undefined;
  if (!outcome) return invalid(`Task business status '${quoted(statuses[0])}' is not 0003, 0006 or 0007.`, 'MedicationDispense.extension:taskBusinessStatus');
  const replacement = replacementOf(header.extension, 'Bundle.entry.resource.ofType(MessageHeader)');
  if (!replacement.ok) return replacement;
  const own = ownIdentifier(isObject(bundle.identifier) ? bundle.identifier.value : undefined, 'Bundle.identifier.value');
  if (!own.ok) return own;
  const messageId = own.value;
  if (bundle.id !== undefined && (typeof bundle.id !== 'string' || !FHIR_ID.test(bundle.id))) {
    return { ok: false, code: 'provided-value', expression: 'Bundle.id', diagnostics: `Invalid value - '${quoted(bundle.id)}' in field 'Bundle.id': a FHIR id is 1 to 64 letters, digits, '-' and '.'.` };
  }
  const identifiers = [messageId, bundle.id].filter((v): v is string => typeof v === 'string');
  const items = new Map<string, ItemStatus>();
  const quantities: Record<string, Amount[]> = {};
  for (const [i, dispense] of dispenses.entries()) {
    const where = `Bundle.entry.resource.ofType(MedicationDispense)[${i}]`;
    // Each MedicationDispense names its item (its contained MedicationRequest's
    // prescription-order-item-number) and that item's status (its type, of medicationdispense-type),
    // as every one of the spec's examples does. One that did not (its item named by another system: a
    // trailing space was enough; or no type) was skipped, and a notification of such lines, naming no
    // item, then had every item fully dispensed by its business status, though each line said its item
    // was not dispensed; the claim then paid for them (found by probing).
    const request = asArray(dispense.contained).filter(isObject).find((c) => c.resourceType === 'MedicationRequest');
    const named = request ? identifierValue(request.identifier, SYSTEMS.orderItemNumber) : undefined;
    if (named === undefined) {
      return missing(`MedicationDispense ${i + 1} does not name its item: its contained MedicationRequest has no ${SYSTEMS.orderItemNumber} identifier.`, `${where}.contained.ofType(MedicationRequest).identifier`);
    }
    const coding = isObject(dispense.type) ? asArray(dispense.type.coding).filter(isObject).find((c) => c.system === ITEM_TYPES) : undefined;
    const code = coding?.code;
    if (typeof code !== 'string') {
      return missing(`MedicationDispense ${i + 1} does not give its item's status: it has no type code of ${ITEM_TYPES}.`, `${where}.type`);
    }
    const itemId = itemKey(named);
    const status = itemStatusOfCode(code);
    if (!status) {
      return { ok: false, code: 'invalid-value', expression: `${where}.type.coding.code`,
        diagnostics: `MedicationDispense.type '${quoted(code)}' is not a code of https://fhir.nhs.uk/CodeSystem/medicationdispense-type.` };
    }
    // One item may be supplied by several MedicationDispenses (several products or packs), all in
    // one status: two statuses would leave the kept message saying what the item's state does not.
    const before = items.get(itemId);
    if (before !== undefined && before !== status) {
      return { ok: false, code: 'invalid-value', expression: `${where}.type.coding.code`,
        diagnostics: `Line item ${quoted(itemId)} is given two statuses, '${ITEM_STATUSES[before].display}' and '${ITEM_STATUSES[status].display}': every MedicationDispense of an item must have the same MedicationDispense.type.` };
    }
    items.set(itemId, status);
    const quantity = dispensedQuantity(dispense.quantity, `${where}.quantity`, 'MedicationDispense.quantity');
    if (!quantity.ok) return quantity;
    if (quantity.value !== undefined) quantities[itemId] = [...(Object.hasOwn(quantities, itemId) ? quantities[itemId]! : []), quantity.value];
  }
  // One patient, named by every MedicationDispense (the spec's schema requires its subject; each of
  // its examples' names the patient's NHS number): only the first's was read, so one for another
  // patient, or none, was recorded against this prescription (found by probing).
  const subjects = dispenses.map((d) => (isObject(d.subject) ? identifierValue(d.subject.identifier, SYSTEMS.nhsNumber) : undefined));
  const unnamed = subjects.indexOf(undefined);
  if (unnamed >= 0) {
    return missing(`MedicationDispense ${unnamed + 1} does not name its patient (subject.identifier, an NHS number).`, `Bundle.entry.resource.ofType(MedicationDispense)[${unnamed}].subject`);
  }
  if (new Set(subjects).size > 1) return invalid('Expected all MedicationDispenses to have the same value for subject.', 'Bundle.entry.resource.ofType(MedicationDispense).subject');
  const subject = subjects[0];
  return checkedId(ids[0], (shortFormId) => ({ ok: true, value: { dispenser, shortFormId, nhsNumber: subject, outcome, ...replacement.value, identifiers, items: Object.fromEntries(items), quantities, ...(messageId !== undefined ? { messageId } : {}) } }),
    'MedicationDispense.authorizingPrescription.groupIdentifier');
}

/** A message's own identifier (Claim.identifier, Task.identifier: an array of RFC 4122 identifiers): the first, each a UUID (`ownIdentifier`). */
export function firstIdentifier(identifiers: unknown, field: string): Read<string | undefined> {
  const values = asArray(identifiers).map((i) => (isObject(i) ? i.value : i));
  for (const value of values) {
    const checked = ownIdentifier(value, `${field}.value`);
    if (!checked.ok) return checked;
  }
  return { ok: true, value: values[0] as string | undefined };
}

export interface TaskRequest {
  kind: 'return' | 'withdraw'; dispenser: string; shortFormId: string; nhsNumber?: string; reason?: string;
  /** A withdrawal: the dispense notification it takes back (Task.focus.identifier, its Bundle.identifier or Bundle.id). */
  withdraws?: string;
  /** Its own identifier (Task.identifier: "The unique identifier for the Return/Withdraw Request"). */
  identifier?: string;
  /** The issue it is about and the issues it says the prescription has (Extension-EPS-RepeatInformation, task-repeat.ts). */
  issue?: number; issues?: number;
}

const RETURN_REASONS = 'https://fhir.nhs.uk/CodeSystem/EPS-task-dispense-return-status-reason';

/**
 * Which Task it is, in the spec's verification errors (fhir-dispensing.yaml "Errors"): a return is
 * `rejected` with a reason of the return-reason system, a withdrawal `in-progress` with code `abort`.
 * The table names `Task.reasonCode` for the reason; every example sends that system in
 * `statusReason` (and a SNOMED concept in `reasonCode`), so `statusReason` is read.
 */
function taskKind(task: Json): Read<'return' | 'withdraw'> {
  if (task.status !== 'in-progress' && task.status !== 'rejected') return invalid("Task.status must be one of: 'in-progress', 'rejected'", 'Task.status');
  if (task.status === 'rejected') {
    const reason = isObject(task.statusReason) ? asArray(task.statusReason.coding).filter(isObject).find((c) => c.system === RETURN_REASONS) : undefined;
    if (typeof reason?.code !== 'string' || reason.code === '') {
      return invalid(`Task.reasonCode must have a system of '${RETURN_REASONS}' and a value from that system.`, 'Task.statusReason');
    }
    return { ok: true, value: 'return' };
  }
  const code = isObject(task.code) ? asArray(task.code.coding).filter(isObject)[0]?.code : undefined;
  if (code === undefined) return invalid("Task.code is required when Task.status is 'in-progress'.", 'Task.code');
  if (code !== 'abort') return invalid("Task.code must be 'abort' when Task.status is 'in-progress'.", 'Task.code');
  return { ok: true, value: 'withdraw' };
}

/**
 * The dispense notification a withdrawal takes back: its Task.focus names it by identifier (the
 * schema, Withdraw.yaml; the spec's acute example names acute-primary-example-03 by its Bundle.id,
 * the homecare one its notification by Bundle.identifier). A return names none.
 */
function withdrawnNotification(task: Json, kind: 'return' | 'withdraw'): Read<{ withdraws?: string }> {
  if (kind === 'return') return { ok: true, value: {} };
  const withdraws = isObject(task.focus) && isObject(task.focus.identifier) ? task.focus.identifier.value : undefined;
  if (typeof withdraws !== 'string' || withdraws === '') {
    return missing('The identifier of the dispense notification withdrawn (Task.focus) is missing.', 'Task.focus.identifier.value');
  }
  return { ok: true, value: { withdraws } };
}

export function readTask(task: Json): Read<TaskRequest> {
  const kindOf = taskKind(task);
  if (!kindOf.ok) return kindOf;
  const kind = kindOf.value;
  const contained = asArray(task.contained).filter(isObject);
  const byReference = practitionerByReference<TaskRequest>(contained.filter((c) => c.resourceType === 'PractitionerRole'), 'Task.contained("PractitionerRole").practitioner');
  if (byReference) return byReference;
  // The requester's organisation, not Task.owner (dispenser.ts); a Task naming no requester, its one contained Organization.
  const organisations = contained.filter((c) => c.resourceType === 'Organization');
  const dispenser = task.requester !== undefined ? dispenserNamedBy(task.requester, containedLookup(contained))
    : organisations.length === 1 ? identifierValue(organisations[0]!.identifier, SYSTEMS.ods) : undefined;
  if (!dispenser) {
    return missing('The dispensing organisation is missing: Task.requester is a contained PractitionerRole whose organization is a contained Organization with an ODS code.', 'Task.requester');
  }
  const nhsNumber = isObject(task.for) ? identifierValue(task.for.identifier, SYSTEMS.nhsNumber) : undefined;
  const reasonCoding = isObject(task.statusReason) ? asArray(task.statusReason.coding).filter(isObject)[0] : undefined;
  const reason = typeof reasonCoding?.display === 'string' ? reasonCoding.display : undefined;
  const withdrawn = withdrawnNotification(task, kind);
  if (!withdrawn.ok) return withdrawn;
  const id = isObject(task.groupIdentifier) ? task.groupIdentifier.value : undefined;
  const own = firstIdentifier(task.identifier, 'Task.identifier');
  if (!own.ok) return own;
  const identifier = own.value;
  const counts = taskRepeatCounts(task);
  if (!counts.ok) return counts;
  return checkedId(id, (shortFormId) => ({ ok: true, value: {
    kind, dispenser, shortFormId, nhsNumber, reason, ...withdrawn.value, ...(identifier !== undefined ? { identifier } : {}), ...counts.value,
  } }), 'Task.groupIdentifier.value');
}
