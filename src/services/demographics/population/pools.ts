import { faker as fakerEN_GB } from '@faker-js/faker/locale/en_GB';
import { Random, WeightedPicker, parseWeightedTable } from './random.js';
import { SURNAMES } from './data/surnames.js';
import { SURNAME_TAIL, TAIL_SHARE } from './data/surname-tail.js';
import { FORENAME_BANDS } from './data/forenames.js';
import { POSTCODE_DISTRICTS, type PostcodeDistrict } from './data/postcode-districts.js';
import { AGE_BANDS } from './data/age-bands.js';

/**
 * Everything the generator draws from, built once per run: weighted pickers over the frequency
 * tables and a pool of street names. Building these costs milliseconds; drawing from them costs
 * nanoseconds, which is what makes a million patients cheap (no per-patient faker calls).
 */
export interface Pools {
  surnames: WeightedPicker<string>;
  /** One picker per forename band and sex, in band order. */
  forenames: Array<{ bornUpTo: number; male: WeightedPicker<string>; female: WeightedPicker<string> }>;
  districts: WeightedPicker<PostcodeDistrict>;
  /** Age in whole years, drawn from the population pyramid. */
  ages: WeightedPicker<[number, number]>;
  streets: readonly string[];
}

const GENERATED_STREETS = 3000;

function streetPool(random: Random, surnames: readonly string[]): string[] {
  // faker's en_GB locale carries ~400 genuine British street names and the usual suffixes; its
  // person names are international, so generated "<name> <suffix>" streets use English place-name
  // surnames (Ashworth Road, Stanton Close), as English streets are mostly named after places.
  const definitions = fakerEN_GB.rawDefinitions.location ?? {};
  const named = (definitions.street_name ?? []) as string[];
  const suffixes = (definitions.street_suffix ?? ['Road', 'Street', 'Lane', 'Close', 'Avenue']) as string[];
  const generated = Array.from({ length: GENERATED_STREETS }, () => `${random.pick(surnames).replace(/'/g, '')} ${random.pick(suffixes)}`);
  return [...new Set([...named, ...generated])];
}

/** The top table plus the long tail, weighted so the tail holds TAIL_SHARE of people; a name in both keeps its table weight. */
function withTail(table: Array<[string, number]>): Array<[string, number]> {
  const known = new Set(table.map(([name]) => name));
  const tail = SURNAME_TAIL.filter((name) => !known.has(name));
  const tableTotal = table.reduce((sum, [, weight]) => sum + weight, 0);
  const each = (tableTotal * TAIL_SHARE) / (1 - TAIL_SHARE) / tail.length;
  return [...table, ...tail.map((name) => [name, each] as [string, number])];
}

export function buildPools(seed: number): Pools {
  const random = new Random(seed ^ 0x5eed);
  const surnameTable = parseWeightedTable(SURNAMES);
  return {
    surnames: new WeightedPicker(withTail(surnameTable)),
    forenames: FORENAME_BANDS.map((band) => ({
      bornUpTo: band.bornUpTo,
      male: new WeightedPicker(parseWeightedTable(band.male)),
      female: new WeightedPicker(parseWeightedTable(band.female)),
    })),
    districts: new WeightedPicker(POSTCODE_DISTRICTS.map((d) => [d, d.weight] as const)),
    ages: new WeightedPicker(AGE_BANDS.map(([from, to, share]) => [[from, to], share] as const)),
    streets: streetPool(random, SURNAME_TAIL),
  };
}

/** The forename picker for someone born in `year` and of `sex`. */
export function forenamePicker(pools: Pools, year: number, sex: 'male' | 'female'): WeightedPicker<string> {
  const band = pools.forenames.find((b) => year <= b.bornUpTo) ?? pools.forenames[pools.forenames.length - 1]!;
  return band[sex];
}
