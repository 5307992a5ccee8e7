import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_LINE, nhsNumberLines, readNhsNumberLine, type NhsNumberLine } from '../../src/services/consent/bulk/nhs-number-lines.js';
import { checkConsentProfile, parseNdopDateTime } from '../../src/services/consent/domain/consent-profile.js';
import { isValidNhsNumber, nhsCheckDigit } from '../../src/platform/nhs-number.js';
import { validNhsNumber } from '../support/nhs-numbers.js';
import { parseKickoff } from '../../src/services/export/kickoff-params.js';
import { codingMatches, consentMatches, parseTokens } from '../../src/services/consent/domain/search-tokens.js';
import { isCalendarDate } from '../../src/platform/fhir/dates.js';

/** Properties of the consent service's parsers: the bulk check's line reader and the NDOP dateTime and profile checks. */


/** A line as a bulk-check file might hold it: valid numbers in their forms, near misses, junk, long lines. */
const line = fc.oneof(
  { weight: 6, arbitrary: validNhsNumber.map((n) => `${n},`) },
  { weight: 2, arbitrary: validNhsNumber.map((n) => n) },
  { weight: 1, arbitrary: validNhsNumber.map((n) => ` ${n} , `) },
  { weight: 1, arbitrary: validNhsNumber.map((n) => `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`) },
  { weight: 1, arbitrary: validNhsNumber.map((n) => n.slice(0, 9) + String((Number(n[9]) + 1) % 10)) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', ',') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, '')) },
  { weight: 1, arbitrary: fc.integer({ min: MAX_LINE - 2, max: MAX_LINE * 3 }).map((n) => '9'.repeat(n)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString('latin1').replace(/[\r\n]/g, '')) },
);

/** The same file read whole, line by line: what the streaming reader must agree with. */
function readWhole(file: Buffer): NhsNumberLine[] {
  let text = file.toString('latin1');
  if (text.startsWith('\u00ef\u00bb\u00bf')) text = text.slice(3);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.flatMap((raw, i) => {
    const bare = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const read = readNhsNumberLine(bare, i + 1, bare.length > MAX_LINE);
    return read ? [read] : [];
  });
}

/** `file` cut at the given offsets, as a network would deliver it. */
async function* pieces(file: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let start = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (file.length + 1)))].sort((a, b) => a - b)) {
    yield file.subarray(start, cut);
    start = cut;
  }
  yield file.subarray(start);
}

async function readStreaming(file: Buffer, cuts: number[], batchSize: number): Promise<NhsNumberLine[][]> {
  const batches: NhsNumberLine[][] = [];
  for await (const batch of nhsNumberLines(pieces(file, cuts), batchSize)) batches.push(batch);
  return batches;
}

describe('the bulk check\'s line reader', () => {
  it('reads a file the same however it is cut into pieces, LF or CRLF, with or without a byte order mark', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(line, { maxLength: 60 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean(),
      fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 20 }),
      async (lines, eol, bom, finalEol, cuts, batchSize) => {
        const text = lines.join(eol) + (finalEol && lines.length > 0 ? eol : '');
        const file = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'latin1')]);
        const batches = await readStreaming(file, cuts, batchSize);
        assert.ok(batches.every((b) => b.length > 0 && b.length <= batchSize));
        assert.deepEqual(batches.flat(), readWhole(file));
      }), { numRuns: 400 });
  });

  it('a line is a number exactly when it holds one valid NHS number (optionally with a comma); every other non-blank line is an error naming its line', async () => {
    await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), async (lines) => {
      const read = (await readStreaming(Buffer.from(lines.join('\n'), 'latin1'), [], 7)).flat();
      const expected = lines.flatMap((raw, i) => (raw.trim() === '' ? [] : [{ raw, lineNo: i + 1 }]));
      assert.deepEqual(read.map((l) => l.lineNo), expected.map((e) => e.lineNo));
      for (const [i, got] of read.entries()) {
        const value = expected[i]!.raw.trim().replace(/,$/, '').trim();
        if (got.nhsNumber !== undefined) {
          assert.equal(got.nhsNumber, value);
          assert.ok(isValidNhsNumber(got.nhsNumber));
          assert.equal(got.problem, undefined);
        } else {
          assert.ok(!isValidNhsNumber(value) || expected[i]!.raw.length > MAX_LINE, `${JSON.stringify(expected[i]!.raw)} should have been read as a number`);
          assert.ok(got.problem && got.problem.length > 0);
          assert.ok(got.text.length <= MAX_LINE && /^[\x20-\x7e]*$/.test(got.text));
        }
      }
    }), { numRuns: 300 });
  });

  it('holds at most one line of an endless line: a gigabyte without a newline would be one short error', async () => {
    async function* endless() { for (let i = 0; i < 2_000; i++) yield Buffer.alloc(64 * 1024, 0x39); }
    const read = [];
    for await (const batch of nhsNumberLines(endless())) read.push(...batch);
    assert.equal(read.length, 1);
    assert.equal(read[0]!.text.length, MAX_LINE);
    assert.match(read[0]!.problem!, /longer than/);
  });
});

