import type { Queryable } from '../../../platform/db/pool.js';
import { SpineError } from '../../../platform/http/errors.js';
import type { PlatformContext } from '../../../platform/service.js';
import { demographicsApi } from '../../demographics/api.js';
import { directoryApi } from '../../directory/api.js';
import { assertActsFor, type EpsCaller } from '../caller.js';
import { EPS_ERRORS, epsError, failureToProcess } from '../errors.js';
import { prepareParameters, signedInfoFor } from '../domain/digest.js';
import { professionalCodeProblem } from '../domain/professional-code.js';
import { readPrescriptionMessage, type MessageProblem, type PrescriptionMessage } from '../domain/prescription-message.js';
import { SIGNATURE_PROBLEMS, readXmlSignature, verifyPrescriptionSignature } from '../domain/signature.js';
import { cancelResponse } from '../domain/responses.js';
import type { Json } from '../domain/fhir.js';
import { CANCELLATION_RESPONSES, initialState } from '../domain/lifecycle.js';
import { recordedItem } from '../domain/item-names.js';
import { londonDate } from '../domain/london-time.js';
import { acuteValidUntil, calendarDateOf, repeatValidUntil } from '../domain/validity.js';
import { historyStatement, newPrescriptionStatements, readOrderedPrescription, removePrescription, shortFormIdTaken } from '../store.js';
import { eventStatement } from '../../../platform/events/outbox.js';
import { answerOnce, type SentAnswer } from './once.js';
import { recordTransition } from './record.js';
import { fhirInstant, successOutcome } from '../wire.js';

/** Prescribing: `$prepare`, `$process-message` (prescription-order, prescription-order-update), `$validate`. */

function problemError(problem: MessageProblem): SpineError {
  switch (problem.kind) {
    case 'missing-entry': return epsError(EPS_ERRORS.MISSING_FIELD);
    case 'verification': return epsError({ ...EPS_ERRORS.VERIFICATION, issueCode: problem.issueCode ?? EPS_ERRORS.VERIFICATION.issueCode }, problem.diagnostics, problem.expression);
    case 'failure-to-process': return failureToProcess(problem.detail);
    case 'course-of-therapy': return epsError(EPS_ERRORS.COURSE_OF_THERAPY_MIXED, undefined, 'MedicationRequest.courseOfTherapyType.coding');
    case 'missing-value': return epsError(EPS_ERRORS.MISSING_VALUE, problem.diagnostics, problem.expression);
    case 'missing-dosage-sequence': return epsError(EPS_ERRORS.MISSING_DOSAGE_SEQUENCE, problem.diagnostics, problem.expression);
  }
}

export function readMessage(body: Json, expected?: PrescriptionMessage['event'], options = { checksum: true }): PrescriptionMessage {
  const parsed = readPrescriptionMessage(body, options);
  if (!parsed.ok) throw problemError(parsed.problem);
  if (expected && parsed.message.event !== expected) {
    throw epsError(EPS_ERRORS.VERIFICATION, `MessageHeader.eventCoding.code must be '${expected}'.`, 'Bundle.entry.resource.ofType(MessageHeader).eventCoding');
  }
  return parsed.message;
}

/** `$prepare`: the SignedInfo to sign for this prescription, timestamped now. */
export function prepare(ctx: PlatformContext, body: Json): Json {
  const message = readMessage(body, 'prescription-order', { checksum: false });
  // The spec lists this verification error for `/$prepare` alone (neither spec's table names `/$process-message` for it).
  const professionalCode = professionalCodeProblem(message.entries);
  if (professionalCode) throw epsError(EPS_ERRORS.VERIFICATION, professionalCode.diagnostics, professionalCode.expression);
  return prepareParameters(message.entries, fhirInstant(ctx.clock.now()));
}

/**
 * The order's signature. In sandbox mode, as on NHS England's sandbox, a signature is required but
 * accepted without verification (the examples carry test signatures with no SignatureValue).
 */
