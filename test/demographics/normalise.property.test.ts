import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normaliseEmail, normalisePhone } from '../../src/services/demographics/domain/normalise.js';

// The search columns and the search parameters are compared in these forms, so a stored value and a
// searched value that the PDS spec says are the same must come out equal, and different ones different.

const digits = fc.stringMatching(/^[0-9]{3,15}$/);
/** What people write between a phone number's digits: spaces, hyphens, dots, brackets. */
const separator = fc.constantFrom('', ' ', '  ', '-', '.', '(', ')', ' - ', '\t');
/** A phone number as written: its digits with separators between them, maybe a leading +, maybe padded. */
const writtenPhone = fc.record({ plus: fc.boolean(), digits, seps: fc.array(separator, { minLength: 16, maxLength: 16 }), pad: fc.constantFrom('', ' ', '\t', '\u00a0') })
  .map(({ plus, digits: d, seps, pad }) => ({ plus, digits: d, written: `${pad}${plus ? '+' : ''}${[...d].map((c, i) => `${i > 0 ? seps[i]! : ''}${c}`).join('')}${pad}` }));
/** Any text at all, and text made of the characters that matter here. */
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: fc.constantFrom(...' +-.()@0129aZß\t\u00a0'), maxLength: 20 }));

describe('phone numbers in normal form (properties)', () => {
  it('a number written with any spacing, hyphens, dots or brackets is its digits (and its leading +): "01632 960587" finds "01632960587"', () => {
    fc.assert(fc.property(writtenPhone, ({ plus, digits: d, written }) => {
      assert.equal(normalisePhone(written), `${plus ? '+' : ''}${d}`, JSON.stringify(written));
    }), { numRuns: 500 });
  });

  it('two numbers whose digits differ in one place never compare equal, however they are written', () => {
    fc.assert(fc.property(writtenPhone, fc.nat(), fc.integer({ min: 1, max: 9 }), ({ plus, digits: d }, at, shift) => {
      const i = at % d.length;
      const other = `${d.slice(0, i)}${(Number(d[i]) + shift) % 10}${d.slice(i + 1)}`;
      assert.notEqual(normalisePhone(`${plus ? '+' : ''}${d}`), normalisePhone(`${plus ? '+' : ''}${other}`));
    }), { numRuns: 300 });
  });

  it('any text: the normal form is digits after at most one leading +, and normalising it again changes nothing', () => {
    fc.assert(fc.property(anyText, (value) => {
      const normal = normalisePhone(value);
      assert.match(normal, /^\+?[0-9]*$/);
      assert.equal(normalisePhone(normal), normal);
    }), { numRuns: 500 });
  });
});

const localPart = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._%+-]{0,20}$/);
const domain = fc.stringMatching(/^[A-Za-z0-9-]{1,12}(\.[A-Za-z]{2,6}){1,2}$/);
const email = fc.tuple(localPart, domain).map(([l, d]) => `${l}@${d}`);
/** The same address with each letter's case chosen freely. */
const recased = (value: string, upper: readonly boolean[]) => [...value].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c.toLowerCase())).join('');

describe('email addresses in normal form (properties)', () => {
  it('PDS spec: email addresses are not case-sensitive, so any casing of an address (padded or not) compares equal', () => {
    fc.assert(fc.property(email, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.constantFrom('', ' ', '\t'), (address, upper, pad) => {
      assert.equal(normaliseEmail(`${pad}${recased(address, upper)}${pad}`), normaliseEmail(address));
    }), { numRuns: 500 });
  });

  it('changing any one character of an address (other than its case) gives an address that never compares equal', () => {
    fc.assert(fc.property(email, fc.nat(), fc.constantFrom(...'abcxyz0189._%+-@'), (address, at, replacement) => {
      const i = at % address.length;
      fc.pre(address[i]!.toLowerCase() !== replacement);
      const changed = `${address.slice(0, i)}${replacement}${address.slice(i + 1)}`;
      assert.notEqual(normaliseEmail(changed), normaliseEmail(address), `${address} / ${changed}`);
    }), { numRuns: 300 });
  });

  it('any text: normalising the normal form again changes nothing', () => {
    fc.assert(fc.property(anyText, (value) => {
      const normal = normaliseEmail(value);
      assert.equal(normaliseEmail(normal), normal);
    }), { numRuns: 500 });
  });
});
