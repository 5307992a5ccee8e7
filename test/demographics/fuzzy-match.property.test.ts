import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isFuzzyMatch } from '../../src/services/demographics/matching/score.js';
import { matchCandidateOf } from '../../src/services/demographics/matching/match-candidate.js';
import { normaliseName } from '../../src/services/demographics/domain/normalise.js';
import type { Patient } from '../../src/services/demographics/fhir-types.js';
import type { SearchQuery } from '../../src/services/demographics/search/search-query.js';

// PDS spec ("Fuzzy search"): matches homophones (Smith and Smythe), transposed names (Adam Thomas
// and Thomas Adam) and always searches history; date of death and GP "are not used in the search"
// (they only change the score). The fields it matches on must match closely enough.

const isoDate = fc.date({ min: new Date('1900-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
/**
 * Names spelt from two alphabets that share no letter and no sound (Soundex or Metaphone), each
 * beginning with a consonant (Metaphone codes every initial vowel alike).
 */
const nameFrom = (initials: string, letters: string) => fc.stringMatching(new RegExp(`^[${initials}][${letters}]{2,9}$`));
const recordName = nameFrom('LM', 'lmae');
const unrelatedName = nameFrom('RST', 'rstou');
const person = fc.record({
  family: recordName, given: recordName, birthDate: isoDate, gender: fc.constantFrom('male', 'female') as fc.Arbitrary<'male' | 'female'>,
  postcode: fc.constantFrom('LS1 6AE', 'M1 1AE', 'NE1 4XF'),
});
type Person = typeof person extends fc.Arbitrary<infer P> ? P : never;

function patientOf(p: Person, previousFamily?: string): Patient {
  const name: NonNullable<Patient['name']> = [{ use: 'usual', family: p.family, given: [p.given] }];
  if (previousFamily) name.push({ use: 'old', family: previousFamily, given: [p.given], period: { start: '1990-01-01', end: '2000-01-01' } });
  return { resourceType: 'Patient', id: '9000000009', gender: p.gender, birthDate: p.birthDate, name, address: [{ use: 'home', postalCode: p.postcode }] };
}

/** The fuzzy query that states what `p` says, with any of the optional fields left out. */
function fuzzyQuery(p: Person, include: { gender: boolean; postcode: boolean } = { gender: true, postcode: true }): SearchQuery {
  return {
    fuzzy: true, exact: false, history: false,
    family: { value: normaliseName(p.family) }, given: [{ value: normaliseName(p.given) }], birthDate: { from: p.birthDate, to: p.birthDate },
    ...(include.gender ? { gender: p.gender } : {}), ...(include.postcode ? { postcode: { value: p.postcode.replace(' ', '') } } : {}),
  };
}

describe('fuzzy search: whether a candidate matches at all (properties)', () => {
  it('a query stating what the record holds matches it, with or without gender and postcode', () => {
    fc.assert(fc.property(person, fc.boolean(), fc.boolean(), (p, gender, postcode) => {
      assert.ok(isFuzzyMatch(fuzzyQuery(p, { gender, postcode }), matchCandidateOf(patientOf(p))));
    }), { numRuns: 300 });
  });

  it('date of death and GP are not used in the search: any such criterion leaves the answer as it was', () => {
    fc.assert(fc.property(person, person, fc.boolean(), isoDate, fc.stringMatching(/^[A-Z][0-9]{5}$/), (p, other, same, died, gp) => {
      const query = fuzzyQuery(same ? p : other);
      const candidate = matchCandidateOf(patientOf(p));
      const without = isFuzzyMatch(query, candidate);
      assert.equal(isFuzzyMatch({ ...query, deathDate: { from: died, to: died }, gp }, candidate), without);
      assert.equal(isFuzzyMatch({ ...query, deathDate: { to: died } }, candidate), without);
    }), { numRuns: 300 });
  });

  it('transposed names match: family searched as given and given as family', () => {
    fc.assert(fc.property(person, (p) => {
      assert.ok(isFuzzyMatch(fuzzyQuery({ ...p, family: p.given, given: p.family }), matchCandidateOf(patientOf(p))));
    }), { numRuns: 300 });
  });

  it('homophones match: a family name searched as another spelling of its sound', () => {
    // Spelt alike, and spelt too unlike for a spelling match (Wright and Rite): there the sound matches.
    const homophones = [['Smith', 'Smyth', 'Smythe'], ['Thompson', 'Thomson'], ['Reid', 'Reed', 'Read'], ['Clark', 'Clarke'], ['Philips', 'Phillips'],
      ['Wright', 'Rite'], ['Knight', 'Nite'], ['Leigh', 'Lee'], ['Knox', 'Nocks']];
    const pair = fc.constantFrom(...homophones).chain((group) => fc.tuple(fc.constantFrom(...group), fc.constantFrom(...group)));
    fc.assert(fc.property(person, pair, (p, [held, searched]) => {
      assert.ok(isFuzzyMatch(fuzzyQuery({ ...p, family: searched }), matchCandidateOf(patientOf({ ...p, family: held }))), `${searched} for ${held}`);
    }), { numRuns: 200 });
  });

  it('history is always searched: a previous family name matches', () => {
    fc.assert(fc.property(person, unrelatedName, (p, previous) => {
      assert.ok(isFuzzyMatch(fuzzyQuery({ ...p, family: previous }), matchCandidateOf(patientOf(p, previous))));
    }), { numRuns: 300 });
  });

  it('names unlike the record in spelling and sound, or the other gender, never match', () => {
    fc.assert(fc.property(person, unrelatedName, unrelatedName, (p, family, given) => {
      const candidate = matchCandidateOf(patientOf(p));
      assert.equal(isFuzzyMatch(fuzzyQuery({ ...p, family }), candidate), false, `family ${family} for ${p.family}`);
      assert.equal(isFuzzyMatch(fuzzyQuery({ ...p, given }), candidate), false, `given ${given} for ${p.given}`);
      assert.equal(isFuzzyMatch(fuzzyQuery({ ...p, gender: p.gender === 'male' ? 'female' : 'male' }), candidate), false, 'other gender');
    }), { numRuns: 300 });
  });
});