async function checkSignature(ctx: PlatformContext, message: PrescriptionMessage) {
  const data = message.signature?.data;
  if (!data) throw epsError(EPS_ERRORS.MISSING_DIGITAL_SIGNATURE, 'The prescription-order has no Provenance signature', 'Bundle.entry.resource.ofType(Provenance).signature.data');
  if (ctx.config.sandbox) return;
  const signature = readXmlSignature(data);
  if (!signature) throw epsError(EPS_ERRORS.INVALID_DIGITAL_SIGNATURE, 'Provenance.signature.data is not an XML-DSig Signature', 'Bundle.entry.resource.ofType(Provenance).signature.data');
  const when = message.signature?.when;
  if (!when || Number.isNaN(Date.parse(when))) throw epsError(EPS_ERRORS.MISSING_VALUE, "Provenance.signature.when (the $prepare timestamp) is missing", 'Bundle.entry.resource.ofType(Provenance).signature.when');
  const subjects = message.author ? [message.author, '*'] : ['*'];
  const expected = signedInfoFor(message.entries, when);
  const verify = (registered: ReadonlyArray<{ subject: string; pem: string }>) => verifyPrescriptionSignature(signature, expected, new Date(when), {
    prescriber: registered.filter((c) => c.subject !== '*').map((c) => c.pem),
    authorities: registered.filter((c) => c.subject === '*').map((c) => c.pem),
  });
  let problem = verify(await knownCertificates(ctx.db, subjects));
  // Registered since they were remembered: the directory is asked again before a refusal.
  if (problem === 'certificate-not-trusted') problem = verify(await directoryApi(ctx.db).signingCertificates(subjects));
  if (problem) throw epsError(EPS_ERRORS.INVALID_DIGITAL_SIGNATURE, `Invalid digital signature: ${SIGNATURE_PROBLEMS[problem]}`, 'Bundle.entry.resource.ofType(Provenance).signature');
}

/**
 * The certificates registered for a prescriber and the trusted CAs, remembered for a minute: every
 * order needs them, and its look-up cost a round trip and a plan. The directory only ever adds a
 * certificate (none is removed or revoked), so what is remembered still stands; one registered
 * since is found by asking again when a signature's certificate is not among those remembered.
 * A look-up several orders await is shared by them; a failed one is forgotten.
 */
const CERTIFICATES_KEPT_MS = 60_000;
type Certificates = Promise<Array<{ subject: string; pem: string }>>;
const certificatesKeptOn = new WeakMap<Queryable, Map<string, { at: number; certificates: Certificates }>>();
function knownCertificates(db: Queryable, subjects: string[]): Certificates {
  let certificatesKept = certificatesKeptOn.get(db);
  if (!certificatesKept) certificatesKeptOn.set(db, certificatesKept = new Map());
  const key = subjects.join('\n');
  const kept = certificatesKept.get(key);
  if (kept && Date.now() - kept.at < CERTIFICATES_KEPT_MS) return kept.certificates;
  if (certificatesKept.size >= 10_000) certificatesKept.clear();
  const certificates = directoryApi(db).signingCertificates(subjects);
  certificatesKept.set(key, { at: Date.now(), certificates });
  certificates.catch(() => certificatesKept.delete(key));
  return certificates;
}

/** The day the prescriber signed the order (its signature's time, London; never after the day it arrived), else the day it arrived. */
function signedOn(message: PrescriptionMessage, receivedAt: Date) {
  const arrived = londonDate(receivedAt);
  const signed = message.signature?.when !== undefined ? calendarDateOf(message.signature.when) : undefined;
  const asNumber = (d: { year: number; month: number; day: number }) => Date.UTC(d.year, d.month - 1, d.day);
  return signed !== undefined && asNumber(signed) < asNumber(arrived) ? signed : arrived;
}

async function nominationOnPds(ctx: PlatformContext, nhsNumber: string): Promise<string | undefined> {
  const patient = await demographicsApi(ctx.db).lookupPatient(nhsNumber);
  return patient.status === 'active' ? patient.nominatedPharmacyOdsCode : undefined;
}