describe('the NDOP dateTime', () => {
  it('needs a date, a time and a timezone; the instant is the one the text names', () => {
    fc.assert(fc.property(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }),
      fc.integer({ min: -12, max: 14 }), fc.boolean(), (date, offsetHours, seconds) => {
        const shifted = new Date(date.getTime() + offsetHours * 3_600_000);
        const iso = shifted.toISOString();
        const sign = offsetHours < 0 ? '-' : '+';
        const zone = `${sign}${String(Math.abs(offsetHours)).padStart(2, '0')}:00`;
        const text = `${iso.slice(0, 10)}T${iso.slice(11, seconds ? 19 : 16)}${zone}`;
        const parsed = parseNdopDateTime(text);
        assert.ok(parsed, text);
        const expected = Math.floor(date.getTime() / (seconds ? 1000 : 60_000)) * (seconds ? 1000 : 60_000);
        assert.equal(parsed.getTime(), expected, text);
        assert.equal(parseNdopDateTime(text.slice(0, 10)), undefined);
        assert.equal(parseNdopDateTime(text.slice(0, seconds ? 19 : 16)), undefined);
      }), { numRuns: 500 });
  });

  it('refuses impossible dates and times (24:00, 30 February, slashes, a timezone past ±14:00) and never throws on any text', () => {
    for (const bad of ['1987-01-23T24:00:00+00:00', '2019-02-30T10:00:00Z', '1987/01/23T21:33:00+00:00', '2017-13-01T00:00:00Z']) assert.equal(parseNdopDateTime(bad), undefined, bad);
    fc.assert(fc.property(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.constantFrom('+', '-'), (hours, minutes, sign) => {
      const zone = `${sign}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
      const within = hours < 14 || (hours === 14 && minutes === 0);
      assert.equal(parseNdopDateTime(`2017-12-14T11:15:33${zone}`) !== undefined, within, zone);
    }));
    fc.assert(fc.property(fc.string(), (text) => { parseNdopDateTime(text); }));
  });
});

describe('the NDOP-Consent-1 profile check', () => {
  it('never throws: any Consent-shaped value is an opt-out or one problem', () => {
    const anyValue = fc.anything({ maxDepth: 3 });
    fc.assert(fc.property(fc.record({
      extension: fc.oneof(anyValue, fc.constant([{ url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-NDOP-OptOutSource-1', valueCodeableConcept: { coding: [{ system: 'https://fhir.nhs.uk/STU3/CodeSystem/NDOP-OptOutSource-1', code: 'OP' }] } }])),
      status: fc.oneof(fc.constantFrom('active', 'inactive'), fc.string()),
      patient: fc.oneof(validNhsNumber.map((n) => ({ reference: `https://demographics.spineservices.nhs.uk/STU3/Patient/${n}` })), fc.record({ reference: fc.string() })),
      dateTime: fc.oneof(fc.constant('2017-12-14T11:15:33+00:00'), fc.string()),
      consentingParty: fc.oneof(fc.constant(undefined), fc.array(fc.record({ reference: fc.string() }), { maxLength: 2 })),
      policy: fc.array(fc.record({ uri: fc.string() }), { maxLength: 2 }),
      purpose: fc.oneof(fc.constant([{ system: 'http://snomed.info/sct', code: '370856009' }]), fc.array(fc.record({ system: fc.string(), code: fc.string() }), { maxLength: 2 })),
      organization: fc.array(fc.record({ reference: fc.string() }), { maxLength: 2 }),
    }, { requiredKeys: [] }), (body) => {
      const result = checkConsentProfile({ resourceType: 'Consent', ...body } as never);
      if (result.ok) {
        assert.ok(isValidNhsNumber(result.value.nhsNumber));
        assert.ok(['active', 'inactive'].includes(result.value.status));
      } else {
        assert.ok(result.problem.length > 0);
      }
    }), { numRuns: 500 });
  });
});

