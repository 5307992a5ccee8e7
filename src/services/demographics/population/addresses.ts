import type { Address, ContactPoint } from '../fhir-types.js';
import type { Random } from './random.js';
import type { Pools } from './pools.js';
import type { PostcodeDistrict } from './data/postcode-districts.js';
import { addressKeyExtension } from './fhir-parts.js';
import { isoDate } from './dates.js';

/** Royal Mail never uses C, I, K, M, O or V in the unit letters of a postcode's inward code. */
const UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';

/** A place someone lives: a real district with a generated sector and unit, e.g. "LS6 2QT". */
export interface Home {
  district: PostcodeDistrict;
  postalCode: string;
  line: string[];
}

export function drawHome(random: Random, pools: Pools, district: PostcodeDistrict = pools.districts.pick(random)): Home {
  const postalCode = `${district.outward} ${random.int(0, 9)}${random.chars(UNIT_LETTERS, 2)}`;
  const street = random.pick(pools.streets);
  const number = random.int(1, random.chance(0.7) ? 80 : 240);
  // About one home in eight in England is a flat in a converted house or block (English Housing Survey, rounded).
  const line = random.chance(0.12)
    ? [`Flat ${random.int(1, 24)}`, `${number} ${street}`, district.town, district.county]
    : [`${number} ${street}`, district.town, district.county];
  return { district, postalCode, line };
}

export function homeAddress(random: Random, home: Home, id: string, from: number, to?: number): Address {
  const extension = [];
  if (random.chance(0.92)) extension.push(addressKeyExtension('PAF', random.digits(8)));
  if (random.chance(0.8)) extension.push(addressKeyExtension('UPRN', `${random.int(1, 9)}${random.digits(11)}`));
  const address: Address = {
    id,
    period: to === undefined ? { start: isoDate(from) } : { start: isoDate(from), end: isoDate(to) },
    use: 'home',
    line: home.line,
    postalCode: home.postalCode,
  };
  if (extension.length > 0) address.extension = extension;
  return address;
}

export function studentAddress(random: Random, pools: Pools, id: string, from: number): Address {
  const home = drawHome(random, pools);
  return { id, period: { start: isoDate(from) }, use: 'temp', text: 'Student Accommodation', line: home.line, postalCode: home.postalCode };
}

/**
 * Ofcom reserves these ranges for drama and examples, so no generated number can ring a real
 * person: 01632 960000–960999, the 0113–0191 "496 0xxx" blocks and mobile 07700 900000–900999.
 */
const LANDLINE_BLOCKS = ['01632960', '01134960', '01144960', '01154960', '01164960', '01174960', '01214960', '01614960', '01514960', '01914980', '02079460', '02920180'];

export function landline(random: Random): string {
  return `${random.pick(LANDLINE_BLOCKS)}${random.digits(3)}`;
}

export function mobile(random: Random): string {
  return `07700900${random.digits(3)}`;
}

export function email(random: Random, given: string, family: string): string {
  const local = `${given}.${family}`.toLowerCase().replace(/[^a-z.]/g, '');
  return `${local}${random.int(1, 999)}@example.com`;
}

export function telecomFor(random: Random, ageYears: number, given: string, family: string, ids: () => string, since: number): ContactPoint[] {
  const telecom: ContactPoint[] = [];
  const period = { start: isoDate(since) };
  if (random.chance(0.45)) telecom.push({ id: ids(), period, system: 'phone', value: landline(random), use: 'home' });
  if (ageYears >= 12 && random.chance(0.7)) telecom.push({ id: ids(), period, system: 'phone', value: mobile(random), use: 'mobile' });
  if (ageYears >= 16 && random.chance(0.35)) telecom.push({ id: ids(), period, system: 'email', value: email(random, given, family), use: 'home' });
  return telecom;
}
