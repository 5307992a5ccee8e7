import { isValidNhsNumber } from '../../../platform/nhs-number.js';
import { clipForDiagnostics as clip } from '../../../platform/http/validation-failure.js';

/**
 * The NDOP-Consent-1 profile and NDOP's business rules (spec/nhs/opt-out: the StructureDefinition,
 * `pages/consentapi/*` and `build_consent_business_rules.md`), as a pure check over a body the door
 * has already found to be a Consent. Returns what the store keeps, or what is wrong (422).
 */
export const NDOP_PROFILE = 'https://fhir.nhs.uk/STU3/StructureDefinition/NDOP-Consent-1';
export const PATIENT_BASE = 'https://demographics.spineservices.nhs.uk/STU3/Patient/';
/** consent_organization.md: the custodian is fixed, X26 (NHS Digital); a GP practice's code is its example of what it may not be. */
export const NDOP_CUSTODIAN = 'https://directory.spineservices.nhs.uk/STU3/Organization/X26';
export const OPT_OUT_SOURCE_URL = 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-NDOP-OptOutSource-1';
export const OPT_OUT_SOURCE_SYSTEM = 'https://fhir.nhs.uk/STU3/CodeSystem/NDOP-OptOutSource-1';
// The profile names the extension `…-ProxyRole-1`; the published examples use `…-Proxy-1` (API-NOTES §7): both are read.
export const PROXY_ROLE_URLS = ['https://fhir.nhs.uk/STU3/StructureDefinition/Extension-NDOP-ProxyRole-1', 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-NDOP-Proxy-1'];
export const PROXY_ROLE_SYSTEM = 'https://fhir.nhs.uk/STU3/CodeSystem/NDOP-ProxyRole-1';
export const NIC_REFERENCE_URL = 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-NDOP-NICReference-1';
export const CATEGORY_SYSTEM = 'https://fhir.nhs.uk/STU3/CodeSystem/NDOP-OptOutCategory-1';
// The examples write SNOMED both ways (API-NOTES §7: tolerate both).
export const SNOMED_SYSTEMS = ['http://snomed.info/sct', 'https://snomed.info/sct'];
/** SNOMED 370856009 "Limiting access to confidential patient information": NDOP's one question since v0.0.10. */
export const OPT_OUT_PURPOSE = '370856009';

export const OPT_OUT_SOURCES = { OP: 'Online Process', PFSP: 'Patient Facing Service App', FN: 'Form on NHS.UK', CC: 'Call Centre', PP: 'Paper Process', MG: 'NDOP Type 2 Migration' } as const;
export type OptOutSource = keyof typeof OPT_OUT_SOURCES;
export const PROXY_ROLES = { COURTDEP: 'Court Appointed Deputy', POA: 'Power of Attorney', GUARDIAN: 'Guardian' } as const;

/** Elements STU3 Consent has and NDOP-Consent-1 sets to 0..0. */
const FORBIDDEN = ['period', 'actor', 'action', 'sourceAttachment', 'sourceIdentifier', 'sourceReference', 'policyRule', 'securityLabel', 'dataPeriod', 'data', 'except'];

export interface ConsentBody {
  resourceType: 'Consent';
  id?: string;
  meta?: { profile?: string[]; versionId?: string; lastUpdated?: string };
  extension?: Array<{ url: string; valueCodeableConcept?: { coding?: Array<{ system?: string; code?: string }> }; valueString?: string }>;
  status?: string;
  category?: Array<{ coding?: Array<{ system?: string; code?: string }> }>;
  patient?: { reference?: string };
  dateTime?: string;
  consentingParty?: Array<{ reference?: string }>;
  organization?: Array<{ reference?: string }>;
  policy?: Array<{ authority?: string; uri?: string }>;
  purpose?: Array<{ system?: string; code?: string }>;
  [element: string]: unknown;
}

export interface OptOut {
  nhsNumber: string;
  status: 'active' | 'inactive';
  effectiveFrom: Date;
  source: OptOutSource;
  policyUri: string;
  purpose: string;
}

export type ProfileCheck = { ok: true; value: OptOut } | { ok: false; problem: string };

const fail = (problem: string): ProfileCheck => ({ ok: false, problem });

// consent_datetime.md: date, time (seconds may be left out) and a timezone; 24:00 is not a time. A
// timezone is at most 14 hours from UTC, as FHIR's dateTime has it (+14:59 was taken).
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))$/;

