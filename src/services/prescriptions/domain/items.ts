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

/**
 * The items after a dispense notification: those it names (known to the prescription) take the
 * status it gives; a notification that names none of them speaks for every item through its
 * prescription status (complete: dispensed, none: not dispensed, partial: partly dispensed).
 */
export function itemsAfterNotification(items: Items, outcome: 'partial' | 'complete' | 'none', reported: Items = {}): Items {
  const known = Object.entries(reported).filter(([id]) => Object.hasOwn(items, id));
  if (known.length > 0) return { ...items, ...Object.fromEntries(known) };
  return itemsBecome(items, outcome === 'complete' ? 'fully-dispensed' : outcome === 'none' ? 'not-dispensed' : 'partially-dispensed');
}
