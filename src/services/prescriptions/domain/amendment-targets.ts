import { isUuid } from '../../../platform/uuids.js';
import type { PrescriptionState } from './lifecycle.js';

/**
 * The spec's DISPENSE_AMEND_IDENTIFIER_MISMATCH (fhir-dispensing.yaml "Dispensing Errors", `/Claim`):
 * a claim amendment's replacementOf must name the claim on record. The spec's dispense notification
 * amendment references "the identifier of the previous dispense notification" and "only the most
 * recent dispense notification can be amended", but gives no error for one that does not. NHS
 * England's implementation answers Spine's error 0021 with the same code and the display "Dispense
 * Amendment/Cancellation Request does not pertain to Last Dispense" (errors.ts NOT_LAST_DISPENSE),
 * so a notification amendment naming another is refused so, as is a withdrawal (a cancellation of
 * a dispense) whose Task.focus names another than the last notification in force. The diagnostics,
 * naming what each missed, are ours: neither the spec nor the implementation gives any.
 */
export const CLAIM_AMEND_MISMATCH = 'Replacement target does not match existing claim reference on record.';
export const DISPENSE_AMEND_MISMATCH = 'Replacement target does not match the last dispense notification on record.';
export const WITHDRAW_MISMATCH = 'Withdrawal target does not match the last dispense notification on record.';

/** The identifiers of each notification in force; none known (`[]`) for those of a row written before they were kept. */
export const notificationIdsInForce = (state: PrescriptionState): Array<readonly string[]> =>
  Array.from({ length: state.dispenseNotifications }, (_, i) => state.dispenseNotificationIds?.[i] ?? []);

/**
 * Whether two message identifiers name one message: UUIDs whatever their case, anything else
 * exactly. NHS England's implementation upper-cases every UUID it passes to Spine (its HL7 V3
 * GlobalIdentifier), a message's own identifier and the replacementOf or Task.focus naming it alike,
 * so on EPS they match however each was cased; the spec says only that X-Request-ID is "formatted
 * using numbers and lower case alphabetic characters", and its examples are all lower case.
 */
export const sameMessage = (a: string, b: string) => a === b || (isUuid(a) && a.toLowerCase() === b.toLowerCase());

/** Whether `named` is the last notification in force (any, when its identifiers were not kept or nothing is named). */
export function namesLastNotification(state: PrescriptionState, named: string | undefined): boolean {
  const last = state.dispenseNotificationIds?.[state.dispenseNotifications - 1] ?? [];
  return last.length === 0 || named === undefined || last.some((id) => sameMessage(id, named));
}

/** Whether an amendment names the claim on record (any, when none is: a claim without an identifier, or a row written before they were kept). */
export const amendsClaimOnRecord = (onRecord: string | undefined, event: { replaces?: string }) =>
  onRecord === undefined || event.replaces === undefined || sameMessage(event.replaces, onRecord);

/** A claim's record with the identifier of the claim (or amendment) now in force. */
export function withClaimIdentifier<T extends { claimIdentifier?: string }>(record: T, identifier: string | undefined): T {
  const { claimIdentifier: _previous, ...rest } = record;
  return (identifier === undefined ? rest : { ...rest, claimIdentifier: identifier }) as T;
}
