import type { Queryable } from '../../../platform/db/pool.js';
import { SpineError } from '../../../platform/http/errors.js';
import type { PlatformContext } from '../../../platform/service.js';
import { assertActsFor, type EpsCaller } from '../caller.js';
import { EPS_ERRORS, epsError, failureToProcess } from '../errors.js';
import {
  readDispenseNotification, readRelease, readTask, type Read,
} from '../domain/dispensing-messages.js';
import { readClaim } from '../domain/claim-message.js';
import { repeatCountsProblem } from '../domain/claim-repeat.js';
import { taskRepeatMismatch } from '../domain/task-repeat.js';
import type { Json } from '../domain/fhir.js';
import { claimAmendableUntil } from '../domain/claim-period.js';
import type { Items, LifecycleEvent, MessageIdentity, RepeatIssues } from '../domain/lifecycle.js';
import { releaseParameters, releasedBundle } from '../domain/responses.js';
import { lockNominated, readOrderedPrescription, readPrescription, readPrescriptionOf, type OrderedPrescription, type PrescriptionRow } from '../store.js';
import { directoryApi } from '../../directory/api.js';
import { errorOutcome, successOutcome, withAnotherDispenserOutcome } from '../wire.js';
import { inReturnTable } from './return-errors.js';
import { answerOnce, type Answer, type SentAnswer } from './once.js';
import { recordTransition, type Recorded } from './record.js';

/** Dispensing: `Task/$release`, dispense notifications, `Task` return and withdraw, `Claim`. */

/** Nominated release hands over at most this many prescriptions per call (spec). */
export const NOMINATED_RELEASE_LIMIT = 25;

/** What a dispensing message read is, or the spec's error for what is wrong with it. */
export function valueOf<T>(read: Read<T>): T {
  if (read.ok) return read.value;
  if (read.code === 'missing-entry') throw epsError(EPS_ERRORS.MISSING_FIELD);
  if (read.code === 'checksum') throw failureToProcess(read.diagnostics);
  if (read.code === 'invalid-value') throw epsError(EPS_ERRORS.INVALID_VALUE_INVALID, read.diagnostics, read.expression);
  if (read.code === 'provided-value') throw epsError(EPS_ERRORS.INVALID_VALUE, read.diagnostics, read.expression);
  if (read.code === 'invalid-issue') throw epsError({ ...EPS_ERRORS.VERIFICATION, issueCode: 'invalid' }, read.diagnostics, read.expression);
  throw epsError(read.code === 'missing' ? EPS_ERRORS.MISSING_VALUE : EPS_ERRORS.VERIFICATION, read.diagnostics, read.expression);
}

/**
 * A refused transition's answer: with another dispenser, that dispenser as the spec's example gives
 * it (with-another-dispenser-error.json, read from the directory); any other refusal is thrown.
 */
async function refusalAnswer(db: Queryable, recorded: Extract<Recorded, { ok: false }>, row: PrescriptionRow, now: Date): Promise<Answer> {
  const holder = row.state.dispenser;
  if (recorded.refusal !== 'PRESCRIPTION_WITH_ANOTHER_DISPENSER' || holder === undefined) throw refusalError(recorded);
  const known = await directoryApi(db).getOrganisation(holder);
  const dispenser = { odsCode: holder, name: known?.name, postcode: known?.postcode };
  return { statusCode: 400, body: withAnotherDispenserOutcome(EPS_ERRORS.PRESCRIPTION_WITH_ANOTHER_DISPENSER, dispenser, now) };
}

