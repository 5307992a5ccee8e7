import type { Extension, Identifier } from '../fhir-types.js';
import { NHS_NUMBER_SYSTEM, ODS_SYSTEM } from '../fhir-types.js';

/**
 * The UK Core and PDS pieces a generated Patient is made of, in exactly the shape the PDS sandbox
 * returns (`spec/nhs/pds` Patient.json): extension URLs, code systems, codes and displays.
 */
const UKCORE = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-';
const UKCORE_CODES = 'https://fhir.hl7.org.uk/CodeSystem/UKCore-';

export function nhsNumberIdentifier(nhsNumber: string): Identifier {
  return {
    system: NHS_NUMBER_SYSTEM,
    value: nhsNumber,
    extension: [{
      url: `${UKCORE}NHSNumberVerificationStatus`,
      valueCodeableConcept: {
        coding: [{ system: `${UKCORE_CODES}NHSNumberVerificationStatus`, version: '1.0.0', code: '01', display: 'Number present and verified' }],
      },
    }],
  };
}

export function odsIdentifier(odsCode: string, start?: string): Identifier {
  return start ? { system: ODS_SYSTEM, value: odsCode, period: { start } } : { system: ODS_SYSTEM, value: odsCode };
}

/** Nominated pharmacy, preferred dispenser and appliance supplier share one shape. */
export function organisationExtension(kind: 'NominatedPharmacy' | 'PreferredDispenserOrganization' | 'MedicalApplianceSupplier', odsCode: string): Extension {
  return { url: `${UKCORE}${kind}`, valueReference: { identifier: odsIdentifier(odsCode) } };
}

const DEATH_NOTIFICATION = {
  informal: { code: '1', display: 'Informal - death notice received via an update from a local NHS Organisation such as GP or Trust' },
  formal: { code: '2', display: 'Formal - death notice received from Registrar of Deaths' },
} as const;

/** PDS spec: a date of death always comes with its death notification status. */
export function deathNotificationExtension(kind: keyof typeof DEATH_NOTIFICATION, effective: string): Extension {
  return {
    url: `${UKCORE}DeathNotificationStatus`,
    extension: [
      {
        url: 'deathNotificationStatus',
        valueCodeableConcept: { coding: [{ system: `${UKCORE_CODES}DeathNotificationStatus`, version: '1.0.0', ...DEATH_NOTIFICATION[kind] }] },
      },
      { url: 'systemEffectiveDate', valueDateTime: effective },
    ],
  };
}

/** Languages other than English most often recorded for interpreters in England (ONS Census 2021 main languages). */
export const LANGUAGES: ReadonlyArray<readonly [string, string]> = [
  ['pl', 'Polish'], ['ro', 'Romanian'], ['pa', 'Panjabi'], ['ur', 'Urdu'], ['pt', 'Portuguese'], ['es', 'Spanish'],
  ['ar', 'Arabic'], ['bn', 'Bengali'], ['gu', 'Gujarati'], ['it', 'Italian'], ['fr', 'French'], ['cy', 'Welsh'],
  ['lt', 'Lithuanian'], ['zh', 'Chinese'], ['so', 'Somali'], ['tr', 'Turkish'],
];

export function communicationExtension(language: readonly [string, string], interpreterRequired: boolean): Extension {
  return {
    url: `${UKCORE}NHSCommunication`,
    extension: [
      {
        url: 'language',
        valueCodeableConcept: { coding: [{ system: `${UKCORE_CODES}HumanLanguage`, version: '1.0.0', code: language[0], display: language[1] }] },
      },
      { url: 'interpreterRequired', valueBoolean: interpreterRequired },
    ],
  };
}

const WRITTEN_FORMATS = [['11', 'Large print'], ['12', 'Braille'], ['13', 'Audio tape']] as const;
const CONTACT_METHODS = [['1', 'Letter'], ['2', 'Visit'], ['3', 'Telephone'], ['4', 'E-mail'], ['5', 'Minicom (Textphone)']] as const;

export function contactPreferenceExtension(format: number, method: number, times: string | undefined): Extension {
  const [formatCode, formatDisplay] = WRITTEN_FORMATS[format % WRITTEN_FORMATS.length]!;
  const [methodCode, methodDisplay] = CONTACT_METHODS[method % CONTACT_METHODS.length]!;
  const parts: Extension[] = [
    {
      url: 'PreferredWrittenCommunicationFormat',
      valueCodeableConcept: { coding: [{ system: `${UKCORE_CODES}PreferredWrittenCommunicationFormat`, code: formatCode, display: formatDisplay }] },
    },
    {
      url: 'PreferredContactMethod',
      valueCodeableConcept: { coding: [{ system: `${UKCORE_CODES}PreferredContactMethod`, code: methodCode, display: methodDisplay }] },
    },
  ];
  if (times) parts.push({ url: 'PreferredContactTimes', valueString: times });
  return { url: `${UKCORE}ContactPreference`, extension: parts };
}

export function birthPlaceExtension(city: string, district: string): Extension {
  return { url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', valueAddress: { city, district, country: 'GBR' } };
}

/** PAF (Royal Mail address key) and UPRN (unique property reference number) keys of an address. */
export function addressKeyExtension(type: 'PAF' | 'UPRN', value: string): Extension {
  return {
    url: `${UKCORE}AddressKey`,
    extension: [
      { url: 'type', valueCoding: { system: `${UKCORE_CODES}AddressKeyType`, code: type } },
      { url: 'value', valueString: value },
    ],
  };
}

export const RELATIONSHIP_SYSTEM = 'http://hl7.org/fhir/ValueSet/relatedperson-relationshiptype';
export const ADDITIONAL_ROLE_SYSTEM = 'https://fhir.nhs.uk/R4/CodeSystem/UKCore-AdditionalRelatedPersonRole';
export const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
