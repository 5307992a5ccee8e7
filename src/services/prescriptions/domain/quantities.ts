import type { Amount, ItemStatus } from './lifecycle-state.js';

/**
 * What dispense notifications supply of an item, against what was prescribed (pure, used by the
 * lifecycle). The spec says nothing of a dispense beyond the prescribed quantity (no error of its
 * tables or examples names one); its examples never supply more, and supply an item in parts that
 * add up to it (acute-primary-example-02 supplies 15 of the third item's 30 tablets, -03 the other
 * 15, -04 amends -03). So the notifications in force may supply at most the prescribed quantity of
 * each item (of each repeat issue), else INVALID_VALUE (the spec's code for a dispense notification
 * value in conflict, examples/errors/3), naming `MedicationDispense.quantity`.
 *
 * Quantities are compared only in one unit (`sameUnit`): when both carry a code, the same system (the
 * spec's dm+d units are SNOMED CT codes, its schemas' one system, taken where none is given) and the
 * same code, or two SNOMED CT codes of one unit (`SAME_UNIT`: the spec's acute examples prescribe
 * `tablet` as 428673006 and dispense `tablet` as 732936001); else, when either has no code, the same
 * unit text (either case, a plural `s` aside: the homecare examples prescribe `tablet` and dispense
 * `tablets`). Codes decide where both have them: two quantities both saying `tablet` with the codes of
 * a tablet and of a millilitre are not in one unit (they were, by their text), nor are one code's
 * quantities in two systems. A quantity in another unit (packs of an item prescribed in tablets, say)
 * cannot be converted here, and is not counted.
 */

/** A quantity in hundredths (the spec's quantities have at most two decimal places): sums are exact. */
export const hundredths = (value: number): number => Math.round(value * 100);

const SNOMED = 'http://snomed.info/sct';

/**
 * SNOMED CT codes of one unit, each to the first of its group: 428673006 "tablet" (the dm+d unit of
 * measure the spec's orders and claims use) and 732936001 "Tablet (unit of presentation)" (the spec's
 * acute dispense notifications' unit for the same tablets; SNOMED CT gives both as the tablet unit of
 * presentation, 428673006 as the unit of product usage).
 */
const SAME_UNIT: ReadonlyMap<string, string> = new Map([['732936001', '428673006']]);

const unitText = (amount: Amount): string | undefined => {
  const text = amount.unit?.trim().toLowerCase();
  return text === undefined || text === '' ? undefined : text.replace(/s$/, '');
};

const systemOf = (amount: Amount) => amount.system ?? SNOMED;
const unitCode = (amount: Amount, code: string) => (systemOf(amount) === SNOMED ? SAME_UNIT.get(code) ?? code : code);

/** Whether two quantities are in one unit: by system and code where both have a code, else by unit text. */
export function sameUnit(a: Amount, b: Amount): boolean {
  if (a.code !== undefined && b.code !== undefined) return systemOf(a) === systemOf(b) && unitCode(a, a.code) === unitCode(b, b.code);
  const text = unitText(a);
  return text !== undefined && text === unitText(b);
}

/** Item statuses under which a notification supplies its item (what it says it handed over counts). */
const SUPPLYING: readonly ItemStatus[] = ['fully-dispensed', 'partially-dispensed'];

/**
 * What a notification supplies of each item, in hundredths of the prescribed unit: the quantities of
 * its lines for an item it reports supplied (fully or in part), in the prescribed quantity's unit. A
 * notification of nothing dispensed (business status 0007) supplies nothing, whatever its lines say
 * (acute-primary-example-05 gives its items their prescribed quantities, typed fully dispensed).
 */
export function suppliedBy(
  prescribed: Readonly<Record<string, Amount>> | undefined, quantities: Readonly<Record<string, readonly Amount[]>> | undefined,
  types: Readonly<Record<string, ItemStatus>> | undefined, nothingDispensed: boolean,
): Record<string, number> {
  if (prescribed === undefined || quantities === undefined || nothingDispensed) return {};
  const supplied: Record<string, number> = {};
  for (const [id, amounts] of Object.entries(quantities)) {
    const ordered = Object.hasOwn(prescribed, id) ? prescribed[id] : undefined;
    const type = types !== undefined && Object.hasOwn(types, id) ? types[id] : undefined;
    if (ordered === undefined || type === undefined || !SUPPLYING.includes(type)) continue;
    const total = amounts.filter((a) => sameUnit(a, ordered)).reduce((sum, a) => sum + hundredths(a.value), 0);
    if (total > 0) supplied[id] = total;
  }
  return supplied;
}

/** The first item the notifications in force (`inForce`) and this one (`supplied`) together supply more of than was prescribed. */
export function overSupplied(
  prescribed: Readonly<Record<string, Amount>> | undefined, inForce: ReadonlyArray<Readonly<Record<string, number>>>, supplied: Readonly<Record<string, number>>,
): { item: string; prescribed: Amount; before: number; now: number } | undefined {
  for (const [item, now] of Object.entries(supplied)) {
    const ordered = prescribed?.[item];
    if (ordered === undefined) continue;
    const before = inForce.reduce((sum, q) => sum + (Object.hasOwn(q, item) ? q[item]! : 0), 0);
    if (before + now > hundredths(ordered.value)) return { item, prescribed: ordered, before, now };
  }
  return undefined;
}

/** A quantity in hundredths written as the spec writes one (at most two decimals, trailing zeroes removed). */
export const quantityText = (h: number): string => String(h / 100);
