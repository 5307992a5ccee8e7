import { isUuid } from '../../../platform/uuids.js';
import { sameMessage } from './amendment-targets.js';
import type { ItemStatus, Items } from './items.js';
import type { LifecycleEvent } from './lifecycle-state.js';

/**
 * Which item a message names. An item's id (its prescription-order-item-number) is a UUID in every
 * example, and NHS England's implementation upper-cases it as the line item's id it gives Spine (the
 * signed fragments, hl7v3/line-item.ts, whose digests match its own), in an order and in the dispense
 * notification, claim or cancellation naming the item alike: so on EPS a UUID names its item in either
 * case, as a message's identifier names its message (amendment-targets.ts `sameMessage`); any other
 * id exactly. A notification, claim or cancellation naming an item in the other case than the order
 * was refused ITEM_NOT_FOUND or R-0008 (found by probing).
 */

/** The key under which a message's reader gathers what it says of an item: one for a UUID however cased. */
export const itemKey = (id: string) => (isUuid(id) ? id.toLowerCase() : id);

/** The prescription's own id of the item `named` names (`named` itself when it has none: an unknown item). */
export function recordedItem(items: Items, named: string): string {
  if (Object.hasOwn(items, named)) return named;
  return Object.keys(items).find((id) => sameMessage(id, named)) ?? named;
}

const rekeyed = <T>(items: Items, named: Readonly<Record<string, T>>): Record<string, T> =>
  Object.fromEntries(Object.entries(named).map(([id, value]) => [recordedItem(items, id), value]));

/** The event with every item it names under the prescription's own id for it. */
export function withItemsAsRecorded(items: Items, event: LifecycleEvent): LifecycleEvent {
  switch (event.type) {
    case 'dispense':
      return {
        ...event,
        ...(event.items !== undefined ? { items: rekeyed<ItemStatus>(items, event.items) } : {}),
        ...(event.quantities !== undefined ? { quantities: rekeyed(items, event.quantities) } : {}),
      };
    case 'claim':
      return {
        ...event,
        ...(event.items !== undefined ? { items: event.items.map((id) => recordedItem(items, id)) } : {}),
        ...(event.itemTypes !== undefined ? { itemTypes: rekeyed(items, event.itemTypes) } : {}),
        ...(event.quantities !== undefined ? { quantities: rekeyed(items, event.quantities) } : {}),
      };
    case 'cancel':
      return event.item === undefined ? event : { ...event, item: recordedItem(items, event.item) };
    default:
      return event;
  }
}
