import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SpineError } from '../../src/platform/http/errors.js';
import { parseDateCriterion, parseSearchParams, parseTextCriterion, SEARCH_PARAMETERS } from '../../src/services/demographics/search/parse-search-params.js';
import { normaliseName, normalisePostcode } from '../../src/services/demographics/domain/normalise.js';
import { spineErrorCodeOf as codeOf } from '../support/spine-error-code.js';

const isoDate = fc.date({ min: new Date('1900-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const name = fc.stringMatching(/^[A-Za-z][A-Za-z' -]{1,20}$/).filter((s) => normaliseName(s).length > 0);

describe('search parameter parsing (properties)', () => {
  it('any query either parses or fails with a catalogued PDS code, never anything else', () => {
    const key = fc.oneof(fc.constantFrom(...SEARCH_PARAMETERS), fc.string({ maxLength: 12 }));
    const value = fc.oneof(fc.string({ maxLength: 40 }), isoDate.map((d) => `eq${d}`), fc.constantFrom('true', 'false', 'Sm*', '*', 'male'));
    fc.assert(fc.property(fc.dictionary(key, fc.oneof(value, fc.array(value, { maxLength: 3 }))), (query) => {
      const code = codeOf(() => parseSearchParams(query));
      assert.ok(['ok', 'UNSUPPORTED_SERVICE', 'ADDITIONAL_PROPERTIES', 'INVALID_VALUE', 'MISSING_VALUE', 'INVALID_SEARCH_DATA'].includes(code), code);
    }), { numRuns: 500 });
  });

  it('a pair with an empty name carries no parameter: the query parses (or fails) exactly as without it', () => {
    const key = fc.oneof(fc.constantFrom(...SEARCH_PARAMETERS), fc.string({ minLength: 1, maxLength: 12 }));
    const value = fc.oneof(fc.string({ maxLength: 40 }), isoDate.map((d) => `eq${d}`), fc.constantFrom('true', 'Sm*', 'male'));
    const outcome = (query: Record<string, string | string[]>) => {
      try {
        return parseSearchParams(query);
      } catch (err) {
        assert.ok(err instanceof SpineError);
        return { code: err.spec.code, diagnostics: err.diagnostics };
      }
    };
    fc.assert(fc.property(fc.dictionary(key, value), fc.oneof(fc.string({ maxLength: 5 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 })), (query, empty) => {
      assert.deepEqual(outcome({ ...query, '': empty }), outcome(query));
    }), { numRuns: 300 });
  });

  it('the validation order: unknown parameters beat bad values, bad values beat a missing birth date', () => {
    fc.assert(fc.property(name, fc.stringMatching(/^[a-z]{3,8}$/).filter((k) => !(SEARCH_PARAMETERS as readonly string[]).includes(k)), (family, unknown) => {
      assert.equal(codeOf(() => parseSearchParams({ family, [unknown]: 'x', gender: 'nope' })), 'ADDITIONAL_PROPERTIES');
      assert.equal(codeOf(() => parseSearchParams({ family, gender: 'nope' })), 'INVALID_VALUE');
      assert.equal(codeOf(() => parseSearchParams({ family })), 'MISSING_VALUE');
    }));
  });

  it('family and birth date are enough for a non-fuzzy search; the parsed values are normalised', () => {
    fc.assert(fc.property(name, isoDate, (family, date) => {
      const q = parseSearchParams({ family, birthdate: `eq${date}` });
      assert.equal(q.family!.value, normaliseName(family));
      assert.deepEqual(q.birthDate, { from: date, to: date });
      assert.equal(q.fuzzy, false);
    }));
  });

  it('date criteria: eq sets both bounds, ge and le one each, and the range is ordered as given', () => {
    fc.assert(fc.property(isoDate, isoDate, (a, b) => {
      assert.deepEqual(parseDateCriterion([`ge${a}`, `le${b}`], 'birthdate'), { from: a, to: b });
      assert.deepEqual(parseDateCriterion([a], 'birthdate'), { from: a, to: a });
      assert.equal(codeOf(() => parseDateCriterion([`eq${a}`, `eq${b}`], 'birthdate')), 'INVALID_VALUE');
    }));
  });

  it('malformed dates are INVALID_VALUE naming the value and field', () => {
    fc.assert(fc.property(fc.string({ maxLength: 14 }).filter((s) => !/^(eq|ge|le)?[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(s)), (bad) => {
      try {
        parseDateCriterion([bad], 'death-date');
        assert.fail('accepted');
      } catch (err) {
        assert.equal((err as SpineError).diagnostics, `Invalid value - '${bad}' in field 'death-date'`);
      }
    }));
  });

  it('wildcards: never in the first two characters; elsewhere they split the value', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Z]{2,6}$/), fc.stringMatching(/^[A-Z]{0,4}$/), (head, tail) => {
      const c = parseTextCriterion(`${head}*${tail}`, 'family', normaliseName);
      assert.deepEqual(c.wildcardParts, [head, tail]);
      assert.equal(codeOf(() => parseTextCriterion(`${head.slice(0, 1)}*${tail}`, 'family', normaliseName)), 'INVALID_VALUE');
      assert.equal(codeOf(() => parseSearchParams({ family: `${head}*`, given: 'Jo', birthdate: 'eq2000-01-01', '_fuzzy-match': 'true' })), 'INVALID_SEARCH_DATA');
    }));
  });

  it('postcodes ignore spaces and case', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z]{1,2}[0-9]{1,2} ?[0-9][A-Za-z]{2}$/), (postcode) => {
      const q = parseSearchParams({ family: 'Smith', birthdate: 'eq2000-01-01', 'address-postalcode': postcode });
      assert.equal(q.postcode!.value, normalisePostcode(postcode.replace(/ /g, '').toLowerCase()));
    }));
  });
});
