import type { NemsCriteria } from './nems-criteria.js';

/** What NEMS matches a subscription against: the event's routing demographics and the PDS record. */
export interface PatientFacts {
  /** Absent for a birth notification without the mother's NHS number: generic subscribers only. */
  nhsNumber?: string;
  birthDate?: string;
  /** Registered GP practice now, and before (a change of GP). */
  gpOds?: string;
  previousGpOds?: string;
  /** The parent organisations (ICB sub-locations) of those practices, from the directory. */
  gpParents: string[];
  /** The home postcode, and for a change of address the old one too (NEMS matches either). */
  postcodes: string[];
  /** The ICB sub locations and local authorities responsible for those postcodes (the directory's areas). */
  postcodeIcbs: string[];
  postcodeLocalAuthorities: string[];
}

/** Whole years from a birth date to an instant (UTC calendar). */
export function ageInYears(birthDate: string, at: Date): number | undefined {
  const match = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(birthDate);
  if (!match) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2] ?? '1'), Number(match[3] ?? '1')];
  let age = at.getUTCFullYear() - y;
  const month = at.getUTCMonth() + 1;
  if (month < m || (month === m && at.getUTCDate() < d)) age -= 1;
  return age;
}

/**
 * The country of a UK postcode, by its area (the letters before the first digit): NI is BT, the
 * Isle of Man IM, the Channel Islands GY and JE; Scottish and Welsh areas are listed; the rest is
 * England. Border areas (CH, SY, LD, TD, DG) follow their main country: a deployment with the ONS
 * postcode directory should match by that instead.
 */
const SCOTLAND = new Set(['AB', 'DD', 'DG', 'EH', 'FK', 'G', 'HS', 'IV', 'KA', 'KW', 'KY', 'ML', 'PA', 'PH', 'TD', 'ZE']);
const WALES = new Set(['CF', 'LD', 'LL', 'NP', 'SA']);
export function countryOfPostcode(postcode: string): string | undefined {
  const area = /^([A-Z]{1,2})\d/.exec(postcode.toUpperCase().replace(/\s+/g, ''))?.[1];
  if (!area) return undefined;
  if (area === 'BT') return 'N92000002';
  if (area === 'IM') return 'M83000003';
  if (area === 'GY' || area === 'JE') return 'L93000001';
  if (SCOTLAND.has(area)) return 'S92000003';
  if (WALES.has(area)) return 'W92000004';
  return 'E92000001';
}

/**
 * Whether an event matches a NEMS subscription (`explore_subscriptions.md`). GP_GP_GP and
 * CHO_GP_CCG match the new or the previous practice, as a change of address matches the old or
 * the new address, so a losing practice hears of a patient leaving. The postcode rules match the
 * ICB sub location (CHO_POSTCODE_CCG) or local authority (UHV_POSTCODE_LACODE) the directory says is
 * responsible for the home postcode (its postcode areas: a deployment loads them from the ONS
 * postcode directory); a postcode in no area the directory knows matches neither.
 */
export function matchesNems(criteria: NemsCriteria, code: string, facts: PatientFacts, at: Date): boolean {
  if (!criteria.events.includes(code)) return false;
  if (criteria.kind === 'explicit' && (facts.nhsNumber === undefined || criteria.nhsNumber !== facts.nhsNumber)) return false;
  if (criteria.ages.length > 0) {
    const age = facts.birthDate ? ageInYears(facts.birthDate, at) : undefined;
    if (age === undefined) return false;
    for (const bound of criteria.ages) {
      if (bound.op === 'lt' ? !(age < bound.years) : !(age > bound.years)) return false;
    }
  }
  if (criteria.gpRegistration === 'RegisteredOnly' && !facts.gpOds) return false;
  if (criteria.gpRegistration === 'UnregisteredOnly' && facts.gpOds) return false;
  if (criteria.rule) {
    const org = criteria.rule.organisation;
    switch (criteria.rule.type) {
      case 'GP_GP_GP':
        return facts.gpOds === org || facts.previousGpOds === org;
      case 'CHO_GP_CCG':
        return facts.gpParents.includes(org);
      case 'COUNTRYCODE':
        return facts.postcodes.some((p) => countryOfPostcode(p) === org);
      case 'CHO_POSTCODE_CCG':
        return facts.postcodeIcbs.includes(org);
      case 'UHV_POSTCODE_LACODE':
        return facts.postcodeLocalAuthorities.includes(org);
    }
  }
  return true;
}

/**
 * `Mex-PartnerID` (receiver_requirements.md): `{subscriptionId}|{tag}` for each matched
 * subscription that has a tag, joined with `~~~`; absent when none has one.
 */
export function partnerId(matched: ReadonlyArray<{ id: string; tag?: string | null }>): string | undefined {
  const pairs = matched.filter((s) => s.tag).map((s) => `${s.id}|${s.tag}`);
  return pairs.length ? pairs.join('~~~') : undefined;
}
