import { SYSTEMS, asArray, identifierValue, isObject, type Json } from './fhir.js';

/**
 * Which pharmacy a dispensing message is from. The spec names one field for it in each message, and it
 * is never MessageHeader.sender or Task.owner, which its examples fill with other organisations (VNCEL,
 * VN6XW, FL584, RBA, X2601 the Spine itself, VNFKT) while the dispenser is VNE51:
 * - a dispense notification (and its amendment): each MedicationDispense's `performer`, "the dispenser
 *   who sent the dispense notification", a PractitionerRole whose `organization` is "A reference to the
 *   dispensing organisation" (MedicationDispense.yaml, DispenseNotificationPractitionerRole.yaml); the
 *   sender is not even required (DispenseNotificationMessageHeader.yaml). The spec's HL7 translations
 *   of the homecare flow's notifications give that organisation (VNE51) as the dispenser, never the sender;
 * - a claim: `provider`, "the dispenser submitting the Claim", a contained PractitionerRole, and its
 *   organization (DispenseClaim.yaml requires it);
 * - a return or withdrawal: `requester`, "The dispenser returning the prescription" (Return.yaml), a
 *   contained PractitionerRole, and its organization; the HL7 translations of the homecare return and
 *   withdrawal give VNE51, not their owner. Task.owner is not in Return.yaml at all, and in Withdraw.yaml
 *   it is "Who is responsible for actioning the Withdraw request". Neither schema requires a requester:
 *   a Task naming none is taken from its one contained Organization, which both describe as the
 *   dispensing organisation (a choice: the spec says nothing of a Task without a requester).
 */

/** How a message's references are found: `#id` among a resource's contained ones, else (a notification) the Bundle's entries. */
export type Lookup = (reference: unknown) => Json | undefined;

/** A lookup of `#id` references among `contained`, then by `fallback` (none by default). */
export function containedLookup(contained: unknown, fallback: Lookup = () => undefined): Lookup {
  return (reference) => {
    const ref = isObject(reference) ? reference.reference : undefined;
    if (typeof ref === 'string' && ref.startsWith('#')) {
      const id = ref.slice(1);
      return asArray(contained).filter(isObject).find((c) => c.id === id);
    }
    return fallback(reference);
  };
}

/**
 * The ODS code of the organisation a PractitionerRole works for (its `organization`, a reference to an
 * Organization or an identifier reference giving the ODS code), or that of an Organization named directly.
 */
export function organisationOfActor(actor: Json | undefined, find: Lookup): string | undefined {
  if (!actor) return undefined;
  if (actor.resourceType === 'Organization') return identifierValue(actor.identifier, SYSTEMS.ods);
  if (actor.resourceType !== 'PractitionerRole' || !isObject(actor.organization)) return undefined;
  const organisation = find(actor.organization);
  if (organisation?.resourceType === 'Organization') return identifierValue(organisation.identifier, SYSTEMS.ods);
  return identifierValue(actor.organization.identifier, SYSTEMS.ods);
}

/** The Organization resource a reference to the dispenser names: itself, or the organization of the PractitionerRole it names. */
export function dispensingOrganisation(reference: unknown, find: Lookup): Json | undefined {
  const actor = find(reference);
  if (actor?.resourceType === 'Organization') return actor;
  if (actor?.resourceType !== 'PractitionerRole' || !isObject(actor.organization)) return undefined;
  const organisation = find(actor.organization);
  return organisation?.resourceType === 'Organization' ? organisation : undefined;
}

/** The dispensing organisation a reference to the dispenser (a performer's actor, a provider, a requester) names. */
export const dispenserNamedBy = (reference: unknown, find: Lookup): string | undefined => organisationOfActor(find(reference), find);
