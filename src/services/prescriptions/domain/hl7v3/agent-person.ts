import { SYSTEMS, asArray, identifierValue, isObject, resolve, type Entry, type Json } from '../fhir.js';
import { OID, address, firstCoding, idOf, personName, str, telecom } from './datatypes.js';
import { el, type XmlElement } from './xml.js';

/**
 * The prescription's author as an HL7 V3 `AgentPerson`, from the MedicationRequest's requester
 * (a PractitionerRole): the role profile, job role and work telephone; the person's professional
 * code and name; the organisation the role is in, and the organisation that organisation is part
 * of (its `healthCareProviderLicense`).
 */

/**
 * The author's professional code: the regulator's register number (GMC, NMC, GPhC, HCPC), else
 * an unregistered professional code, else the role's NHSBSA spurious code, else the DIN. The
 * examples with both a GMC number and a spurious code or DIN sign with the GMC number (the DIN and
 * spurious code identify the responsible party, which is not signed); no example has only a
 * spurious code or a DIN, so those last two are a guess.
 */
const PROFESSIONAL_CODES = [
  'https://fhir.hl7.org.uk/Id/gmc-number',
  'https://fhir.hl7.org.uk/Id/nmc-number',
  'https://fhir.hl7.org.uk/Id/gphc-number',
  'https://fhir.hl7.org.uk/Id/hcpc-number',
  'https://fhir.hl7.org.uk/Id/professional-code',
] as const;
const SPURIOUS_CODE = 'https://fhir.hl7.org.uk/Id/nhsbsa-spurious-code';
const DIN = 'https://fhir.hl7.org.uk/Id/din-number';

function professionalCode(practitioner: Json | undefined, role: Json): string | undefined {
  for (const system of PROFESSIONAL_CODES) {
    const code = identifierValue(practitioner?.identifier, system);
    if (code) return code;
  }
  return identifierValue(role.identifier, SPURIOUS_CODE) ?? identifierValue(practitioner?.identifier, DIN);
}

/** Every organisation is written with type code 999 ("not specified"), as EPS does whatever its FHIR type. */
const organisationCode = () => el('code', { code: '999', codeSystem: OID.organisationType });

function parentOrganisation(partOf: unknown): XmlElement | undefined {
  if (!isObject(partOf)) return undefined;
  const ods = identifierValue(partOf.identifier, SYSTEMS.ods);
  if (!ods) return undefined;
  return el('healthCareProviderLicense', { classCode: 'PROV' },
    el('Organization', { classCode: 'ORG', determinerCode: 'INSTANCE' },
      idOf(OID.ods, ods),
      organisationCode(),
      str(partOf.display) === undefined ? undefined : el('name', {}, str(partOf.display)!)));
}

function representedOrganisation(organisation: Json): XmlElement {
  const name = str(organisation.name);
  return el('representedOrganization', { classCode: 'ORG', determinerCode: 'INSTANCE' },
    idOf(OID.ods, identifierValue(organisation.identifier, SYSTEMS.ods)),
    organisationCode(),
    name === undefined ? undefined : el('name', {}, name),
    telecom(asArray(organisation.telecom)[0]),
    address(asArray(organisation.address).find(isObject)),
    parentOrganisation(organisation.partOf));
}

export function authorAgentPerson(entries: Entry[], role: Json): XmlElement {
  const practitioner = resolve(entries, role.practitioner);
  const organisation = resolve(entries, role.organization) ?? {};
  return el('AgentPerson', { classCode: 'AGNT' },
    idOf(OID.sdsRoleProfile, identifierValue(role.identifier, SYSTEMS.sdsRoleProfileId)),
    el('code', { code: str(firstCoding(asArray(role.code)[0])?.code), codeSystem: OID.sdsJobRole }),
    telecom(asArray(role.telecom)[0]),
    el('agentPerson', { classCode: 'PSN', determinerCode: 'INSTANCE' },
      idOf(OID.professionalCode, professionalCode(practitioner, role)),
      personName(asArray(practitioner?.name).find(isObject), { use: false })),
    representedOrganisation(organisation));
}
