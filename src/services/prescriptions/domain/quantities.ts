import type { Amount, ItemStatus } from './lifecycle-state.js';

/**
 * What dispense notifications supply of an item, against what was prescribed, and what a claim claims
 * of it against what they supplied (pure, used by the lifecycle).
 *
 * The spec says nothing of a dispense beyond the prescribed quantity (no error of its tables or
 * examples names one); its examples never supply more, and supply an item in parts that add up to it
 * (acute-primary-example-02 supplies 15 of the third item's 30 tablets, -03 the other 15, -04 amends
 * -03). So the notifications in force may supply at most the prescribed quantity of each item (of
 * each repeat issue), else INVALID_VALUE (the spec's code for a dispense notification value in
 * conflict, examples/errors/3), naming `MedicationDispense.quantity`.
 *
 * A claim (DispenseClaim.yaml: `Claim.item.detail.subDetail.quantity`, "The quantity of the medication
 * dispensed to the patient", one subDetail for each product supplied) may claim at most what the
 * notifications in force dispensed of each item (`overClaimed`): the spec's claims claim what its
 * notifications dispensed (the acute claim 20, 20 and 15 + 15 of items -01, -02 and -03 supplied).
 *
 * Quantities are compared only in one unit (`sameUnit`): when both carry a code, the same system (the
 * spec's dm+d units are SNOMED CT codes, its schemas' one system, taken where none is given) and the
 * same code, or two SNOMED CT codes of one unit (`SAME_UNIT`: the spec's acute examples prescribe
 * `tablet` as 428673006 and dispense `tablet` as 732936001); else, when either has no code, the same
 * unit text (either case, a plural `s` aside: the homecare examples prescribe `tablet` and dispense
 * `tablets`). Codes decide where both have them: two quantities both saying `tablet` with the codes of
 * a tablet and of a millilitre are not in one unit (they were, by their text), nor are one code's
 * quantities in two systems. A quantity in another unit (packs of an item prescribed in tablets, say)
 * cannot be converted here, and is not counted: the item's dispensed quantity is then not known
 * (`unmeasured`), and a claim for it is not held to it.
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

/** A unit as diagnostics name it: its text, else its code. */
export const unitName = (amount: Amount): string => amount.unit ?? (amount.code !== undefined ? `${systemOf(amount)}|${amount.code}` : 'no unit');

/** Item statuses under which a notification supplies its item (what it says it handed over counts). */
const SUPPLYING: readonly ItemStatus[] = ['fully-dispensed', 'partially-dispensed'];

/**
 * What a notification supplies of each item: `supplied`, in hundredths of the prescribed unit, the
 * quantities of its lines for an item it reports supplied (fully or in part) in the prescribed
 * quantity's unit; `unmeasured`, the items it reports supplied of which it gives no quantity in that
 * unit (none, or one in another unit), so what it supplied of them is not known. A notification of
 * nothing dispensed (business status 0007) supplies nothing, whatever its lines say
 * (acute-primary-example-05 gives its items their prescribed quantities, typed fully dispensed).
 */
export function suppliedBy(
  prescribed: Readonly<Record<string, Amount>> | undefined, quantities: Readonly<Record<string, readonly Amount[]>> | undefined,
  types: Readonly<Record<string, ItemStatus>> | undefined, nothingDispensed: boolean,
): { supplied: Record<string, number>; unmeasured: string[] } {
  const supplied: Record<string, number> = {};
  const unmeasured: string[] = [];
  if (prescribed === undefined || nothingDispensed) return { supplied, unmeasured };
  for (const [id, type] of Object.entries(types ?? {})) {
    if (!SUPPLYING.includes(type)) continue;
    const ordered = Object.hasOwn(prescribed, id) ? prescribed[id] : undefined;
    const amounts = quantities !== undefined && Object.hasOwn(quantities, id) ? quantities[id]! : [];
    if (ordered === undefined) continue;
    const measured = amounts.filter((a) => sameUnit(a, ordered));
    if (measured.length < amounts.length || amounts.length === 0) unmeasured.push(id);
    const total = measured.reduce((sum, a) => sum + hundredths(a.value), 0);
    if (total > 0) supplied[id] = total;
  }
  return { supplied, unmeasured };
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

/**
 * What the notifications in force dispensed of each item, in hundredths of its prescribed unit: only
 * the items whose every notification's quantities were measured (`unmeasured[i]` a list without the
 * item; a notification recorded before what it left unmeasured was kept, `null` or no entry, or
 * before its quantities were kept, none of its items), and that were prescribed a quantity.
 */
export function dispensedTotals(
  prescribed: Readonly<Record<string, Amount>> | undefined, inForce: ReadonlyArray<Readonly<Record<string, number>> | undefined>,
  unmeasured: ReadonlyArray<readonly string[] | null | undefined>,
): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const item of Object.keys(prescribed ?? {})) {
    let total = 0;
    const known = inForce.every((q, i) => {
      const left = unmeasured[i];
      if (q === undefined || !Array.isArray(left) || left.includes(item)) return false;
      total += Object.hasOwn(q, item) ? q[item]! : 0;
      return true;
    });
    if (known) totals[item] = total;
  }
  return totals;
}

export type OverClaim =
  /** More claimed (`claimed`, hundredths of the prescribed unit) than dispensed. */
  | { item: string; prescribed: Amount; dispensed: number; claimed: number }
  /** A quantity claimed in another unit than the item was prescribed and dispensed in. */
  | { item: string; prescribed: Amount; dispensed: number; foreign: Amount };

/**
 * The first item a claim claims more of than the notifications in force dispensed (`dispensed`, as
 * `dispensedTotals` gives it: an item not there is not known, and not held to it), summing every
 * quantity its lines give the item; or claims some of in another unit, which cannot be held to what
 * was dispensed (every notification gave the item in the prescribed unit, so the claim's other unit is
 * not what was dispensed). A quantity of 0 claims nothing, in any unit.
 */
export function overClaimed(
  prescribed: Readonly<Record<string, Amount>> | undefined, dispensed: Readonly<Record<string, number>>, claimed: Readonly<Record<string, readonly Amount[]>> | undefined,
): OverClaim | undefined {
  for (const [item, amounts] of Object.entries(claimed ?? {})) {
    const ordered = prescribed !== undefined && Object.hasOwn(prescribed, item) ? prescribed[item] : undefined;
    if (ordered === undefined || !Object.hasOwn(dispensed, item)) continue;
    const foreign = amounts.find((a) => a.value > 0 && !sameUnit(a, ordered));
    if (foreign !== undefined) return { item, prescribed: ordered, dispensed: dispensed[item]!, foreign };
    const total = amounts.reduce((sum, a) => sum + hundredths(a.value), 0);
    if (total > dispensed[item]!) return { item, prescribed: ordered, dispensed: dispensed[item]!, claimed: total };
  }
  return undefined;
}

/** A quantity in hundredths written as the spec writes one (at most two decimals, trailing zeroes removed). */
export const quantityText = (h: number): string => String(h / 100);
