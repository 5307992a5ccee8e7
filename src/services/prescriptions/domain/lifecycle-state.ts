import { isUuid } from '../../../platform/uuids.js';
import { addDays, londonDate, londonMidnight } from './london-time.js';
import type { ItemStatus, Items, NotificationOutcome } from './items.js';

/**
 * The vocabulary of a prescription's life (lifecycle.ts, the state machine over it): its statuses,
 * its state, the events that change it, the refusals and the repeat-dispensing calendar.
 */
export const STATUSES = {
  'to-be-dispensed': { code: '0001', display: 'To be Dispensed' },
  'with-dispenser': { code: '0002', display: 'With Dispenser' },
  'with-dispenser-active': { code: '0003', display: 'With Dispenser - Active' },
  expired: { code: '0004', display: 'Expired' },
  cancelled: { code: '0005', display: 'Cancelled' },
  dispensed: { code: '0006', display: 'Dispensed' },
  'not-dispensed': { code: '0007', display: 'Not Dispensed' },
  claimed: { code: '0008', display: 'Claimed' },
} as const;
export type Status = keyof typeof STATUSES;
export const STATUS_NAMES = Object.keys(STATUSES) as Status[];

export { ITEM_STATUSES, ITEM_STATUS_NAMES, itemStatusOfCode, statusOfItems, type ItemStatus, type Items, type NotificationOutcome } from './items.js';

export interface PrescriptionState {
  status: Status;
  /** ODS code of the pharmacy holding it (released to), while it is with one and after. */
  dispenser?: string;
  /** Dispense notifications in force (a withdrawal takes back the last). */
  dispenseNotifications: number;
  /** A cancellation asked for while the prescription was with a dispenser: who asked. */
  pendingCancellationBy?: string;
  /** The items that cancellation names (done when the dispenser returns the prescription). */
  pendingCancellationItems?: string[];
  /** Each line item's status. */
  items: Items;
  /** The items as they were before each dispense notification in force, oldest first: a withdrawal restores the last. */
  itemsBefore: Items[];
  /**
   * The identifiers of each dispense notification in force, oldest first (its Bundle.identifier and
   * Bundle.id: the spec's examples amend by either): an amendment must name the last. None where the
   * row was written before they were kept.
   */
  dispenseNotificationIds?: ReadonlyArray<readonly string[]>;
  /**
   * Every dispensing message recorded on the prescription (any issue): each dispense notification,
   * claim (and claim amendment), return and withdrawal, by its message id (a dispense notification's
   * Bundle.identifier, "The unique ID of the dispense notification"; a claim's Claim.identifier,
   * "Unique identifier for the Claim"; a return's or withdrawal's Task.identifier, "The unique
   * identifier for the Return/Withdraw Request"; a UUID lower-cased, `messageKey`): the same message
   * sent again (under another X-Request-ID) is one message, recorded once (lifecycle.ts
   * `messageSeen`). Rows written before claims and Tasks were kept have the notifications alone
   * (stored as `dispenseNotificationsSeen`); rows before that, none.
   */
  messagesSeen?: Readonly<Record<string, SeenMessage>>;
  /**
   * Each item's prescribed quantity (the order's MedicationRequest.dispenseRequest.quantity), for each
   * issue: the dispense notifications in force may not supply more (lifecycle.ts `overDispensed`).
   * None on rows written before it was kept, or for an item ordered without one.
   */
  prescribed?: Readonly<Record<string, Amount>>;
  /**
   * What each dispense notification in force supplied of each item, in hundredths of the prescribed
   * quantity's unit, parallel to `dispenseNotificationIds` (an amendment replaces the last, a
   * withdrawal takes it back). A notification recorded before these were kept supplied nothing known.
   */
  dispensedQuantities?: ReadonlyArray<Readonly<Record<string, number>>>;
  /**
   * The items each dispense notification in force supplied without a quantity counted in the
   * prescribed unit (none given, or one in another unit), parallel to `dispensedQuantities`: what was
   * dispensed of such an item is not known, and a claim for it is not held to it (quantities.ts
   * `dispensedTotals`). `null` (or no entry) for a notification recorded before this was kept, whose
   * items are then none of them known.
   */
  dispensedUnmeasured?: ReadonlyArray<readonly string[] | null>;
  /** When the prescription was claimed (the claim amendment period runs from it). */
  claimedAt?: string;
  /** The identifier of the claim on record (Claim.identifier): an amendment must name it. */
  claimIdentifier?: string;
  /** Repeat dispensing (continuous-repeat-dispensing): the issue now current, of how many. */
  repeat?: RepeatIssues;
}

/** The dispensing messages recorded once by their message id (`messagesSeen`). */
export type MessageOperation = 'dispense-notification' | 'claim' | 'return' | 'withdraw';

