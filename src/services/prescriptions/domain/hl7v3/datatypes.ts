import { asArray, isObject, type Json } from '../fhir.js';
import { el, type XmlElement } from './xml.js';

/**
 * HL7 V3 data types as EPS writes them from FHIR, read off NHS England's translations of its
 * examples (spec/nhs/eps/examples/**\/*-Convert-Response-Send-200_OK.xml).
 */

/**
 * A timestamp (TS), `YYYYMMDDHHMMSS` in UTC: the examples' author times are their signatures'
 * `when` (`2021-05-07T14:47:30+00:00` gives `20210507144730`, though London was then on BST).
 */
export function hl7Timestamp(instant: string | Date): string {
  const iso = (typeof instant === 'string' ? new Date(instant) : instant).toISOString();
  return iso.slice(0, 19).replace(/[-:T]/g, '');
}

/** A FHIR date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) as an HL7 date of the same precision. */
export const hl7Date = (date: string) => date.replace(/-/g, '');

/** OIDs of the code systems and identifier schemes the fragments use. */
export const OID = {
  snomed: '2.16.840.1.113883.2.1.3.2.4.15',
  nhsNumber: '2.16.840.1.113883.2.1.4.1',
  ods: '1.2.826.0.1285.0.1.10',
  sdsRoleProfile: '1.2.826.0.1285.0.2.0.67',
  sdsJobRole: '1.2.826.0.1285.0.2.1.104',
  professionalCode: '1.2.826.0.1285.0.2.1.54',
  organisationType: '2.16.840.1.113883.2.1.3.2.4.17.94',
  sex: '2.16.840.1.113883.2.1.3.2.4.16.25',
  careProvisionType: '2.16.840.1.113883.2.1.3.2.4.17.37',
  annotationType: '2.16.840.1.113883.2.1.3.2.4.17.30',
  prescriptionAnnotation: '2.16.840.1.113883.2.1.3.2.4.16.32',
} as const;

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const strings = (v: unknown): string[] => asArray(v).filter((s): s is string => typeof s === 'string');

/** A FHIR name as a PN: prefixes, given names, family, suffixes (the examples' order). */
const NAME_USES: Record<string, string> = { usual: 'L', official: 'L', nickname: 'PREFERRED', old: 'OLD', temp: 'TMP' };
export function personName(name: Json | undefined, options: { use: boolean }): XmlElement | undefined {
  if (!name) return undefined;
  const use = options.use ? NAME_USES[str(name.use) ?? ''] : undefined;
  return el('name', { use },
    ...strings(name.prefix).map((p) => el('prefix', {}, p)),
    ...strings(name.given).map((g) => el('given', {}, g)),
    ...(str(name.family) ? [el('family', {}, str(name.family)!)] : []),
    ...strings(name.suffix).map((s) => el('suffix', {}, s)));
}

/** A FHIR address as an AD: its lines, then city, district and state as further lines, then the postcode. */
const ADDRESS_USES: Record<string, string> = { home: 'H', work: 'WP', temp: 'TMP', billing: 'PST' };
export function address(address: Json | undefined): XmlElement | undefined {
  if (!address) return undefined;
  const lines = [...strings(address.line), ...[address.city, address.district, address.state].filter((v): v is string => typeof v === 'string')];
  return el('addr', { use: ADDRESS_USES[str(address.use) ?? ''] },
    ...lines.map((line) => el('streetAddressLine', {}, line)),
    ...(str(address.postalCode) ? [el('postalCode', {}, str(address.postalCode)!)] : []));
}

/** A FHIR ContactPoint as a TEL: `tel:` and the number without its spaces (`0115 9737320` → `tel:01159737320`). */
const TELECOM_USES: Record<string, string> = { work: 'WP', home: 'H', mobile: 'MC', temp: 'TMP' };
export function telecom(contact: unknown): XmlElement | undefined {
  if (!isObject(contact) || typeof contact.value !== 'string') return undefined;
  const scheme = contact.system === 'email' ? 'mailto:' : 'tel:';
  return el('telecom', { use: TELECOM_USES[str(contact.use) ?? ''], value: `${scheme}${contact.value.replace(/\s/g, '')}` });
}

/** `<id extension root>` and `<id root>`. */
export const idOf = (root: string, extension?: string) => el('id', { extension, root });

/** The first coding of a CodeableConcept. */
export function firstCoding(concept: unknown): Json | undefined {
  const coding = isObject(concept) ? asArray(concept.coding)[0] : undefined;
  return isObject(coding) ? coding : undefined;
}