/** The instant a `dateTime` names, when it has a time and timezone and is a real date. */
export function parseNdopDateTime(value: string): Date | undefined {
  const match = DATE_TIME.exec(value);
  if (!match) return undefined;
  const [, y, m, d] = match;
  const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(m) - 1 || day.getUTCDate() !== Number(d)) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The NHS number of `https://demographics.spineservices.nhs.uk/STU3/Patient/{NHS number}`, when valid. */
export function nhsNumberOfReference(reference: string): string | undefined {
  if (!reference.startsWith(PATIENT_BASE)) return undefined;
  const nhsNumber = reference.slice(PATIENT_BASE.length);
  return isValidNhsNumber(nhsNumber) ? nhsNumber : undefined;
}

type Coding = { system?: unknown; code?: unknown };
/** The door checks types; these keep the profile check total on any value all the same. */
const list = <T>(value: unknown): T[] => (Array.isArray(value) ? value.filter((v) => typeof v === 'object' && v !== null) as T[] : []);
const textOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const firstCoding = (extension: { valueCodeableConcept?: { coding?: unknown } }): Coding | undefined =>
  list<Coding>(extension.valueCodeableConcept?.coding)[0];

export function checkConsentProfile(body: ConsentBody): ProfileCheck {
  if (body.meta?.profile !== undefined && !(Array.isArray(body.meta.profile) && body.meta.profile.includes(NDOP_PROFILE))) return fail(`meta.profile must include ${NDOP_PROFILE}`);
  const present = FORBIDDEN.filter((element) => body[element] !== undefined);
  if (present.length > 0) return fail(`Consent.${present[0]} is not allowed by NDOP-Consent-1`);
  if (body.modifierExtension !== undefined) return fail('Consent.modifierExtension is not allowed by NDOP-Consent-1');
  // FHIR dom-3: a contained resource must be referenced from the resource; every reference NDOP-Consent-1
  // has is an absolute URL (the patient, the custodian), so none could be, and it would be kept unread.
  if (body.contained !== undefined) return fail('Consent.contained is not allowed: NDOP-Consent-1 references no contained resource (FHIR dom-3)');

  const extensions = list<NonNullable<ConsentBody['extension']>[number]>(body.extension);
  const sources = extensions.filter((e) => e.url === OPT_OUT_SOURCE_URL);
  if (sources.length !== 1) return fail(`Consent must carry exactly one extension ${OPT_OUT_SOURCE_URL} (how the opt-out was captured)`);
  const source = firstCoding(sources[0]!);
  if (source?.system !== OPT_OUT_SOURCE_SYSTEM || typeof source.code !== 'string' || !Object.hasOwn(OPT_OUT_SOURCES, source.code)) {
    return fail(`Extension-NDOP-OptOutSource-1 must be coded in ${OPT_OUT_SOURCE_SYSTEM} as one of ${Object.keys(OPT_OUT_SOURCES).join(', ')}`);
  }
  const proxies = extensions.filter((e) => PROXY_ROLE_URLS.includes(e.url));
  if (proxies.length > 1) return fail('Consent may carry at most one consentingProxyRole extension');
  const proxy = proxies[0] === undefined ? undefined : firstCoding(proxies[0]);
  if (proxies.length === 1 && (proxy?.system !== PROXY_ROLE_SYSTEM || typeof proxy.code !== 'string' || !Object.hasOwn(PROXY_ROLES, proxy.code))) {
    return fail(`consentingProxyRole must be coded in ${PROXY_ROLE_SYSTEM} as one of ${Object.keys(PROXY_ROLES).join(', ')}`);
  }
  const nic = extensions.filter((e) => e.url === NIC_REFERENCE_URL);
  if (nic.length > 1 || (nic.length === 1 && typeof nic[0]!.valueString !== 'string')) return fail('Extension-NDOP-NICReference-1 may appear once, with a valueString');

  if (body.status !== 'active' && body.status !== 'inactive') return fail(`Consent.status must be 'active' (opted out) or 'inactive', not '${clip(String(body.status ?? ''))}'`);
  const reference = textOf(body.patient?.reference);
  if (reference === undefined) return fail('Consent.patient.reference is required');
  const nhsNumber = nhsNumberOfReference(reference);
  if (!nhsNumber) return fail(`Consent.patient.reference must be ${PATIENT_BASE} followed by a valid 10-digit NHS number, not '${clip(reference)}'`);
  if (typeof body.dateTime !== 'string') return fail('Consent.dateTime is required');
  const effectiveFrom = parseNdopDateTime(body.dateTime);
  if (!effectiveFrom) return fail(`Consent.dateTime must be a date with a time and a timezone (e.g. 2017-12-14T11:15:33+00:00), not '${clip(body.dateTime)}'`);

  // build_consent_business_rules.md: exactly one of consentingParty and consentingProxyRole.
  const parties = list<{ reference?: unknown }>(body.consentingParty);
  if (parties.length > 1) return fail('Consent.consentingParty may have at most one reference');
  const party = parties.length === 1 ? textOf(parties[0]!.reference) : undefined;
  if (parties.length === 1 && !party) return fail('Consent.consentingParty.reference is required');
  // consent_consenting_party.md: a Patient reference, as the patient is given (…/Patient/450-557-7104 is its example of incorrect usage).
  if (party !== undefined && !nhsNumberOfReference(party)) {
    return fail(`Consent.consentingParty.reference must be ${PATIENT_BASE} followed by a valid 10-digit NHS number, not '${clip(party)}'`);
  }
  if ((parties.length === 1) === (proxies.length === 1)) {
    return fail('Exactly one of Consent.consentingParty and the consentingProxyRole extension must be present');
  }
  const organizations = list<{ reference?: unknown }>(body.organization);
  if (organizations.length !== 1 || !textOf(organizations[0]!.reference)) return fail('Consent.organization must be one reference (the custodian)');
  if (organizations[0]!.reference !== NDOP_CUSTODIAN) {
    return fail(`Consent.organization must be ${NDOP_CUSTODIAN} (NHS Digital, the custodian), not '${clip(String(organizations[0]!.reference))}'`);
  }
  const policies = list<{ uri?: unknown }>(body.policy);
  const policyUri = textOf(policies[0]?.uri);
  if (policies.length !== 1 || !policyUri) return fail('Consent.policy must be one policy with a uri');
  const purposes = list<Coding>(body.purpose);
  if (purposes.length !== 1 || !SNOMED_SYSTEMS.includes(textOf(purposes[0]!.system) ?? '') || purposes[0]!.code !== OPT_OUT_PURPOSE) {
    return fail(`Consent.purpose must be one SNOMED CT coding ${OPT_OUT_PURPOSE} (Limiting access to confidential patient information)`);
  }
  if (body.category !== undefined) {
    const categories = list<{ coding?: unknown }>(body.category);
    const coding = categories.length === 1 ? list<Coding>(categories[0]!.coding)[0] : undefined;
    if (coding?.system !== CATEGORY_SYSTEM || coding.code !== 'NDOP') return fail(`Consent.category, when present, must be one coding ${CATEGORY_SYSTEM}|NDOP`);
  }
  return {
    ok: true,
    value: { nhsNumber, status: body.status, effectiveFrom, source: source.code as OptOutSource, policyUri, purpose: OPT_OUT_PURPOSE },
  };
}
