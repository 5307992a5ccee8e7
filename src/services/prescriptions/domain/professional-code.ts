import { asArray, isObject, type Entry } from './fhir.js';

/**
 * A prescriber's professional code (fhir-prescribing.yaml "Errors", `/$prepare`: "Bundle resource
 * Practitioner.identifier expected exactly one professional code from GMC/NMC/GPhC/HCPC/professional-code.",
 * 400 `value`, "Practitioner contains a gmp-number identifier, which is invalid."): the identifier systems
 * of the schemas' GmcNumber, NmcNumber, GphcNumber, HcpcNumber and ProfessionalCode
 * (schemas/components/_fragments/identifiers.yaml). Not one: the GMP number (GmpNumber, the row's own
 * example of what is invalid), the SDS user, job role and role profile ids, the DIN number and NHSBSA's
 * spurious code, which the examples give a Practitioner beside its one professional code.
 */
export const PROFESSIONAL_CODE_SYSTEMS: ReadonlySet<string> = new Set([
  'https://fhir.hl7.org.uk/Id/gmc-number',
  'https://fhir.hl7.org.uk/Id/nmc-number',
  'https://fhir.hl7.org.uk/Id/gphc-number',
  'https://fhir.hl7.org.uk/Id/hcpc-number',
  'https://fhir.hl7.org.uk/Id/professional-code',
]);

export const PROFESSIONAL_CODE_DIAGNOSTICS = 'Bundle resource Practitioner.identifier expected exactly one professional code from GMC/NMC/GPhC/HCPC/professional-code.';

/** How many professional codes (a professional system with a value) a Practitioner's identifiers hold. */
export function professionalCodeCount(practitioner: unknown): number {
  if (!isObject(practitioner)) return 0;
  return asArray(practitioner.identifier).filter((identifier) => isObject(identifier)
    && typeof identifier.system === 'string' && PROFESSIONAL_CODE_SYSTEMS.has(identifier.system)
    && typeof identifier.value === 'string' && identifier.value !== '').length;
}

/**
 * The verification error of an order one of whose Practitioners (the requester's, the responsible
 * party's: every one in the Bundle) has none or more than one professional code, or undefined. Every
 * prescription-order example has exactly one on each (gmc-number, nmc-number, gphc-number or
 * professional-code), beside its SDS ids and, for some, a DIN number or spurious code.
 */
export function professionalCodeProblem(entries: Entry[]): { diagnostics: string; expression: string } | undefined {
  const practitioners = entries.filter((e) => e.resource.resourceType === 'Practitioner').map((e) => e.resource);
  if (practitioners.every((p) => professionalCodeCount(p) === 1)) return undefined;
  return { diagnostics: PROFESSIONAL_CODE_DIAGNOSTICS, expression: 'Bundle.entry.resource.ofType(Practitioner).identifier' };
}