/**
 * A dispensing message recorded: its operation (none: a dispense notification, as rows kept before
 * claims and Tasks were); the digest of its body as received; for a dispense notification,
 * `replacedBy`, the amendment that took its place (its message id), and `withdrawn`, once a
 * withdrawal took it back (or the amendment that replaced it).
 */
export interface SeenMessage { operation?: Exclude<MessageOperation, 'dispense-notification'>; digest: string; replacedBy?: string; withdrawn?: true }

/**
 * A quantity as a message gives it (MedicationRequest.dispenseRequest.quantity, MedicationDispense.quantity,
 * Claim.item.detail.subDetail.quantity): its unit as text, and as a code of a system (the spec's is SNOMED
 * CT's dm+d units; rows written before the system was kept have none).
 */
export interface Amount { value: number; unit?: string; system?: string; code?: string }

/**
 * A message's own identity, by which it is recorded once (`messagesSeen`): its id, the digest of its
 * body as received, and whether an id seen with another body is a new message (`reusable`: sandbox
 * mode, where the spec's examples give one identifier to several messages of a prescription).
 */
export interface MessageIdentity { id: string; digest?: string; reusable?: boolean }

/**
 * A repeat-dispensing prescription is issued `issues` times (the order's numberOfRepeatsAllowed + 1).
 * The state above is the current issue's; when it is dispensed (every item done with) the next
 * issue becomes to be dispensed, and the finished one waits here for its claim.
 */
export interface RepeatIssues {
  /** The issue now current, from 1. */
  issue: number;
  issues: number;
  /** Days each issue is to last (the order's `dispenseRequest.expectedSupplyDuration`, 28 when it gives none). */
  supplyDays?: number;
  /** When the current issue may be released (ISO instant): the previous one's window (`nextIssueAvailableFrom`). */
  availableFrom?: string;
  earlier: Array<{
    issue: number; status: 'dispensed' | 'not-dispensed' | 'claimed'; dispenser: string; claimedAt?: string; claimIdentifier?: string;
    /** The items closed before its dispensing (cancelled by the prescriber, expired): its claim may not say they were supplied. None kept before this was. */
    closed?: Items;
    /** Its items as it was done with: its claim may not say one was supplied that was not. None kept before this was. */
    items?: Items;
    /**
     * What its notifications dispensed of each item, in hundredths of the prescribed unit, for the items
     * whose quantities were all known (quantities.ts `dispensedTotals`): its claim may not be for more.
     * None kept before this was.
     */
    dispensed?: Readonly<Record<string, number>>;
  }>;
}

export type LifecycleEvent =
  /** `at`: when (checked against a repeat issue's window; none in sandbox mode). */
  | { type: 'release'; dispenser: string; at?: Date }
  /**
   * `message`: its Task.identifier, by which a return sent again is recognised. `issue`: the repeat issue
   * it names (Extension-EPS-RepeatInformation), which must be the current one; so for a withdrawal.
   */
  | { type: 'return'; dispenser: string; issue?: number; message?: MessageIdentity }
  /**
   * `at`: when (a repeat issue done with opens the next one's window from it; none in sandbox mode).
   * `identifiers`: the notification's own; `replaces`: the one an amendment names (replacementOf).
   */
  | {
    type: 'dispense'; dispenser: string; outcome: NotificationOutcome; items?: Items; amendment?: boolean; at?: Date; identifiers?: readonly string[]; replaces?: string;
    /** Its message id (Bundle.identifier): a notification sent again is recognised by it and its body. */
    message?: MessageIdentity;
    /** What it supplied of each item it names (MedicationDispense.quantity, every line of the item). */
    quantities?: Readonly<Record<string, readonly Amount[]>>;
  }
  /** `withdraws`: the notification it names (Task.focus), which must be the last in force. */
  | { type: 'withdraw'; dispenser: string; withdraws?: string; issue?: number; message?: MessageIdentity }
  | {
    type: 'claim'; dispenser: string; amendment?: boolean; at: Date; amendableUntil?: (claimedAt: Date) => Date;
    /** Repeat dispensing: the issue claimed for, and the issues the claim says the prescription has. */
    issue?: number; issues?: number;
    /** The claim's own identifier, and the one an amendment names (replacementOf). */
    identifier?: string; replaces?: string;
    /** The items it claims for (each line's ClaimMedicationRequestReference). */
    items?: readonly string[];
    /** The dispensing statuses the lines claim for each item (all of them: an item may be named by two lines). */
    itemTypes?: Readonly<Record<string, readonly ItemStatus[]>>;
    /** Its Claim.identifier, by which a claim sent again is recognised. */
    message?: MessageIdentity;
    /** What it claims was dispensed of each item (each subDetail.quantity of each line naming it). */
    quantities?: Readonly<Record<string, readonly Amount[]>>;
  }
  | { type: 'cancel'; prescriber: string; item?: string }
  | { type: 'expire' };

