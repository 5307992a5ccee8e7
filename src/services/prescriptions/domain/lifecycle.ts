import { DONE, ITEM_STATUSES, closedItems, itemsAfterNotification, itemsBecome, type ItemStatus, type Items } from './items.js';
import { withItemsAsRecorded } from './item-names.js';
import {
  CLAIM_AMEND_MISMATCH, DISPENSE_AMEND_MISMATCH, WITHDRAW_MISMATCH, amendsClaimOnRecord, namesLastNotification, notificationIdsInForce, withClaimIdentifier,
} from './amendment-targets.js';
import {
  STATUSES, CANCELLATION_RESPONSES, nextIssueAvailableFrom, type Status, type PrescriptionState, type LifecycleEvent, type CancellationResponse, type TransitionRefusal, type Transition,
} from './lifecycle-state.js';
import { dispensedTotals, overClaimed, overSupplied, quantityText, suppliedBy, unitName } from './quantities.js';
import { messageSeen, withMessagesSeen } from './messages-seen.js';
import { quoted } from './fhir.js';

/**
 * A prescription's life on the Spine, as a pure state machine (API-NOTES §4; the status codes are
 * EPS's prescription status codes, `https://fhir.nhs.uk/CodeSystem/EPS-task-business-status`):
 *
 *   to-be-dispensed ─release→ with-dispenser ─dispense(partial)→ with-dispenser-active
 *        ↑  return ←──────────┘      │ dispense(complete)              │ dispense(complete)
 *        │                           ↓                                 ↓
 *   cancel / expire            dispensed | not-dispensed ─claim→ claimed (claim amendments stay)
 *
 * A withdrawal takes back the last dispense notification. A prescriber may cancel only before
 * release; once it is with a dispenser the cancellation is recorded as pending (R-0002/R-0003) and
 * takes effect when the dispenser returns it to the Spine (the dispenser's agreement). Every illegal
 * transition names the spec's error code.
 *
 * Each line item has its own status (items.ts): a dispense notification sets them, and the
 * prescription's status after it follows from them; a cancellation names an item. A
 * repeat-dispensing prescription is issued again and again: its state is the current issue's, and
 * an issue dispensed (complete) makes way for the next (`nextIssue`). The statuses, state, events
 * and refusals it speaks of are in lifecycle-state.ts, exported from here too.
 */

export * from './lifecycle-state.js';

/** The items the prescriber cancelled, or that expired, before the dispense notifications in force (the items as they were then). */
const closedBeforeDispensing = (state: PrescriptionState): Items => closedItems(state.itemsBefore[0] ?? state.items);

/**
 * A repeat issue done with (dispensed or not dispensed) makes way for the next, if any: it becomes
 * to be dispensed, by any pharmacy, its items too. An item the prescriber cancelled stays cancelled
 * (before the issue was dispensed, or pending then: a cancellation ends the prescription's remaining
 * issues); one the dispenser reported cancelled (MedicationDispense.type 0005) in its notification
 * is that issue's alone, and is to be dispensed again in the next, as an item it reported not
 * dispensed is (it stayed cancelled for every later issue, so no pharmacy could supply it again
 * while the prescriber had cancelled nothing).
 */
function nextIssue(state: PrescriptionState, at?: Date): Transition {
  const repeat = state.repeat;
  if (!repeat || repeat.issue >= repeat.issues || (state.status !== 'dispensed' && state.status !== 'not-dispensed') || !state.dispenser) {
    return { ok: true, state };
  }
  const { availableFrom: _previous, ...withoutWindow } = repeat;
  const closed = closedBeforeDispensing(state);
  const pending = state.pendingCancellationBy !== undefined ? state.pendingCancellationItems ?? Object.keys(state.items) : [];
  const cancelledByPrescriber = (id: string) => closed[id] === 'cancelled' || pending.includes(id);
  const items: Items = Object.fromEntries(Object.keys(state.items).map((id) => [id, cancelledByPrescriber(id) ? 'cancelled' as const : 'to-be-dispensed' as const]));
  const cancelled = Object.values(items).every((s) => s === 'cancelled');
  const next: PrescriptionState = {
    status: cancelled ? 'cancelled' : 'to-be-dispensed', dispenseNotifications: 0, items, itemsBefore: [],
    ...(cancelled ? { pendingCancellationBy: state.pendingCancellationBy } : {}),
    ...prescribedOf(state),
    repeat: {
      ...withoutWindow, issue: repeat.issue + 1,
      earlier: [...repeat.earlier, {
        issue: repeat.issue, status: state.status, dispenser: state.dispenser, items: state.items, ...(Object.keys(closed).length > 0 ? { closed } : {}),
        ...(state.prescribed !== undefined ? { dispensed: dispensedOf(state) } : {}),
      }],
      ...(at ? { availableFrom: nextIssueAvailableFrom(at, repeat.supplyDays).toISOString() } : {}),
    },
  };
  return {
    ok: true, state: next,
    issues: [{ issue: repeat.issue, status: state.status }, { issue: repeat.issue + 1, status: next.status, event: cancelled ? 'cancelled' : 'issue-available' }],
  };
}