/** A refused transition as its OperationOutcome. */
function refusalError(recorded: Extract<Recorded, { ok: false }>): SpineError {
  if (recorded.refusal === 'PRESCRIPTION_WITH_ANOTHER_DISPENSER') return epsError(EPS_ERRORS.PRESCRIPTION_WITH_ANOTHER_DISPENSER);
  if (recorded.refusal === 'CLAIM_AMEND_PERIOD_ISSUE') return epsError(EPS_ERRORS.CLAIM_AMEND_PERIOD_ISSUE, recorded.diagnostics);
  if (recorded.refusal === 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION') return epsError(EPS_ERRORS.PRESCRIPTION_INVALID_LINE_STATE_TRANSITION, recorded.diagnostics, recorded.expression);
  if (recorded.refusal === 'ITEM_NOT_FOUND') return epsError(EPS_ERRORS.ITEM_NOT_FOUND, recorded.diagnostics, recorded.expression);
  if (recorded.refusal === 'DISPENSE_AMEND_IDENTIFIER_MISMATCH') return epsError(EPS_ERRORS.DISPENSE_AMEND_IDENTIFIER_MISMATCH, recorded.diagnostics);
  if (recorded.refusal === 'NOT_LAST_DISPENSE') return epsError(EPS_ERRORS.NOT_LAST_DISPENSE, recorded.diagnostics);
  if (recorded.refusal === 'MESSAGE_ID_REUSED') return epsError(EPS_ERRORS.INVALID_VALUE, recorded.diagnostics, recorded.expression);
  // As the spec's other dispense notification value conflicts (examples/errors/3-…-Dispense-400_Invalid_Value).
  if (recorded.refusal === 'OVER_DISPENSED') return epsError(EPS_ERRORS.INVALID_VALUE_INVALID, recorded.diagnostics, recorded.expression);
  // As a notification supplying more than was prescribed (the spec has no code for either): quantities.ts overClaimed.
  if (recorded.refusal === 'OVER_CLAIMED') return epsError(EPS_ERRORS.INVALID_VALUE_INVALID, recorded.diagnostics, recorded.expression);
  if (recorded.refusal === 'MISMATCH_AUTHORISED_REPEAT_COUNTS') return epsError(EPS_ERRORS.MISMATCH_AUTHORISED_REPEAT_COUNTS, recorded.diagnostics);
  // As the spec's other dispense notification value conflicts (examples/errors/3-…-Dispense-400_Invalid_Value).
  if (recorded.refusal === 'BUSINESS_STATUS_CONTRADICTS_ITEMS') return epsError(EPS_ERRORS.INVALID_VALUE_INVALID, recorded.diagnostics, 'MedicationDispense.extension:taskBusinessStatus');
  return epsError(EPS_ERRORS.PRESCRIPTION_INVALID_STATE_TRANSITION, recorded.diagnostics);
}

/**
 * The prescription a message is about. One that names the patient is read by its full key; only
 * when that finds nothing is the id looked up, to tell a prescription of another patient from none.
 */
async function currentPrescription(db: Queryable, shortFormId: string, nhsNumber: string | undefined, lock: boolean): Promise<PrescriptionRow> {
  const row = nhsNumber === undefined ? await readPrescription(db, shortFormId, lock)
    : await readPrescriptionOf(db, nhsNumber, shortFormId, lock) ?? await readPrescription(db, shortFormId);
  if (!row) throw epsError(EPS_ERRORS.PRESCRIPTION_NOT_FOUND, `Prescription ${shortFormId} not found`);
  if (nhsNumber !== undefined && nhsNumber !== row.nhsNumber) {
    throw failureToProcess('the NHS number does not match the prescription');
  }
  return row;
}

/**
 * The time a release or dispense notification happens, for repeat issues' windows (lifecycle.ts
 * nextIssueAvailableFrom). None in sandbox mode: NHS England's sandbox keeps no state, and its
 * examples release each issue straight after the last.
 */
const repeatWindow = (ctx: PlatformContext, now: Date): { at?: Date } => (ctx.config.sandbox ? {} : { at: now });

export interface Applied extends SentAnswer { shortFormIds: string[]; nhsNumbers: string[] }

/**
 * `Task/$release`: one prescription by its short-form id, or up to 25 of those nominated to the
 * pharmacy, oldest first. Exactly once under a race: each prescription is locked while its state
 * changes, so of many pharmacies releasing it one gets it and the others are told it is with
 * another dispenser; nominated releases skip rows another release holds.
 */
export async function release(ctx: PlatformContext, caller: EpsCaller, body: Json, self: string): Promise<Applied> {
  const request = valueOf(readRelease(body));
  assertActsFor(caller, request.owner, 'The releasing pharmacy');
  const released: Array<OrderedPrescription & { items: Items; repeat?: RepeatIssues }> = [];
  const answer = await answerOnce(ctx, caller, 'release', async (db, writes, lock) => {
    const now = ctx.clock.now();
    const window = repeatWindow(ctx, now);
    released.length = 0;
    if (request.shortFormId) {
      const row = await readOrderedPrescription(db, request.shortFormId, lock);
      if (!row) throw epsError(EPS_ERRORS.RESOURCE_NOT_FOUND);
      const recorded = recordTransition(ctx, writes, row, { type: 'release', dispenser: request.owner, ...window }, caller, { event: 'released', actorOds: request.owner });
      if (!recorded.ok) return refusalAnswer(db, recorded, row, now);
      released.push({ ...row, items: recorded.state.items, repeat: recorded.state.repeat });
    } else {
      for (const row of await lockNominated(db, request.owner, now, NOMINATED_RELEASE_LIMIT, window.at)) {
        const recorded = recordTransition(ctx, writes, row, { type: 'release', dispenser: request.owner, ...window }, caller, { event: 'released', actorOds: request.owner });
        if (recorded.ok) released.push({ ...row, items: recorded.state.items, repeat: recorded.state.repeat });
      }
      // NHS England's sandbox answers empty passed and failed bundles instead.
      if (released.length === 0 && !ctx.config.sandbox) return { statusCode: EPS_ERRORS.NO_MORE_PRESCRIPTIONS.status, body: errorOutcome({ spec: EPS_ERRORS.NO_MORE_PRESCRIPTIONS }, now) };
    }
    return { statusCode: 200, body: releaseParameters(released.map((r) => releasedBundle(r.orderBundle, now, r.items, r.repeat)), [], now, self) };
    // A nominated release locks the prescriptions it takes, and skips those another release holds.
  }, { locking: !request.shortFormId });
  return { ...answer, shortFormIds: released.map((r) => r.shortFormId), nhsNumbers: [...new Set(released.map((r) => r.nhsNumber))] };
}

/**
 * A dispensing message's own identity (its Bundle.identifier, Claim.identifier or Task.identifier, and
 * the digest of its body), by which it is recorded once (lifecycle.ts messageSeen); in sandbox mode an
 * id is reusable, as the spec's examples reuse them.
 */
const messageIdentity = (ctx: PlatformContext, caller: EpsCaller, id: string | undefined): { message?: MessageIdentity } =>
  (id === undefined ? {} : { message: { id, digest: caller.requestDigest, reusable: ctx.config.sandbox } });

async function applyToPrescription(
  ctx: PlatformContext, caller: EpsCaller, operation: string, target: { shortFormId: string; nhsNumber?: string; dispenser: string },
  event: LifecycleEvent, historyEvent: string, messageText: string, checkAgainst?: (row: PrescriptionRow) => void,
): Promise<Applied> {
  assertActsFor(caller, target.dispenser, 'The dispensing organisation');
  let nhsNumber = target.nhsNumber;
  const answer = await answerOnce(ctx, caller, operation, async (db, writes, lock) => {
    const row = await currentPrescription(db, target.shortFormId, target.nhsNumber, lock);
    nhsNumber = row.nhsNumber;
    checkAgainst?.(row);
    const recorded = recordTransition(ctx, writes, row, event, caller, { event: historyEvent, actorOds: target.dispenser, messageText });
    // The same message again (lifecycle.ts messageSeen): answered as the first, nothing recorded.
    if (!recorded.ok && recorded.refusal === 'MESSAGE_ALREADY_RECORDED') return { statusCode: 200, body: successOutcome(ctx.clock.now()) };
    if (!recorded.ok) return refusalAnswer(db, recorded, row, ctx.clock.now());
    return { statusCode: 200, body: successOutcome(ctx.clock.now()) };
  });
  return { ...answer, shortFormIds: [target.shortFormId], nhsNumbers: nhsNumber ? [nhsNumber] : [] };
}

/**
 * The dispensing messages: `body` parsed, `text` as received (kept in the prescription's history).
 * `$process-message` dispense-notification: full, partial or nothing dispensed; an amendment replaces the last.
 */
export async function dispenseNotification(ctx: PlatformContext, caller: EpsCaller, body: Json, text: string): Promise<Applied> {
  const n = valueOf(readDispenseNotification(body));
  return applyToPrescription(ctx, caller, 'dispense-notification', n,
    {
      type: 'dispense', dispenser: n.dispenser, outcome: n.outcome, items: n.items, amendment: n.amendment, identifiers: n.identifiers, replaces: n.replaces,
      quantities: n.quantities, ...messageIdentity(ctx, caller, n.messageId), ...repeatWindow(ctx, ctx.clock.now()),
    },
    n.amendment ? 'dispense-amended' : n.outcome === 'partial' ? 'partially-dispensed' : n.outcome === 'complete' ? 'dispensed' : 'not-dispensed', text);
}

/**
 * `POST Task`: a return to the Spine (`#return`) or the withdrawal of the last dispense notification (`#withdraw`).
 * A return (status `rejected`, the only status readTask takes as one) is refused in its own table's terms
 * (return-errors.ts); a withdrawal, which the spec gives no table, in the general tables'.
 */
export async function task(ctx: PlatformContext, caller: EpsCaller, body: Json, text: string): Promise<Applied> {
  if (body.status !== 'rejected') return returnOrWithdraw(ctx, caller, body, text);
  try {
    return await returnOrWithdraw(ctx, caller, body, text);
  } catch (err) {
    throw err instanceof SpineError ? inReturnTable(err) : err;
  }
}

async function returnOrWithdraw(ctx: PlatformContext, caller: EpsCaller, body: Json, text: string): Promise<Applied> {
  const t = valueOf(readTask(body));
  const message = messageIdentity(ctx, caller, t.identifier);
  const issue = t.issue !== undefined ? { issue: t.issue } : {};
  const event: LifecycleEvent = t.kind === 'return' ? { type: 'return', dispenser: t.dispenser, ...issue, ...message }
    : { type: 'withdraw', dispenser: t.dispenser, withdraws: t.withdraws, ...issue, ...message };
  return applyToPrescription(ctx, caller, t.kind, t, event, t.kind === 'return' ? 'returned' : 'withdrawn', text, (row) => {
    const mismatch = taskRepeatMismatch(t.kind, row.courseOfTherapy, row.state.repeat, t);
    // The return table's MAX_REPEAT_MISMATCH; a withdrawal, without a table, the general table's code for the same refusal.
    if (mismatch) throw epsError(t.kind === 'return' ? EPS_ERRORS.MAX_REPEAT_MISMATCH : EPS_ERRORS.MISMATCH_AUTHORISED_REPEAT_COUNTS, mismatch);
  });
}

/** `POST Claim`: the dispenser claims payment for a dispensed prescription (or amends its claim). */
export async function claim(ctx: PlatformContext, caller: EpsCaller, body: Json, text: string): Promise<Applied> {
  const c = valueOf(readClaim(body));
  const amendableUntil = (claimedAt: Date) => claimAmendableUntil(claimedAt, ctx.config.epsClaimAmendmentDay);
  return applyToPrescription(ctx, caller, 'claim', c, {
    type: 'claim', dispenser: c.dispenser, amendment: c.amendment, at: ctx.clock.now(), amendableUntil, issue: c.issue, issues: c.issues, identifier: c.identifier, replaces: c.replaces, items: c.items, itemTypes: c.itemTypes, quantities: c.quantities,
    ...messageIdentity(ctx, caller, c.identifier),
  },
  c.amendment ? 'claim-amended' : 'claimed', text, (row) => {
    const mismatch = repeatCountsProblem(row.courseOfTherapy, c);
    if (mismatch) throw epsError(EPS_ERRORS.MISMATCH_AUTHORISED_REPEAT_COUNTS, mismatch);
  });
}