describe('the NDOP-Consent-1 consentingParty and organization', () => {
  it('takes a consentingParty only as a PDS patient reference, and the organization only as X26 (NHS Digital)', () => {
    const patientReference = validNhsNumber.map((n) => `https://demographics.spineservices.nhs.uk/STU3/Patient/${n}`);
    const X26 = 'https://directory.spineservices.nhs.uk/STU3/Organization/X26';
    fc.assert(fc.property(fc.oneof(patientReference, fc.string({ minLength: 1 }), patientReference.map((r) => `${r.slice(0, -7)}-${r.slice(-7)}`)),
      fc.oneof(fc.constant(X26), fc.string({ minLength: 1 }), fc.constantFrom(`${X26.slice(0, -3)}E123123`, `${X26}/`, X26.toLowerCase())), validNhsNumber,
      (party, organization, nhsNumber) => {
        const body = {
          resourceType: 'Consent', status: 'active', dateTime: '2017-12-14T11:15:33+00:00',
          extension: [{ url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-NDOP-OptOutSource-1', valueCodeableConcept: { coding: [{ system: 'https://fhir.nhs.uk/STU3/CodeSystem/NDOP-OptOutSource-1', code: 'OP' }] } }],
          patient: { reference: `https://demographics.spineservices.nhs.uk/STU3/Patient/${nhsNumber}` }, consentingParty: [{ reference: party }],
          organization: [{ reference: organization }], policy: [{ uri: 'https://www.gov.uk/' }], purpose: [{ system: 'http://snomed.info/sct', code: '370856009' }],
        };
        const partyValid = /^https:\/\/demographics\.spineservices\.nhs\.uk\/STU3\/Patient\/\d{10}$/.test(party) && isValidNhsNumber(party.slice(-10));
        const result = checkConsentProfile(body as never);
        assert.equal(result.ok, partyValid && organization === X26, `${party} ${organization}: ${result.ok ? 'ok' : result.problem}`);
      }), { numRuns: 500 });
  });
});

describe('the export kick-off\'s _since', () => {
  const day = fc.record({ year: fc.integer({ min: 0, max: 2025 }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 31 }) });
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  it('is taken exactly when its date is a day that exists (year 0001 on), and names that instant', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    fc.assert(fc.property(day, ({ year, month, day: d }) => {
      const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(d, 2)}`;
      const parsed = parseKickoff({ _since: `${date}T12:00:00Z` }, now);
      assert.equal(parsed.ok, isCalendarDate(date), date);
      if (parsed.ok) assert.equal(parsed.value.since!.toISOString(), `${date}T12:00:00.000Z`);
      else assert.equal(parsed.parameter, '_since');
    }), { numRuns: 2000 });
  });
});

describe('the Consent search\'s token parameters (purpose, category)', () => {
  // A system or code as a client writes one: no bar or comma, which separate them.
  const part = fc.string({ minLength: 1, maxLength: 12 }).filter((t) => !t.includes('|') && !t.includes(','));
  const coding = fc.record({ system: fc.option(part, { nil: undefined }), code: part }, { requiredKeys: ['code'] });

  it('reads code, system|code, |code and system| as FHIR does, and refuses an empty alternative or a second bar', () => {
    fc.assert(fc.property(part, part, (system, code) => {
      assert.deepEqual(parseTokens(code), [{ code }]);
      assert.deepEqual(parseTokens(`${system}|${code}`), [{ system, code }]);
      assert.deepEqual(parseTokens(`|${code}`), [{ system: '', code }]);
      assert.deepEqual(parseTokens(`${system}|`), [{ system }]);
      assert.deepEqual(parseTokens(`${system}|${code},${code}`), [{ system, code }, { code }]);
      for (const bad of ['', '|', `${system}|${code}|`, `${code},`, `,${code}`, `${code},,${code}`]) assert.equal(parseTokens(bad), undefined, bad);
    }));
  });

  it('any value: no token has a bar or comma in it, and every token names a system or a code', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30, unit: fc.constantFrom('a', '|', ',', ' ', 'é') }), (value) => {
      const tokens = parseTokens(value);
      if (tokens === undefined) return;
      for (const token of tokens) {
        assert.ok(token.system !== undefined || token.code !== undefined, value);
        for (const field of [token.system, token.code]) assert.ok(field === undefined || !/[|,]/.test(field), value);
      }
    }));
  });

  it('a coding matches its code, its system|code and its system|; |code only without a system; the SNOMED URLs are one system', () => {
    fc.assert(fc.property(coding, part, (c, other) => {
      const [token] = parseTokens(c.code)!;
      assert.ok(codingMatches(c, token!));
      assert.equal(codingMatches(c, parseTokens(`|${c.code}`)![0]!), c.system === undefined);
      if (c.system !== undefined) {
        assert.ok(codingMatches(c, parseTokens(`${c.system}|${c.code}`)![0]!));
        assert.ok(codingMatches(c, parseTokens(`${c.system}|`)![0]!));
        if (other !== c.system) assert.ok(!codingMatches(c, parseTokens(`${other}|${c.code}`)![0]!));
      }
      if (other !== c.code) assert.ok(!codingMatches(c, parseTokens(other)![0]!));
    }));
    assert.ok(codingMatches({ system: 'https://snomed.info/sct', code: '370856009' }, { system: 'http://snomed.info/sct', code: '370856009' }));
  });

  it('a Consent matches when one of its codings matches one alternative of every parameter given, whatever its shape', () => {
    fc.assert(fc.property(fc.array(coding, { maxLength: 3 }), fc.array(fc.array(coding, { maxLength: 2 }), { maxLength: 2 }), part, (purpose, categories, code) => {
      const consent = { purpose, category: categories.map((codings) => ({ coding: codings })) };
      const tokens = parseTokens(code)!;
      assert.equal(consentMatches(consent, { purpose: tokens }), purpose.some((c) => c.code === code));
      assert.equal(consentMatches(consent, { category: tokens }), categories.flat().some((c) => c.code === code));
      assert.ok(consentMatches(consent, {}));
    }));
    for (const shape of [null, 'x', 7, [], { purpose: 'x' }, { purpose: [null, 1] }, { category: [{ coding: 'x' }] }]) {
      assert.equal(consentMatches(shape, { purpose: [{ code: 'x' }] }), false);
    }
  });
});