/** A claim (or its amendment) for an earlier issue of a repeat prescription, done with and waiting for it. */
function claimEarlierIssue(state: PrescriptionState, event: Extract<LifecycleEvent, { type: 'claim' }>): Transition {
  const repeat = state.repeat!;
  const earlier = repeat.earlier.find((e) => e.issue === event.issue);
  if (!earlier) return refuse('PRESCRIPTION_INVALID_STATE_TRANSITION', `Issue ${String(event.issue)} of this prescription has not been dispensed`);
  if (earlier.dispenser !== event.dispenser) return refuse('PRESCRIPTION_WITH_ANOTHER_DISPENSER', 'Prescription is with another dispenser');
  if (event.amendment ? earlier.claimedAt === undefined : earlier.claimedAt !== undefined) {
    return refuse('PRESCRIPTION_INVALID_STATE_TRANSITION', `Cannot ${event.amendment ? 'amend the claim of' : 'claim'} issue ${earlier.issue}: it is ${earlier.claimedAt ? 'claimed' : 'not claimed'}`);
  }
  const supplied = claimContradicts(earlier.items, earlier.closed ?? {}, event.itemTypes);
  if (supplied) return supplied;
  const tooMuch = claimedTooMuch(state, earlier.dispensed ?? {}, event);
  if (tooMuch) return tooMuch;
  if (event.amendment && !amendsClaimOnRecord(earlier.claimIdentifier, event)) return refuse('DISPENSE_AMEND_IDENTIFIER_MISMATCH', CLAIM_AMEND_MISMATCH);
  if (event.amendment && event.amendableUntil && event.at > event.amendableUntil(new Date(earlier.claimedAt!))) {
    return refuse('CLAIM_AMEND_PERIOD_ISSUE', 'Claim amendment is not permitted outside of the claim period.');
  }
  const claimed = { ...withClaimIdentifier(earlier, event.identifier), status: 'claimed' as const, claimedAt: earlier.claimedAt ?? event.at.toISOString() };
  return {
    ok: true,
    state: { ...state, repeat: { ...repeat, earlier: repeat.earlier.map((e) => (e.issue === earlier.issue ? claimed : e)) } },
    issues: [{ issue: earlier.issue, status: 'claimed' }],
  };
}

/** Claim line statuses saying the item was supplied. */
const SUPPLIED: readonly ItemStatus[] = ['fully-dispensed', 'partially-dispensed'];
/** Claim line statuses of an item not done with, which no item of a prescription claimed for is. */
const OPEN: readonly ItemStatus[] = ['owing', 'to-be-dispensed', 'with-dispenser'];

/**
 * A claim line (Claim.item.detail.modifier: "the intended status of the prescription line item")
 * gives an item a status its dispense notifications do not support: refused with the spec's code
 * for a claim's line, PRESCRIPTION_INVALID_LINE_STATE_TRANSITION (fhir-dispensing.yaml, Dispensing
 * Errors: `/Task/$release`, `/Claim`).
 * - An item the prescriber cancelled (or that expired) before it was dispensed (`closed`) is
 *   claimed only as it closed, of the current issue and an earlier one alike.
 * - An item is claimed as supplied (fully or partly) only if the notifications say it was
 *   (`recorded`: the items as the issue was done with): a 0002 item claimed as fully dispensed
 *   was paid for (found by probing). Claiming less than was recorded (the spec's claims say
 *   cancelled of an item) is the pharmacy's loss, and let through.
 * - No item of a claimed prescription is still owed, to be dispensed or with the dispenser.
 * Every status any line gives the item counts, not the last line's alone (a second line saying
 * 'cancelled' let a first saying 'fully dispensed' be paid: found by probing). Earlier issues
 * done with before their items were kept have only `closed`.
 */
