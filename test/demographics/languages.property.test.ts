import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isHumanLanguageCode } from '../../src/services/demographics/domain/human-languages.js';
import { isEnglish } from '../../src/services/demographics/patch/patient-rules.js';

// PDS spec ("Communication"): the language is from UKCore-HumanLanguage (ISO 639-1 plus q1-q5; the
// CodeSystem is case-sensitive, so FR is not French), and "preferred language must not be supplied
// where it is English". The codes are read here from the project's copy of the CodeSystem's facts.

const CODE_SYSTEM = JSON.parse(readFileSync(new URL('../../spec/nhs/pds/terminology/human-languages.json', import.meta.url), 'utf8')) as { caseSensitive: boolean; codes: Record<string, string> };
const CODES = Object.keys(CODE_SYSTEM.codes);

describe('the accepted languages and English (properties)', () => {
  it('every code of the CodeSystem is accepted, exactly as written', () => {
    assert.equal(CODE_SYSTEM.caseSensitive, true);
    fc.assert(fc.property(fc.constantFrom(...CODES), (code) => { assert.equal(isHumanLanguageCode(code), true, code); }), { numRuns: 300 });
  });

  it('any other text is refused: another case of a code, a region (fr-FR), a three-letter code, padding', () => {
    const other = fc.oneof(
      fc.constantFrom(...CODES).map((c) => c.toUpperCase()),
      fc.constantFrom(...CODES).map((c) => `${c[0]!.toUpperCase()}${c.slice(1)}`),
      fc.constantFrom(...CODES).map((c) => `${c}-GB`),
      fc.constantFrom(...CODES).map((c) => ` ${c}`),
      fc.stringMatching(/^[a-z]{3}$/),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(fc.property(other, (code) => {
      fc.pre(!CODES.includes(code));
      assert.equal(isHumanLanguageCode(code), false, code);
    }), { numRuns: 500 });
  });

  it('English is en or en with any region, in any case; no other code is English', () => {
    const region = fc.stringMatching(/^[A-Za-z0-9]{1,8}$/);
    const recase = (s: string, upper: readonly boolean[]) => [...s].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c.toLowerCase())).join('');
    fc.assert(fc.property(fc.option(region), fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }), (r, upper) => {
      assert.equal(isEnglish(recase(r === null ? 'en' : `en-${r}`, upper)), true);
    }), { numRuns: 300 });
    const notEnglish = fc.tuple(fc.constantFrom(...CODES.filter((c) => c !== 'en')), fc.option(region)).map(([c, r]) => (r === null ? c : `${c}-${r}`));
    fc.assert(fc.property(fc.oneof(notEnglish, fc.constantFrom('fr-en', 'e', 'ne', 'eng', 'x-en')), (code) => {
      assert.equal(isEnglish(code), false, code);
    }), { numRuns: 300 });
  });
});
