import type { Status } from './lifecycle.js';

/**
 * A prescription's line items (pure, used by the lifecycle). Each line item's dispensing status
 * (`https://fhir.nhs.uk/CodeSystem/medicationdispense-type`: the codes the spec's
 * MedicationDispense.type and Claim modifier schemas list, with their displays).
 */
export const ITEM_STATUSES = {
  'fully-dispensed': { code: '0001', display: 'Item fully dispensed' },
  'not-dispensed': { code: '0002', display: 'Item not dispensed' },
  'partially-dispensed': { code: '0003', display: 'Item dispensed - partial' },
  owing: { code: '0004', display: 'Item not dispensed owing' },
  cancelled: { code: '0005', display: 'Item cancelled' },
  expired: { code: '0006', display: 'Expired' },
  'to-be-dispensed': { code: '0007', display: 'Item to be dispensed' },
  'with-dispenser': { code: '0008', display: 'Item with dispenser' },
} as const;
export type ItemStatus = keyof typeof ITEM_STATUSES;
export const ITEM_STATUS_NAMES = Object.keys(ITEM_STATUSES) as ItemStatus[];
export const itemStatusOfCode = (code: unknown): ItemStatus | undefined => ITEM_STATUS_NAMES.find((s) => ITEM_STATUSES[s].code === code);

/** Line items by their id (prescription-order-item-number). */
export type Items = Readonly<Record<string, ItemStatus>>;

/** Every item not yet done with (cancelled, dispensed or expired) becomes `status`. */
export const itemsBecome = (items: Items, status: ItemStatus, unless: readonly ItemStatus[] = ['cancelled']): Items =>
  Object.fromEntries(Object.entries(items).map(([id, s]) => [id, unless.includes(s) ? s : status]));

/** The statuses an item ends in. */
export const DONE: readonly ItemStatus[] = ['fully-dispensed', 'not-dispensed', 'cancelled', 'expired'];
/** The statuses in which an item was never supplied and never will be: the prescriber cancelled it, or it expired. */
export const CLOSED: readonly ItemStatus[] = ['cancelled', 'expired'];

/**
 * The items closed before any dispense notification in force (`before`: the items as they were
 * then): cancelled by the prescriber, or expired. An item a dispenser itself reported cancelled may
 * be reported otherwise by a later notification or an amendment; these may not.
 */
export const closedItems = (before: Items): Items => Object.fromEntries(Object.entries(before).filter(([, s]) => CLOSED.includes(s)));

/**
 * The prescription's status from its items once a dispenser has reported on them: every item done
 * with (dispensed, not dispensed, cancelled) is dispensed (0006) when any was dispensed, else not
 * dispensed (0007); any item partly dispensed, owing or not yet reported on is with dispenser - active (0003).
 */
export function statusOfItems(items: Items): Status {
  const statuses = Object.values(items);
  if (!statuses.every((s) => DONE.includes(s))) return 'with-dispenser-active';
  return statuses.includes('fully-dispensed') ? 'dispensed' : 'not-dispensed';
}

/** A dispense notification's business status (Extension-EPS-TaskBusinessStatus): 0003 partial, 0006 complete, 0007 none. */
export type NotificationOutcome = 'partial' | 'complete' | 'none';

const OUTCOME_STATUS = { partial: '0003 (With Dispenser - Active)', complete: '0006 (Dispensed)', none: '0007 (Not Dispensed)' } as const;

/**
 * The items and the prescription's status after a dispense notification. The business status is
 * the prescription's status the dispenser intends (the spec's EPSTaskBusinessStatus: "The intended
 * status of the prescription"); each MedicationDispense.type is its item's status. They must agree:
 * - 0006 Dispensed: the items it names take their types (naming none, every item is dispensed);
 *   then every item must be done with and one dispensed, else the notification is refused (an
 *   item still owed or part-supplied, or nothing supplied, is not a dispensed prescription);
 * - 0003 With Dispenser - Active: the items take their types, and the prescription stays with the
 *   dispenser, active, even when every item is done with (the spec's homecare example 3 sends
 *   0003 with its only item fully dispensed: a dispenser may keep a prescription open);
 * - 0007 Not Dispensed: nothing of this prescription is supplied: every item not done with becomes
 *   not dispensed (one it reports cancelled, cancelled), whatever type it gives (the spec's
 *   acute-primary-example-05, "not dispensed", types its items fully dispensed under a
 *   prescription-level non-dispensing reason); items dispensed by an earlier notification stay.
 */
export function itemsAfterNotification(items: Items, outcome: NotificationOutcome, reported: Items = {}, closed: Items = {}):
  { ok: true; items: Items; status: Status } | { ok: false; diagnostics: string; closed?: true } {
  const known = Object.entries(reported).filter(([id]) => Object.hasOwn(items, id));
  // An item the prescriber cancelled, or that expired, before the dispenser's notifications
  // (`closed`, from `closedItems`) is not reported supplied: its cancellation is not overwritten.
  const reopened = known.find(([id, r]) => Object.hasOwn(closed, id) && r !== closed[id]);
  if (reopened) {
    const [id, r] = reopened;
    return { ok: false, closed: true, diagnostics: `Item ${id} is '${ITEM_STATUSES[closed[id]!].display}' and cannot be reported '${ITEM_STATUSES[r].display}'.` };
  }
  if (outcome === 'none') {
    const after = Object.fromEntries(Object.entries(items).map(([id, s]) => {
      if (DONE.includes(s)) return [id, s];
      return [id, known.some(([k, r]) => k === id && r === 'cancelled') ? 'cancelled' : 'not-dispensed'];
    })) as Items;
    return { ok: true, items: after, status: statusOfItems(after) };
  }
  const after = known.length > 0 ? { ...items, ...Object.fromEntries(known) }
    : itemsBecome(items, outcome === 'complete' ? 'fully-dispensed' : 'partially-dispensed', CLOSED);
  if (outcome === 'partial') return { ok: true, items: after, status: 'with-dispenser-active' };
  if (statusOfItems(after) === 'dispensed') return { ok: true, items: after, status: 'dispensed' };
  const open = Object.entries(after).filter(([, s]) => !DONE.includes(s));
  return {
    ok: false,
    diagnostics: `Task business status ${OUTCOME_STATUS[outcome]} contradicts the items: `
      + (open.length > 0 ? open.map(([id, s]) => `item ${id} is '${ITEM_STATUSES[s].display}'`).join(', ') : 'no item is dispensed') + '.',
  };
}