function claimContradicts(recorded: Items | undefined, closed: Items, itemTypes: Readonly<Record<string, readonly ItemStatus[]>> | undefined): Transition | undefined {
  for (const [id, types] of Object.entries(itemTypes ?? {})) {
    const was = Object.hasOwn(closed, id) ? closed[id]! : recorded?.[id];
    if (was === undefined) continue;
    const type = types.find((t) => t !== was && (Object.hasOwn(closed, id) || OPEN.includes(t) || (SUPPLIED.includes(t) && !SUPPLIED.includes(was))));
    if (type !== undefined) {
      return refuse('PRESCRIPTION_INVALID_LINE_STATE_TRANSITION', `Item ${id} is '${ITEM_STATUSES[was].display}' and cannot be claimed as '${ITEM_STATUSES[type].display}'.`,
        'Claim.item.detail.modifier');
    }
  }
  return undefined;
}

const refuse = (refusal: TransitionRefusal, diagnostics: string, expression?: string): Transition =>
  ({ ok: false, refusal, diagnostics, ...(expression !== undefined ? { expression } : {}) });

/** An item a message names that the prescription does not have: the spec's ITEM_NOT_FOUND. */
function unknownItem(state: PrescriptionState, named: readonly string[], expression: string): Transition | undefined {
  const unknown = named.find((id) => !Object.hasOwn(state.items, id));
  return unknown === undefined ? undefined : refuse('ITEM_NOT_FOUND', `The prescription has no item ${quoted(unknown)}.`, expression);
}

const invalid = (state: PrescriptionState, what: string) =>
  refuse('PRESCRIPTION_INVALID_STATE_TRANSITION', `Cannot ${what} a prescription that is ${STATUSES[state.status].display}`);

const HELD: readonly Status[] = ['with-dispenser', 'with-dispenser-active', 'dispensed', 'not-dispensed', 'claimed'];

/** Whether `dispenser` may act on it: refused with the spec's code when another pharmacy holds it. */
function heldBy(state: PrescriptionState, dispenser: string, what: string): Transition | undefined {
  if (!HELD.includes(state.status)) return invalid(state, what);
  if (state.dispenser !== dispenser) return refuse('PRESCRIPTION_WITH_ANOTHER_DISPENSER', 'Prescription is with another dispenser');
  return undefined;
}

/** A return or withdrawal naming a repeat issue that is not the current one (task-repeat.ts refuses one it does not have). */
function notCurrentIssue(state: PrescriptionState, event: { type: 'return' | 'withdraw'; issue?: number }): Transition | undefined {
  if (!state.repeat || event.issue === undefined || event.issue === state.repeat.issue) return undefined;
  return refuse('PRESCRIPTION_INVALID_STATE_TRANSITION', `Cannot ${event.type} issue ${event.issue} of a prescription whose current issue is ${state.repeat.issue}`);
}

/** Where a prescription still to dispense stands when its validity ends (the expiry sweep's statuses, handlers/expiry.ts). */
const EXPIRABLE: readonly Status[] = ['to-be-dispensed', 'with-dispenser', 'with-dispenser-active'];
/** Expired: its open items too. */
const expired = (state: PrescriptionState): PrescriptionState => ({ ...state, status: 'expired', items: itemsBecome(state.items, 'expired', DONE) });

/**
 * The state a call finds at `at`: a prescription whose validity ended before then (`validUntil`,
 * store.ts) while still to be dispensed or with a dispenser is expired, whether or not the expiry
 * sweep, which runs every minute, has marked it yet: so a release, dispense notification, return
 * or cancellation in between is refused as after the sweep, not let through. No `at` (sandbox
 * mode, where the examples' validity ended years ago) or no end: the state as stored.
 */
export function stateAt(state: PrescriptionState, at: Date | undefined, validUntil: Date | undefined): PrescriptionState {
  if (at === undefined || validUntil === undefined || !(validUntil < at) || !EXPIRABLE.includes(state.status)) return state;
  return expired(state);
}

/**
 * `transition` on the state as it stands at the time of the call (`stateAt`). The expiry itself is
 * decided on the stored state: it is what makes the stored state expired.
 */
export function transitionAt(state: PrescriptionState, event: LifecycleEvent, at: Date | undefined, validUntil: Date | undefined): Transition {
  return transition(event.type === 'expire' ? state : stateAt(state, at, validUntil), event);
}

/** Each dispense notification in force's quantities, none known (`{}`) for one recorded before they were kept. */
const quantitiesOfNotifications = (state: PrescriptionState): Array<Readonly<Record<string, number>>> =>
  Array.from({ length: state.dispenseNotifications }, (_, i) => state.dispensedQuantities?.[i] ?? {});

