import type { Gender, HumanName } from '../fhir-types.js';
import type { Random } from './random.js';
import { forenamePicker, type Pools } from './pools.js';
import { DAYS_PER_YEAR, isoDate, yearOf } from './dates.js';

/** Who a generated person is before they become FHIR: sex, birth and the names they have had. */
export interface Person {
  gender: Gender;
  /** Day number of birth (see dates.ts). */
  born: number;
  ageYears: number;
  given: string[];
  family: string;
  prefix: string | undefined;
  /** Family name before marriage, and the day it changed. */
  previousFamily?: { family: string; changedOn: number };
}

/** Sex at registration in England and Wales: slightly more women (ONS mid-year estimates); a few unknown. */
function drawGender(random: Random): Gender {
  const x = random.next();
  if (x < 0.507) return 'female';
  if (x < 0.9995) return 'male';
  return 'unknown';
}

function title(random: Random, gender: Gender, ageYears: number, married: boolean): string | undefined {
  if (ageYears < 16 || gender === 'unknown') return undefined;
  if (random.chance(0.01)) return 'Dr';
  if (gender === 'male') return 'Mr';
  if (married) return random.chance(0.85) ? 'Mrs' : 'Ms';
  return random.chance(0.6) ? 'Miss' : 'Ms';
}

export function drawPerson(random: Random, pools: Pools, today: number, options: { minAge?: number; maxAge?: number; family?: string; gender?: Gender } = {}): Person {
  const drawn = drawGender(random);
  const gender = options.gender ?? drawn;
  // Relatives are drawn in an age range fitting their role; everyone else from the population pyramid.
  const [from, to] = options.minAge !== undefined ? [options.minAge, options.maxAge ?? options.minAge + 30] : pools.ages.pick(random);
  const ageYears = random.int(from, to);
  const born = today - Math.floor(ageYears * DAYS_PER_YEAR) - random.int(0, 364);
  const sex = gender === 'female' || gender === 'male' ? gender : random.chance(0.5) ? 'female' : 'male';
  const forenames = forenamePicker(pools, yearOf(born), sex);
  const first = forenames.pick(random);
  const given = [first];
  if (random.chance(0.55)) {
    const middle = forenames.pick(random);
    if (middle !== first) given.push(middle);
  }
  const family = options.family ?? pools.surnames.pick(random);
  // About half of women over 22 took a spouse's name (ONS marriage statistics, rounded); it shows as name history.
  const married = gender === 'female' && ageYears >= 22 && random.chance(0.45);
  const person: Person = { gender, born, ageYears, given, family, prefix: title(random, gender, ageYears, married) };
  if (married) {
    const changedOn = born + Math.floor(random.int(20, Math.min(ageYears, 45)) * DAYS_PER_YEAR);
    let other = pools.surnames.pick(random);
    if (other === person.family) other = pools.surnames.pick(random);
    // A relative drawn to share a family name (a mother) has it as her married name; the other was her maiden name.
    if (options.family) {
      person.previousFamily = { family: other, changedOn };
    } else {
      person.previousFamily = { family: person.family, changedOn };
      person.family = other;
    }
  }
  return person;
}

/** The person's names in PDS form: the one `usual` name first, then older names with a closed period. */
export function humanNames(person: Person, ids: () => string): HumanName[] {
  const usual: HumanName = { id: ids(), use: 'usual', period: { start: isoDate(person.previousFamily?.changedOn ?? person.born) }, given: person.given, family: person.family };
  if (person.prefix) usual.prefix = [person.prefix];
  if (!person.previousFamily) return [usual];
  const old: HumanName = {
    id: ids(),
    use: 'old',
    period: { start: isoDate(person.born), end: isoDate(person.previousFamily.changedOn - 1) },
    given: person.given,
    family: person.previousFamily.family,
  };
  if (person.prefix && person.prefix !== 'Dr') old.prefix = ['Miss'];
  return [usual, old];
}
