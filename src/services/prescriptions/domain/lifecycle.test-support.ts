import fc from 'fast-check';
import type { ItemStatus, LifecycleEvent } from './lifecycle.js';
import { claimAmendableUntil } from './claim-period.js';

/** The lifecycle tests' prescription, events and pharmacies (lifecycle.test.ts, lifecycle-repeat.test.ts). */
export const ITEMS = ['item-1', 'item-2', 'item-3'];
export const AT = new Date('2026-03-10T12:00:00Z');
const amendableUntil = (claimedAt: Date) => claimAmendableUntil(claimedAt, 5);
export const claimEvent = (dispenser: string, amendment = false, at = AT): Extract<LifecycleEvent, { type: 'claim' }> => ({ type: 'claim', dispenser, amendment, at, amendableUntil });
/** What a dispenser reports of an item in a dispense notification (MedicationDispense.type). */
export const reported = fc.constantFrom<ItemStatus>('fully-dispensed', 'not-dispensed', 'partially-dispensed', 'owing', 'cancelled');

export const pharmacy = fc.constantFrom('FA565', 'VNE51', 'FCG71');
export const prescriber = fc.constantFrom('A83008', 'B81001');
export const event: fc.Arbitrary<LifecycleEvent> = fc.oneof(
  pharmacy.map((dispenser) => ({ type: 'release' as const, dispenser })),
  pharmacy.map((dispenser) => ({ type: 'return' as const, dispenser })),
  fc.record({
    dispenser: pharmacy, outcome: fc.constantFrom('partial' as const, 'complete' as const, 'none' as const), amendment: fc.boolean(),
    // Ids that are also names on every object's prototype must be items like any other (unknown here).
    items: fc.dictionary(fc.constantFrom(...ITEMS, 'unknown-item', 'constructor', 'toString'), reported),
  }).map((e) => ({ type: 'dispense' as const, ...e })),
  pharmacy.map((dispenser) => ({ type: 'withdraw' as const, dispenser })),
  fc.record({ dispenser: pharmacy, amendment: fc.boolean() }).map((e) => claimEvent(e.dispenser, e.amendment)),
  fc.record({ prescriber, item: fc.option(fc.constantFrom(...ITEMS, 'constructor'), { nil: undefined }) })
    .map((e) => ({ type: 'cancel' as const, prescriber: e.prescriber, ...(e.item ? { item: e.item } : {}) })),
  fc.constant({ type: 'expire' as const }),
);
