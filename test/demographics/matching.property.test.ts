import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nameSimilarity } from '../../src/services/demographics/matching/name-similarity.js';
import { birthDateScore, birthDateVariants } from '../../src/services/demographics/matching/date-similarity.js';
import { scorePatientMatch, wildcardMatches } from '../../src/services/demographics/matching/score.js';
import { matchCandidateOf } from '../../src/services/demographics/matching/match-candidate.js';
import { normaliseName } from '../../src/services/demographics/domain/normalise.js';
import type { Patient } from '../../src/services/demographics/fhir-types.js';
import type { SearchQuery } from '../../src/services/demographics/search/search-query.js';

const upperName = fc.stringMatching(/^[A-Z]{1,12}$/);
const isoDate = fc.date({ min: new Date('1900-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const patient = fc.record({
  family: fc.stringMatching(/^[A-Z][a-z]{1,10}$/), given: fc.stringMatching(/^[A-Z][a-z]{1,8}$/), birthDate: isoDate,
  gender: fc.constantFrom('male', 'female', 'unknown'), postcode: fc.constantFrom('LS1 6AE', 'M1 1AE', 'NE1 4XF'),
}).map((p): Patient => ({
  resourceType: 'Patient', id: '9000000009', gender: p.gender as Patient['gender'], birthDate: p.birthDate,
  name: [{ use: 'usual', family: p.family, given: [p.given] }], address: [{ use: 'home', postalCode: p.postcode }],
}));

/** The query that states exactly what the record holds. */
function exactQueryFor(p: Patient, fuzzy: boolean): SearchQuery {
  return {
    fuzzy, exact: false, history: false, family: { value: normaliseName(p.name![0]!.family!) }, given: [{ value: normaliseName(p.name![0]!.given![0]!) }],
    gender: p.gender, birthDate: { from: p.birthDate, to: p.birthDate }, postcode: { value: p.address![0]!.postalCode!.replace(' ', '') },
  };
}

describe('matching (properties)', () => {
  it('name similarity is in [0,1], symmetric, and 1 only for identical names', () => {
    fc.assert(fc.property(upperName, upperName, (a, b) => {
      const s = nameSimilarity(a, b);
      assert.ok(s >= 0 && s <= 1);
      assert.equal(s, nameSimilarity(b, a));
      assert.equal(s === 1, a === b);
    }), { numRuns: 1000 });
  });

  it('homophones score as phonetic matches (Smith/Smyth/Smythe)', () => {
    assert.ok(nameSimilarity('SMITH', 'SMYTH') >= 0.85);
    assert.ok(nameSimilarity('SMITH', 'SMYTHE') >= 0.85);
    assert.equal(nameSimilarity('SMITH', 'JONES'), 0);
  });

  it('an exact match scores 1.0, fuzzy or not', () => {
    fc.assert(fc.property(patient, fc.boolean(), (p, fuzzy) => {
      assert.equal(scorePatientMatch(exactQueryFor(p, fuzzy), matchCandidateOf(p)), 1);
    }));
  });

  it('every score is in [0,1], and changing any searched field of an exact match lowers it below 1', () => {
    fc.assert(fc.property(patient, patient, fc.boolean(), (p, other, fuzzy) => {
      const q = exactQueryFor(other, fuzzy);
      const s = scorePatientMatch(q, matchCandidateOf(p));
      assert.ok(s >= 0 && s <= 1);
      const same = JSON.stringify(exactQueryFor(p, fuzzy)) === JSON.stringify(q);
      if (!same) assert.ok(s < 1, `${JSON.stringify(q)} vs ${JSON.stringify(p)}`);
    }));
  });

  it('a birth date variant scores below an exact date but above zero, only in fuzzy search', () => {
    fc.assert(fc.property(isoDate, (date) => {
      for (const v of birthDateVariants(date)) {
        assert.notEqual(v.date, date);
        const fuzzy = birthDateScore(v.date, { from: date, to: date }, true);
        assert.ok(fuzzy > 0 && fuzzy < 1);
        assert.equal(birthDateScore(v.date, { from: date, to: date }, false), 0);
      }
      assert.equal(birthDateScore(date, { from: date, to: date }, true), 1);
    }));
  });

  it('wildcard matching agrees with a regular expression', () => {
    fc.assert(fc.property(fc.array(fc.stringMatching(/^[A-C]{0,3}$/), { minLength: 2, maxLength: 4 }), fc.stringMatching(/^[A-C]{0,10}$/), (parts, stored) => {
      fc.pre(parts[0]!.length > 0);
      const regex = new RegExp(`^${parts.join('.*')}$`);
      assert.equal(wildcardMatches(parts, stored), regex.test(stored));
    }), { numRuns: 2000 });
  });
});
