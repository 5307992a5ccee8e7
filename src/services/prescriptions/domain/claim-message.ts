import { itemStatusOfCode, type Amount, type ItemStatus } from './lifecycle.js';
import { itemKey } from './item-names.js';
import { SYSTEMS, asArray, identifierValue, isObject, quoted, textOf, type Json } from './fhir.js';
import { containedLookup, dispenserNamedBy } from './dispenser.js';
import { claimRepeatCounts } from './claim-repeat.js';
import { ITEM_TYPES, checkedId, dispensedQuantity, firstIdentifier, invalid, missing, practitionerByReference, replacementOf, type Read } from './dispensing-messages.js';

/** The reader of a claim (and its amendment), `POST Claim`: what the lifecycle needs of it, or the first thing wrong, in the spec's words. */

export interface ClaimRequest {
  dispenser: string; shortFormId: string; nhsNumber?: string; amendment: boolean;
  /** The claim's identifier (Claim.identifier), and the one an amendment names (replacementOf). */
  identifier?: string; replaces?: string;
  /** The items claimed for: each line's (Claim.item.detail) ClaimMedicationRequestReference. */
  items: string[];
  /**
   * The dispensing statuses claimed for each item (each `modifier` coding in medicationdispense-type
   * of each line naming it): every one, so that an item named twice, or a line giving two statuses,
   * is checked on all of them.
   */
  itemTypes: Record<string, ItemStatus[]>;
  /** What each item was dispensed, as the claim gives it: each subDetail.quantity of each line naming it ("The quantity of the medication dispensed to the patient"). */
  quantities: Record<string, Amount[]>;
  /** The issue claimed for (Extension-EPS-RepeatInformation numberOfRepeatsIssued + 1, claim-repeat.ts). */
  issue?: number;
  /** …and the issues the prescription has (its numberOfRepeatsAllowed + 1). */
  issues?: number;
}

const ENDORSEMENTS = 'https://fhir.nhs.uk/CodeSystem/medicationdispense-endorsement';
const MEDICATION_REQUEST_REFERENCE = 'https://fhir.nhs.uk/StructureDefinition/Extension-ClaimMedicationRequestReference';