/** Each dispense notification in force's unmeasured items, `null` (not known) for one recorded before they were kept. */
const unmeasuredOfNotifications = (state: PrescriptionState): Array<readonly string[] | null> =>
  Array.from({ length: state.dispenseNotifications }, (_, i) => state.dispensedUnmeasured?.[i] ?? null);

/** What the notifications in force dispensed of each item whose quantities are all known (quantities.ts `dispensedTotals`). */
const dispensedOf = (state: PrescriptionState): Record<string, number> =>
  dispensedTotals(state.prescribed, Array.from({ length: state.dispenseNotifications }, (_, i) => state.dispensedQuantities?.[i]), unmeasuredOfNotifications(state));

/**
 * A claim for more of an item than was dispensed (`dispensed`: the notifications' totals of the issue
 * claimed), or for some of it in another unit: INVALID_VALUE naming the claimed quantity. The spec has
 * no error for it (its tables give `/Claim` INVALID_MESSAGE, "The message is not valid.", and the line
 * state codes); INVALID_VALUE as a dispense notification supplying more than was prescribed is
 * refused, the field named, is this service's choice.
 */
function claimedTooMuch(state: PrescriptionState, dispensed: Readonly<Record<string, number>>, event: Extract<LifecycleEvent, { type: 'claim' }>): Transition | undefined {
  const over = overClaimed(state.prescribed, dispensed, event.quantities);
  if (over === undefined) return undefined;
  const unit = quoted(unitName(over.prescribed));
  const was = `item ${over.item} was dispensed ${quantityText(over.dispensed)} ${unit} (by the dispense notifications in force)`;
  const field = "in field 'Claim.item.detail.subDetail.quantity'";
  return 'foreign' in over
    ? refuse('OVER_CLAIMED', `Invalid value - '${String(over.foreign.value)} ${quoted(unitName(over.foreign))}' ${field}: ${was}; a quantity claimed in another unit cannot be held to what was dispensed.`,
      'Claim.item.detail.subDetail.quantity')
    : refuse('OVER_CLAIMED', `Invalid value - '${quantityText(over.claimed)}' ${field}: ${was}; a claim cannot be for more than was dispensed.`,
      'Claim.item.detail.subDetail.quantity');
}

/** The prescribed quantities, kept through a return and into the next repeat issue. */
const prescribedOf = (state: PrescriptionState) => (state.prescribed !== undefined ? { prescribed: state.prescribed } : {});

export function transition(state: PrescriptionState, named: LifecycleEvent): Transition {
  const seen = messageSeen(state, named);
  if (seen) return seen;
  return withMessagesSeen(state, named, transitionOf(state, named));
}

