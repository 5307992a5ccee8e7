/**
 * The FHIR R4 shapes PDS uses (UK Core Patient and RelatedPerson), as far as OpenSpine reads them.
 * Fields the service never interprets stay open (`[key: string]: unknown`) so a stored record
 * round-trips unchanged.
 */
export interface Period { start?: string; end?: string }

export interface Coding { system?: string; version?: string; code?: string; display?: string }

export interface Extension {
  url: string;
  extension?: Extension[];
  [value: string]: unknown;
}

export interface Identifier {
  system?: string;
  value?: string;
  extension?: Extension[];
  period?: Period;
}

export interface HumanName {
  id?: string;
  use?: 'usual' | 'official' | 'temp' | 'nickname' | 'anonymous' | 'old' | 'maiden';
  period?: Period;
  family?: string;
  given?: string[];
  prefix?: string[];
  suffix?: string[];
}

export interface Address {
  id?: string;
  use?: 'home' | 'work' | 'temp' | 'old' | 'billing';
  period?: Period;
  line?: string[];
  city?: string;
  district?: string;
  postalCode?: string;
  extension?: Extension[];
  [other: string]: unknown;
}

export interface ContactPoint {
  id?: string;
  system?: 'phone' | 'fax' | 'email' | 'pager' | 'url' | 'sms' | 'other';
  value?: string;
  use?: 'home' | 'work' | 'temp' | 'old' | 'mobile';
  period?: Period;
  extension?: Extension[];
}

export interface OrganizationReference {
  id?: string;
  type?: 'Organization';
  identifier?: Identifier;
}

export type Gender = 'male' | 'female' | 'other' | 'unknown';

export interface Patient {
  resourceType: 'Patient';
  /** The NHS number. */
  id: string;
  identifier?: Identifier[];
  meta?: { versionId?: string; security?: Coding[] };
  name?: HumanName[];
  gender?: Gender;
  birthDate?: string;
  deceasedDateTime?: string;
  multipleBirthInteger?: number;
  generalPractitioner?: OrganizationReference[];
  managingOrganization?: OrganizationReference;
  extension?: Extension[];
  telecom?: ContactPoint[];
  contact?: Array<Record<string, unknown>>;
  address?: Address[];
  [other: string]: unknown;
}

export interface RelatedPerson {
  resourceType: 'RelatedPerson';
  id: string;
  [other: string]: unknown;
}

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const CONFIDENTIALITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