export function readClaim(claim: Json): Read<ClaimRequest> {
  const group = isObject(claim.prescription)
    ? asArray(claim.prescription.extension).filter(isObject).find((e) => textOf(e.url).endsWith('Extension-DM-GroupIdentifier'))
    : undefined;
  const short = group ? asArray(group.extension).filter(isObject).find((e) => e.url === 'shortForm') : undefined;
  const id = isObject(short?.valueIdentifier) ? short.valueIdentifier.value : undefined;
  const contained = asArray(claim.contained).filter(isObject);
  const byReference = practitionerByReference<ClaimRequest>(contained.filter((c) => c.resourceType === 'PractitionerRole'), 'Claim.contained("PractitionerRole").practitioner');
  if (byReference) return byReference;
  // The provider's organisation (dispenser.ts): the first contained Organization was taken, whichever it was.
  const dispenser = dispenserNamedBy(claim.provider, containedLookup(contained));
  if (!dispenser) {
    return missing('The dispensing organisation is missing: Claim.provider is a contained PractitionerRole whose organization is a contained Organization with an ODS code.', 'Claim.provider');
  }
  const nhsNumber = isObject(claim.patient) ? identifierValue(claim.patient.identifier, SYSTEMS.nhsNumber) : undefined;
  const replacement = replacementOf(claim.extension, 'Claim');
  if (!replacement.ok) return replacement;
  const own = firstIdentifier(claim.identifier, 'Claim.identifier');
  if (!own.ok) return own;
  const identifier = own.value;
  if (asArray(claim.item).length === 0) return missing('Claim.item is missing.', 'Claim.item');
  // One item, the prescription claimed for (DispenseClaim.yaml: "there will always only be 1 `item` within a
  // Claim", its sequence fixed at 1), its lines the medication items: a second was read as more lines of the
  // one prescription, its quantities summed with the first's (found in review); in the words of the
  // spec's verification error for a cancellation of more than one MedicationRequest.
  if (asArray(claim.item).length > 1) return invalid(`The Claim must contain exactly one item. Received ${asArray(claim.item).length}.`, 'Claim.item');
  // Each line claimed carries the dispenser's endorsement (NDEC when there is none): the spec's
  // 2-Claim-Request-400_Missing_Endorsement_Code and its table's "missing the required endorsement code".
  const details = asArray(claim.item).filter(isObject).flatMap((i) => asArray(i.detail).filter(isObject));
  // A claim is for the items it has lines for (each `detail` "represents a medication item dispensed"):
  // one with none was taken, and claimed the prescription for nothing (found by probing).
  if (details.length === 0) return missing('Claim.item.detail is missing: a claim has a line for each item it claims for.', 'Claim.item.detail');
  const endorsed = (detail: Json) => asArray(detail.programCode).filter(isObject)
    .some((concept) => asArray(concept.coding).some((c) => isObject(c) && c.system === ENDORSEMENTS && typeof c.code === 'string'));
  if (!details.every(endorsed)) {
    return { ok: false, code: 'invalid-issue', diagnostics: 'The claim is missing the required endorsement code.', expression: 'Claim.item.detail.programCode' };
  }
  const items: string[] = [];
  const itemTypes: Record<string, ItemStatus[]> = {};
  const quantities: Record<string, Amount[]> = {};
  for (const [index, detail] of details.entries()) {
    const references = asArray(detail.extension).filter(isObject).filter((e) => e.url === MEDICATION_REQUEST_REFERENCE);
    const named = references
      .map((e) => (isObject(e.valueReference) ? identifierValue(e.valueReference.identifier, SYSTEMS.orderItemNumber) : undefined))
      .filter((id): id is string => id !== undefined);
    // Each line names its one item by its prescription-order-item-number, as every line of the spec's
    // claims does: a line naming none (or naming it by another system) was taken as naming nothing,
    // and so escaped the item checks, while it still claimed for the item (found by probing).
    const where = 'Claim.item.detail.extension("Extension-ClaimMedicationRequestReference")';
    if (named.length !== references.length || named.length === 0) {
      return missing(`Claim line ${index + 1} (Claim.item.detail) does not name its item by its prescription-order-item-number.`, where);
    }
    // One item (DispenseClaim.yaml: each `detail` "represents a medication item dispensed", its reference
    // "the prescription line item against which medication was dispensed"): a line naming two would give
    // its quantities and statuses to both, and be held to each item's dispensing as if it claimed both.
    if (named.length > 1) {
      return { ok: false, code: 'invalid-value', expression: where,
        diagnostics: `Claim line ${index + 1} (Claim.item.detail) names ${named.length} items; a line claims for one medication item (one ClaimMedicationRequestReference).` };
    }
    // And gives its item's status (`modifier`, "the intended status of the prescription line item"),
    // as every line of the spec's claims does: a line giving none, one of another system or an unknown
    // code was taken as saying nothing, and so escaped the item checks while it still claimed for the
    // item (a not dispensed item was paid for; found by probing).
    const codes = asArray(detail.modifier).filter(isObject).flatMap((m) => asArray(m.coding).filter(isObject))
      .filter((c) => c.system === ITEM_TYPES).map((c) => c.code);
    if (codes.length === 0) {
      return missing(`Claim line ${index + 1} (Claim.item.detail) does not give its item's status (a modifier coding of ${ITEM_TYPES}).`, 'Claim.item.detail.modifier');
    }
    const unknown = codes.find((code) => itemStatusOfCode(code) === undefined);
    if (unknown !== undefined) {
      return { ok: false, code: 'invalid-value', expression: 'Claim.item.detail.modifier',
        diagnostics: `Claim line ${index + 1} (Claim.item.detail) gives its item the status '${quoted(unknown)}', which is not a code of ${ITEM_TYPES}.` };
    }
    const types = codes.map((code) => itemStatusOfCode(code)!);
    // What was dispensed of its item, each product supplied a subDetail (DispenseClaim.yaml): a claim is
    // held to what the dispense notifications dispensed (lifecycle.ts), so a quantity that is not a
    // number of at least 0 with two decimals at most is refused, as a notification's.
    // The quantity prescribed (`detail.quantity`, "The quantity of the drug prescribed to the patient"), of the
    // same form as the quantity dispensed: it was not read, so any value (a string, -5, 1e300) was kept in the claim.
    const prescribed = dispensedQuantity(detail.quantity, `Claim.item.detail[${index}].quantity`, 'Claim.item.detail.quantity');
    if (!prescribed.ok) return prescribed;
    const amounts: Amount[] = [];
    for (const [j, sub] of asArray(detail.subDetail).entries()) {
      if (!isObject(sub)) continue;
      const amount = dispensedQuantity(sub.quantity, `Claim.item.detail[${index}].subDetail[${j}].quantity`, 'Claim.item.detail.subDetail.quantity');
      if (!amount.ok) return amount;
      if (amount.value !== undefined) amounts.push(amount.value);
    }
    const claimed = named[0]!;
    items.push(claimed);
    // An own-property map: an item id such as `constructor` is an id like another. One UUID however cased is one item.
    const id = itemKey(claimed);
    itemTypes[id] = [...(Object.hasOwn(itemTypes, id) ? itemTypes[id]! : []), ...types];
    quantities[id] = [...(Object.hasOwn(quantities, id) ? quantities[id]! : []), ...amounts];
  }
  const counts = claimRepeatCounts(asArray(claim.item).filter(isObject)[0]);
  if (!counts.ok) return counts;
  const { issue, issues } = counts.value;
  return checkedId(id, (shortFormId) => ({ ok: true, value: { dispenser, shortFormId, nhsNumber, ...replacement.value, items, itemTypes, quantities, ...(identifier !== undefined ? { identifier } : {}), ...(issue !== undefined ? { issue } : {}), ...(issues !== undefined ? { issues } : {}) } }), 'Claim.prescription.extension("Extension-DM-GroupIdentifier").shortForm');
}