/** `prescription-order`: a signed prescription enters the Spine, to be dispensed; `text` is its Bundle as received. */
export async function createPrescription(ctx: PlatformContext, caller: EpsCaller, message: PrescriptionMessage, body: Json, text: string): Promise<SentAnswer & { message: PrescriptionMessage }> {
  assertActsFor(caller, message.prescriberOds, 'The prescribing organisation');
  await checkSignature(ctx, message);
  // The nominated pharmacy: the one the prescription names, else the patient's nomination on PDS
  // (read only then: the record is a cold read of a large store).
  const nominatedPharmacy = message.nominatedPharmacy ?? await nominationOnPds(ctx, message.nhsNumber);
  const answer = await answerOnce(ctx, caller, 'prescription-order', async (db, writes) => {
    const now = ctx.clock.now();
    const validUntil = message.repeat
      ? repeatValidUntil(message.medicationRequests, message.repeat.validUntil, signedOn(message, now))
      : acuteValidUntil(message.medicationRequests, signedOn(message, now));
    // A prescription whose validity has ended would only be taken to expire at the next sweep. (Not
    // in sandbox mode: the spec's examples, replayed there, were valid in 2021 and 2022.)
    if (validUntil < now && !ctx.config.sandbox) {
      throw epsError(EPS_ERRORS.VERIFICATION, `The prescription's validity period ended before it was sent (${validUntil.toISOString()}).`,
        'Bundle.entry.resource.ofType(MedicationRequest).dispenseRequest.validityPeriod.end');
    }
    const row = {
      nhsNumber: message.nhsNumber, shortFormId: message.shortFormId, longFormId: message.longFormId, prescriberOds: message.prescriberOds,
      author: message.author, nominatedPharmacy, courseOfTherapy: message.courseOfTherapy, state: initialState(message.itemIds, message.repeat?.issues, message.repeat?.supplyDays, message.prescribed),
      validUntil,
      itemIds: message.itemIds, cancelledItems: [], orderBundle: body, createdAt: now, updatedAt: now,
    };
    // Sandbox mode accepts a known id again, in place of the earlier prescription; elsewhere it is a duplicate.
    if (ctx.config.sandbox) await removePrescription(db, row.shortFormId);
    else if (await shortFormIdTaken(db, row.shortFormId)) {
      throw epsError(EPS_ERRORS.DUPLICATE_PRESCRIPTION_ID, `Prescription ${message.shortFormId} already exists`);
    }
    // Guarded: an order with the id that got in since is found on the next attempt, and refused.
    for (const statement of newPrescriptionStatements(row, text)) writes.add(statement, 1);
    writes.add(historyStatement(row, { event: 'created', status: 'to-be-dispensed', actorOds: message.prescriberOds, actorUser: caller.userId, requestId: caller.requestId }, now));
    writes.add(eventStatement({
      type: 'eps-prescription-created', source: 'prescriptions', nhsNumber: row.nhsNumber,
      payload: { shortFormId: row.shortFormId, status: 'to-be-dispensed', nominatedPharmacy: nominatedPharmacy ?? null, at: now.toISOString() },
    }));
    return { statusCode: 200, body: successOutcome(now) };
    // The sandbox's removal of an earlier prescription and the new one's writes, in one transaction.
  }, { locking: ctx.config.sandbox });
  return { ...answer, message };
}

const sameOrganisation = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();

/**
 * `prescription-order-update`: a prescriber cancels an item. Before release it is cancelled (the
 * prescription once all its items are); with a dispenser it is marked for cancellation (R-0002,
 * R-0003; the dispenser returning it completes it); afterwards refused with the spec's R-code.
 */
export async function cancelPrescription(ctx: PlatformContext, caller: EpsCaller, message: PrescriptionMessage): Promise<SentAnswer & { message: PrescriptionMessage }> {
  assertActsFor(caller, message.prescriberOds, 'The prescribing organisation');
  const messageId = caller.requestId ?? message.shortFormId;
  const answer = await answerOnce(ctx, caller, 'prescription-order-update', async (db, writes, lock) => {
    const now = ctx.clock.now();
    const row = await readOrderedPrescription(db, message.shortFormId, lock);
    // Another organisation's prescription is not there for this one, as in tracking (not in sandbox mode, where organisations are as the examples name them).
    if (!row || !(ctx.config.sandbox || sameOrganisation(row.prescriberOds, message.prescriberOds))) throw epsError(EPS_ERRORS['R-0008']);
    if (row.nhsNumber !== message.nhsNumber) {
      throw new SpineError({ ...EPS_ERRORS['R-5000'], display: `${EPS_ERRORS['R-5000'].display} - Mismatch between prescription and cancellation NHSNumber` });
    }
    // The item as the order names it (a UUID in either case names it: domain/item-names.ts).
    const itemId = recordedItem(row.state.items, message.itemIds[0]!);
    const respond = (code: keyof typeof CANCELLATION_RESPONSES) =>
      ({ statusCode: code === 'R-0001' ? 200 : 400, body: cancelResponse(row.orderBundle, itemId, code, messageId, now) });
    const prescriber = message.author ?? message.prescriberOds;
    // Before release the item is cancelled, and with it the prescription when it was the last item left.
    const lastItem = Object.entries(row.state.items).every(([id, status]) => id === itemId || status === 'cancelled');
    const event = row.state.status !== 'to-be-dispensed' ? 'cancellation-requested' : lastItem ? 'cancelled' : 'item-cancelled';
    const recorded = recordTransition(ctx, writes, row, { type: 'cancel', prescriber, item: itemId }, caller, { event, actorOds: message.prescriberOds });
    if (!recorded.ok) {
      if (recorded.refusal === 'R-0008') throw epsError(EPS_ERRORS['R-0008']);
      return respond(recorded.refusal as keyof typeof CANCELLATION_RESPONSES);
    }
    return respond(recorded.cancellation!);
  });
  return { ...answer, message };
}