/** Cancellation responses (`medicationrequest-status-history`): R-0001 cancelled; the rest refusals or pending. */
export const CANCELLATION_RESPONSES = {
  'R-0001': 'Prescription/item was cancelled',
  'R-0002': 'Prescription/item was not cancelled. With dispenser. Marked for cancellation',
  'R-0003': 'Prescription/item was not cancelled. With dispenser active. Marked for cancellation',
  'R-0004': 'Prescription/item was not cancelled. Prescription has been dispensed.',
  'R-0005': 'Prescription/item has expired',
  'R-0006': 'Prescription/item had already been cancelled',
  'R-0007': 'Prescription/item cancellation requested by another prescriber',
  'R-0010': 'Prescription/item was not cancelled. Prescription has been not dispensed.',
} as const;
export type CancellationResponse = keyof typeof CANCELLATION_RESPONSES;

export type TransitionRefusal = 'PRESCRIPTION_WITH_ANOTHER_DISPENSER' | 'PRESCRIPTION_INVALID_STATE_TRANSITION' | 'CLAIM_AMEND_PERIOD_ISSUE'
  /** A claim line giving an item a status its dispense notifications do not support (lifecycle.ts claimContradicts). */
  | 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION'
  | 'MISMATCH_AUTHORISED_REPEAT_COUNTS' | 'R-0008' | CancellationResponse
  /** A dispense notification whose business status its items contradict (items.ts itemsAfterNotification). */
  | 'BUSINESS_STATUS_CONTRADICTS_ITEMS'
  /** A claim amendment naming another claim than the one on record. */
  | 'DISPENSE_AMEND_IDENTIFIER_MISMATCH'
  /** A dispense notification amendment or a withdrawal naming another than the last notification in force (Spine's 0021). */
  | 'NOT_LAST_DISPENSE'
  /** A dispense notification or claim naming an item (prescription-order-item-number) the prescription does not have. */
  | 'ITEM_NOT_FOUND'
  /** The message (its message id and body: a dispense notification, claim, return or withdrawal) is already recorded: answered as it was, recording nothing. */
  | 'MESSAGE_ALREADY_RECORDED'
  /** A message whose id an earlier one, of another operation, with another body or (a dispense notification) since withdrawn, already had. */
  | 'MESSAGE_ID_REUSED'
  /** A dispense notification supplying, with those in force, more of an item than was prescribed. */
  | 'OVER_DISPENSED'
  /** A claim for more of an item than the dispense notifications in force dispensed, or in another unit than they did. */
  | 'OVER_CLAIMED';

/** A message id as kept: a UUID in lower case (either case names one message, amendment-targets.ts `sameMessage`), anything else as written. */
export const messageKey = (id: string): string => (isUuid(id) ? id.toLowerCase() : id);

/** What a change did to an issue, for its history: the issue, its status after, and (when not the event's own) the event. */
export interface IssueChange { issue: number; status: Status; event?: string }

export type Transition =
  | { ok: true; state: PrescriptionState; cancellation?: CancellationResponse; issues?: IssueChange[] }
  /** `expression`: what in the message was wrong, where the refusal is about one field of it. */
  | { ok: false; refusal: TransitionRefusal; diagnostics: string; expression?: string };

export const initialState = (itemIds: readonly string[], repeatIssues?: number, supplyDays?: number, prescribed?: Readonly<Record<string, Amount>>): PrescriptionState => ({
  status: 'to-be-dispensed', dispenseNotifications: 0, items: Object.fromEntries(itemIds.map((id) => [id, 'to-be-dispensed'])), itemsBefore: [],
  ...(prescribed !== undefined && Object.keys(prescribed).length > 0 ? { prescribed } : {}),
  ...(repeatIssues !== undefined ? { repeat: { issue: 1, issues: repeatIssues, earlier: [], ...(supplyDays !== undefined ? { supplyDays } : {}) } } : {}),
});

/** A repeat issue may be released this many days before the previous one's supply runs out (see nextIssueAvailableFrom). */
export const REPEAT_RELEASE_DAYS_EARLY = 7;
export const DEFAULT_SUPPLY_DAYS = 28;

/**
 * When the next repeat issue may be released, the previous one done with at `doneAt`: from the
 * start (London) of the day its supply is due to run out (`supplyDays` after the day it was
 * dispensed) less 7 days. The spec gives only the supply (MedicationRequest
 * `expectedSupplyDuration`: "Duration of each issue in days; defaults to 28"); the 7 days are
 * EPS's repeat dispensing rule as NHS guidance states it (the next issue can be downloaded up to 7
 * days before it is due), not a spec text. Issues of 7 days or less are available at once.
 */
export function nextIssueAvailableFrom(doneAt: Date, supplyDays: number = DEFAULT_SUPPLY_DAYS): Date {
  return londonMidnight(addDays(londonDate(doneAt), supplyDays - REPEAT_RELEASE_DAYS_EARLY));
}

/** The issue a state is at (1 for a prescription dispensed once). */
export const issueOf = (state: PrescriptionState) => state.repeat?.issue ?? 1;
