import { CONFIDENTIALITY_SYSTEM, type Address, type HumanName, type Patient } from '../fhir-types.js';

/** PDS: the one name with use "usual" is the current name. */
export function usualName(patient: Patient): HumanName | undefined {
  return patient.name?.find((n) => n.use === 'usual') ?? patient.name?.[0];
}

/** The current home address (PDS keeps exactly one home address; fall back to the first). */
export function homeAddress(patient: Patient): Address | undefined {
  return patient.address?.find((a) => a.use === 'home') ?? patient.address?.[0];
}

/**
 * What a restricted record never discloses (PDS spec, retrieval: "When a patient tagged as
 * `restricted` is retrieved, all addresses are removed …, all contact points …, all contacts …, the
 * General Practice …, the pharmacy and birth place extensions are removed from the response").
 */
export const RESTRICTED_FIELDS = ['address', 'telecom', 'generalPractitioner', 'contact'] as const;
export const RESTRICTED_EXTENSIONS: ReadonlySet<string> = new Set([
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy',
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-PreferredDispenserOrganization',
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicalApplianceSupplier',
  'http://hl7.org/fhir/StructureDefinition/patient-birthPlace',
]);

/** `meta.security` code R (restricted, "sensitive"): its location-sensitive data is never disclosed (`RESTRICTED_FIELDS`). */
export function isRestricted(patient: Patient): boolean {
  return patient.meta?.security?.some((c) => c.code === 'R' && (c.system === undefined || c.system === CONFIDENTIALITY_SYSTEM)) ?? false;
}

export function gpOdsCode(patient: Patient): string | undefined {
  return patient.generalPractitioner?.[0]?.identifier?.value;
}

/** The date part of `deceasedDateTime`, if any. */
export function deathDate(patient: Patient): string | undefined {
  return patient.deceasedDateTime?.slice(0, 10);
}

export function versionOf(patient: Patient): number {
  const v = Number(patient.meta?.versionId ?? '1');
  return Number.isInteger(v) && v > 0 ? v : 1;
}