function transitionOf(state: PrescriptionState, named: LifecycleEvent): Transition {
  const event = withItemsAsRecorded(state.items, named);
  switch (event.type) {
    case 'release': {
      if (state.status === 'to-be-dispensed') {
        const from = state.repeat?.availableFrom;
        if (from !== undefined && event.at !== undefined && event.at < new Date(from)) {
          return refuse('PRESCRIPTION_INVALID_STATE_TRANSITION', `Issue ${state.repeat!.issue} of this prescription may be released from ${from}`);
        }
        return { ok: true, state: { ...state, status: 'with-dispenser', dispenser: event.dispenser, items: itemsBecome(state.items, 'with-dispenser') } };
      }
      if (HELD.includes(state.status) && state.dispenser !== event.dispenser) {
        return refuse('PRESCRIPTION_WITH_ANOTHER_DISPENSER', 'Prescription is with another dispenser');
      }
      // A pharmacy may download again what it already holds (a lost response), but nothing after dispensing.
      if (state.status === 'with-dispenser') return { ok: true, state };
      return invalid(state, 'release');
    }
    case 'return': {
      const held = heldBy(state, event.dispenser, 'return') ?? notCurrentIssue(state, event);
      if (held) return held;
      if (state.status !== 'with-dispenser') return invalid(state, 'return');
      const back = itemsBecome(state.items, 'to-be-dispensed');
      const repeat = { ...(state.repeat ? { repeat: state.repeat } : {}), ...prescribedOf(state) };
      if (state.pendingCancellationBy !== undefined) {
        // The dispenser's agreement: the cancellation asked for while it held the prescription takes effect.
        const pending = state.pendingCancellationItems ?? Object.keys(back);
        const items = Object.fromEntries(Object.entries(back).map(([id, s]) => [id, pending.includes(id) ? 'cancelled' as const : s]));
        const all = Object.values(items).every((s) => s === 'cancelled');
        return {
          ok: true,
          state: { status: all ? 'cancelled' : 'to-be-dispensed', dispenseNotifications: 0, items, itemsBefore: [], ...(all ? { pendingCancellationBy: state.pendingCancellationBy } : {}), ...repeat },
        };
      }
      return { ok: true, state: { status: 'to-be-dispensed', dispenseNotifications: 0, items: back, itemsBefore: [], ...repeat } };
    }
    case 'dispense': {
      const held = heldBy(state, event.dispenser, 'dispense');
      if (held) return held;
      if (state.status === 'claimed') return invalid(state, 'dispense');
      if (event.amendment) {
        if (state.dispenseNotifications === 0) return invalid(state, 'amend the dispensing of');
        if (!namesLastNotification(state, event.replaces)) return refuse('NOT_LAST_DISPENSE', DISPENSE_AMEND_MISMATCH);
      } else if (state.status === 'dispensed' || state.status === 'not-dispensed') {
        return invalid(state, 'dispense');
      }
      const unknown = unknownItem(state, Object.keys(event.items ?? {}), 'MedicationDispense.authorizingPrescription');
      if (unknown) return unknown;
      // An amendment replaces the last notification: it applies to the items as they were before it.
      const before = event.amendment ? state.itemsBefore[state.itemsBefore.length - 1] ?? state.items : state.items;
      const after = itemsAfterNotification(before, event.outcome, event.items, closedBeforeDispensing(state));
      if (!after.ok) return refuse(after.closed ? 'PRESCRIPTION_INVALID_STATE_TRANSITION' : 'BUSINESS_STATUS_CONTRADICTS_ITEMS', after.diagnostics);
      const items = after.items;
      // An amendment takes the place of the last notification, its identifiers and quantities too.
      const kept = state.dispenseNotifications - (event.amendment ? 1 : 0);
      const ids = notificationIdsInForce(state).slice(0, kept);
      const quantitiesInForce = quantitiesOfNotifications(state).slice(0, kept);
      const { supplied, unmeasured } = suppliedBy(state.prescribed, event.quantities, event.items, event.outcome === 'none');
      const over = overSupplied(state.prescribed, quantitiesInForce, supplied);
      if (over) {
        const unit = quoted(over.prescribed.unit ?? '');
        return refuse('OVER_DISPENSED', `Invalid value - '${quantityText(over.now)}' in field 'MedicationDispense.quantity': item ${over.item} was prescribed ${over.prescribed.value} ${unit}`.trimEnd()
          + (over.before > 0 ? `, of which ${quantityText(over.before)} dispensed already` : '') + '; a dispense notification cannot supply more than was prescribed.', 'MedicationDispense.quantity');
      }
      return nextIssue({
        ...state, status: after.status, items, dispenseNotificationIds: [...ids, event.identifiers ?? []],
        ...(state.prescribed !== undefined
          ? { dispensedQuantities: [...quantitiesInForce, supplied], dispensedUnmeasured: [...unmeasuredOfNotifications(state).slice(0, kept), unmeasured] } : {}),
        itemsBefore: event.amendment ? state.itemsBefore : [...state.itemsBefore, state.items],
        dispenseNotifications: state.dispenseNotifications + (event.amendment ? 0 : 1),
      }, event.at);
    }
    case 'withdraw': {
      const held = heldBy(state, event.dispenser, 'withdraw') ?? notCurrentIssue(state, event);
      if (held) return held;
      if (state.dispenseNotifications === 0 || state.status === 'claimed') return invalid(state, 'withdraw a dispense notification of');
      if (!namesLastNotification(state, event.withdraws)) return refuse('NOT_LAST_DISPENSE', WITHDRAW_MISMATCH);
      const remaining = state.dispenseNotifications - 1;
      const items = state.itemsBefore[state.itemsBefore.length - 1] ?? itemsBecome(state.items, 'with-dispenser');
      return {
        ok: true,
        state: {
          ...state, status: remaining > 0 ? 'with-dispenser-active' : 'with-dispenser', dispenseNotifications: remaining, items, itemsBefore: state.itemsBefore.slice(0, -1),
          dispenseNotificationIds: notificationIdsInForce(state).slice(0, remaining),
          ...(state.dispensedQuantities !== undefined ? { dispensedQuantities: quantitiesOfNotifications(state).slice(0, remaining) } : {}),
          ...(state.dispensedUnmeasured !== undefined ? { dispensedUnmeasured: unmeasuredOfNotifications(state).slice(0, remaining) } : {}),
        },
      };
    }
    case 'claim': {
      if (state.repeat && event.issues !== undefined && event.issues !== state.repeat.issues) {
        return refuse('MISMATCH_AUTHORISED_REPEAT_COUNTS',
          `The claim says the prescription has ${event.issues} issues (numberOfRepeatsAllowed ${event.issues - 1}); it has ${state.repeat.issues} (numberOfRepeatsAllowed ${state.repeat.issues - 1}).`);
      }
      const unknown = unknownItem(state, event.items ?? [], 'Claim.item.detail.extension("Extension-ClaimMedicationRequestReference")');
      if (unknown) return unknown;
      if (state.repeat && event.issue !== undefined && event.issue !== state.repeat.issue) {
        return event.issue < state.repeat.issue ? claimEarlierIssue(state, event) : invalid(state, `claim issue ${event.issue} of`);
      }
      const held = heldBy(state, event.dispenser, 'claim');
      if (held) return held;
      if (event.amendment ? state.status !== 'claimed' : state.status !== 'dispensed' && state.status !== 'not-dispensed') {
        return invalid(state, event.amendment ? 'amend the claim of' : 'claim');
      }
      const supplied = claimContradicts(state.items, closedBeforeDispensing(state), event.itemTypes);
      if (supplied) return supplied;
      const tooMuch = claimedTooMuch(state, dispensedOf(state), event);
      if (tooMuch) return tooMuch;
      if (event.amendment && !amendsClaimOnRecord(state.claimIdentifier, event)) return refuse('DISPENSE_AMEND_IDENTIFIER_MISMATCH', CLAIM_AMEND_MISMATCH);
      if (event.amendment && state.claimedAt !== undefined && event.amendableUntil && event.at > event.amendableUntil(new Date(state.claimedAt))) {
        return refuse('CLAIM_AMEND_PERIOD_ISSUE', 'Claim amendment is not permitted outside of the claim period.');
      }
      return { ok: true, state: { ...withClaimIdentifier(state, event.identifier), status: 'claimed', claimedAt: event.amendment ? state.claimedAt ?? event.at.toISOString() : event.at.toISOString() } };
    }
    case 'cancel':
      return cancel(state, event.prescriber, event.item);
    case 'expire':
      if (EXPIRABLE.includes(state.status)) return { ok: true, state: expired(state) };
      return invalid(state, 'expire');
  }
}

