import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkedId, type Read } from './dispensing-messages.js';

// A dispensing message's short-form prescription id (API-NOTES §4): `XXXXXX-XXXXXX-XXXXXC`, six
// hex digits, the prescriber's ODS code zero-padded to six, five hex digits and a check character
// of ISO 7064 MOD 37-2 over alphabet `0-9A-Z+`. The spec's own test of validity: with t computed
// over the first 17 characters as t = ((t + base36(c)) * 2) % 37, the id is valid iff (t + index(C)) % 37 == 1.

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+';
const runningTotal = (body: string) => [...body.replace(/-/g, '')].reduce((t, c) => ((t + ALPHABET.indexOf(c)) * 2) % 37, 0);
const checkOf = (body: string) => [...ALPHABET].find((c) => (runningTotal(body) + ALPHABET.indexOf(c)) % 37 === 1)!;

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9A-F]{${n}}$`));
const body = fc.tuple(hex(6), fc.stringMatching(/^[0-9A-Z]{1,6}$/), hex(5)).map(([a, ods, b]) => `${a}-${ods.padStart(6, '0')}-${b}`);
const validId = body.map((b) => `${b}${checkOf(b)}`);

const EXPRESSION = 'Parameters.parameter("group-identifier").valueIdentifier.value';
/** What `checkedId` answered, and whether it went on to read the message with the id. */
function read(id: unknown): { result: Read<string>; passedOn: string | undefined } {
  let passedOn: string | undefined;
  const result = checkedId<string>(id, (checked) => {
    passedOn = checked;
    return { ok: true, value: checked };
  }, EXPRESSION);
  return { result, passedOn };
}

describe('a dispensing message\'s short-form prescription id (properties)', () => {
  it('the spec example and every id built as the spec describes are taken, and passed on unchanged', () => {
    assert.equal(read('24F5DA-A83008-7EFE6Z').passedOn, '24F5DA-A83008-7EFE6Z');
    fc.assert(fc.property(validId, (id) => {
      assert.deepEqual(read(id), { result: { ok: true, value: id }, passedOn: id });
    }), { numRuns: 500 });
  });

  it('an id of the right shape with any other check character is refused as "prescriptionID has invalid checksum"', () => {
    fc.assert(fc.property(body, fc.constantFrom(...ALPHABET), (b, c) => {
      fc.pre(c !== checkOf(b));
      const { result, passedOn } = read(`${b}${c}`);
      assert.equal(passedOn, undefined);
      assert.deepEqual(result, { ok: false, diagnostics: 'prescriptionID has invalid checksum', expression: EXPRESSION, code: 'checksum' });
    }), { numRuns: 500 });
  });

  it('one character of a valid id changed, added or dropped is refused, never passed on', () => {
    fc.assert(fc.property(validId, fc.nat(), fc.constantFrom(...ALPHABET, '-', 'a', 'f', ' ', '_'), fc.constantFrom('change', 'add', 'drop'), (id, at, c, how) => {
      const i = at % (id.length + (how === 'add' ? 1 : 0));
      const changed = `${id.slice(0, i)}${how === 'drop' ? '' : c}${id.slice(how === 'add' ? i : i + 1)}`;
      fc.pre(changed !== id);
      const { result, passedOn } = read(changed);
      assert.equal(passedOn, undefined, changed);
      assert.equal(result.ok, false);
      if (!result.ok) assert.ok(['checksum', 'invalid'].includes(result.code!), `${changed}: ${result.code}`);
    }), { numRuns: 1000 });
  });

  it('anything that is not a string is a missing id; any string is taken or refused naming the field, never a throw', () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue().filter((v) => typeof v !== 'string'), fc.constant(undefined)), (value) => {
      assert.deepEqual(read(value).result, { ok: false, diagnostics: 'The prescription id (short form) is missing.', expression: EXPRESSION, code: 'missing' });
    }), { numRuns: 200 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (value) => {
      const { result } = read(value);
      if (!result.ok) assert.equal(result.expression, EXPRESSION);
    }), { numRuns: 500 });
  });
});
