import type { RelatedPerson } from '../fhir-types.js';
import { NHS_NUMBER_SYSTEM } from '../fhir-types.js';
import type { DrawContext, PatientDraw } from './patient.js';
import { drawPerson } from './people.js';
import { landline } from './addresses.js';
import { ADDITIONAL_ROLE_SYSTEM, RELATIONSHIP_SYSTEM } from './fhir-parts.js';
import { isoDate } from './dates.js';

type Relationship = readonly [code: string, display: string];

const ROLE_PERSONAL = { system: ADDITIONAL_ROLE_SYSTEM, code: 'Personal', display: 'Personal relationship with the patient' };
const ROLE_GUARDIAN = { system: ADDITIONAL_ROLE_SYSTEM, code: 'Guardian', display: 'Guardian of patient' };
const NEXT_OF_KIN = { system: RELATIONSHIP_SYSTEM, code: 'N', display: 'Next-of-Kin' };
const MOTHER: Relationship = ['MTH', 'mother'];
const FATHER: Relationship = ['FTH', 'father'];
const SPOUSE: Relationship = ['SPS', 'spouse'];
const CHILD: Relationship = ['CHILD', 'child'];

/** A related person who is on PDS themselves is referenced by NHS number instead of carrying details. */
export interface KnownAdult {
  nhsNumber: string;
  gender: string;
}

/**
 * Who a patient's related persons are, by age: children have their parents (guardians); older
 * people a spouse or grown-up child as next of kin; a few adults a next of kin. Between 1 and 2 each.
 */
export function drawRelatedPersons(ctx: DrawContext, draw: PatientDraw, knownAdults: readonly KnownAdult[]): RelatedPerson[] {
  const { random, pools, today, ids } = ctx;
  const { person, home, patient } = draw;
  const isChild = person.ageYears < 16;
  const share = isChild ? 0.12 : person.ageYears >= 75 ? 0.15 : 0.02;
  if (!random.chance(share)) return [];
  const relationships: Relationship[] = isChild ? (random.chance(0.7) ? [MOTHER, FATHER] : [MOTHER]) : [random.chance(0.5) ? SPOUSE : CHILD];
  return relationships.map((relationship, rank) => {
    const start = isoDate(isChild ? person.born : random.int(today - 3650, today - 1));
    const coding = [isChild ? ROLE_GUARDIAN : ROLE_PERSONAL, { system: RELATIONSHIP_SYSTEM, code: relationship[0], display: relationship[1] }];
    if (!isChild || rank === 0) coding.push(NEXT_OF_KIN);
    const related: RelatedPerson = {
      resourceType: 'RelatedPerson',
      id: ids(),
      // PDS spec: `patient` is always present; its identifier only when the relative has an NHS number.
      patient: { type: 'Patient' },
      active: true,
      period: { start },
      relationship: [{ coding }],
      extension: [{ url: 'https://fhir.nhs.uk/R4/StructureDefinition/Extension-UKCore-ContactRank', valuePositiveInt: rank + 1 }],
    };
    const known = knownAdults.length > 0 && random.chance(0.3) ? random.pick(knownAdults) : undefined;
    if (known) {
      related.patient = { type: 'Patient', identifier: { system: NHS_NUMBER_SYSTEM, value: known.nhsNumber } };
      return related;
    }
    const age = isChild ? [person.ageYears + 18, person.ageYears + 45] : relationship === SPOUSE ? [person.ageYears - 5, person.ageYears + 3] : [40, 65];
    const gender = relationship === MOTHER ? 'female' : relationship === FATHER ? 'male' : undefined;
    const relative = drawPerson(random, pools, today, { minAge: Math.max(16, age[0]!), maxAge: Math.max(16, age[1]!), family: patient.name?.[0]?.family, gender });
    related.name = [{ use: 'usual', period: { start }, given: relative.given, family: relative.family, ...(relative.prefix ? { prefix: [relative.prefix] } : {}) }];
    related.telecom = [{ system: 'phone', value: landline(random), use: 'home' }];
    related.address = [{ use: 'home', line: home.line, postalCode: home.postalCode, period: { start } }];
    return related;
  });
}