/**
 * A prescriber cancels one item (or, naming none, every item). Before release the item is
 * cancelled (R-0001), and the prescription once every item is; with a dispenser it is marked for
 * cancellation (R-0002, R-0003); afterwards each refusal has its R-code.
 */
function cancel(state: PrescriptionState, prescriber: string, item?: string): Transition {
  const refused = (code: CancellationResponse | 'R-0008') => refuse(code, code === 'R-0008' ? 'Prescription/item not found' : CANCELLATION_RESPONSES[code]);
  if (item !== undefined && !Object.hasOwn(state.items, item)) return refused('R-0008');
  const named = item === undefined ? Object.keys(state.items) : [item];
  if (named.every((id) => state.items[id] === 'cancelled')) return refused('R-0006');
  switch (state.status) {
    case 'to-be-dispensed': {
      const items = Object.fromEntries(Object.entries(state.items).map(([id, s]) => [id, named.includes(id) ? 'cancelled' as const : s]));
      const all = Object.values(items).every((s) => s === 'cancelled');
      return { ok: true, state: { ...state, status: all ? 'cancelled' : state.status, items }, cancellation: 'R-0001' };
    }
    case 'with-dispenser':
    case 'with-dispenser-active':
      if (state.pendingCancellationBy !== undefined && state.pendingCancellationBy !== prescriber) return refused('R-0007');
      return {
        ok: true,
        state: { ...state, pendingCancellationBy: prescriber, pendingCancellationItems: [...new Set([...(state.pendingCancellationItems ?? []), ...named])] },
        cancellation: state.status === 'with-dispenser' ? 'R-0002' : 'R-0003',
      };
    case 'dispensed':
    case 'claimed':
      return refused('R-0004');
    case 'not-dispensed':
      return refused('R-0010');
    case 'expired':
      return refused('R-0005');
    case 'cancelled':
      return refused('R-0006');
  }
}
