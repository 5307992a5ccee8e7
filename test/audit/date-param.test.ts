import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DATE_PREFIXES, parseDateParam, parseDateValue, recordedBounds, satisfiesBounds, type DatePrefix,
} from '../../src/services/audit/date-param.js';
import { parseAuditEventQuery } from '../../src/services/audit/search-params.js';
import { SpineError } from '../../src/platform/http/errors.js';

const instant = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
const precision = fc.constantFrom('year', 'month', 'day', 'minute', 'second', 'millis');
const offsetMinutes = fc.integer({ min: -14 * 60, max: 14 * 60 });

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `at` written at a precision, in a zone `offset` minutes from UTC (times only), and the interval it must mean. */
function formatAt(at: Date, level: string, offset: number): { text: string; start: number; end: number } {
  const local = new Date(at.getTime() + (level === 'year' || level === 'month' || level === 'day' ? 0 : offset * 60_000));
  const y = pad(local.getUTCFullYear(), 4);
  const mo = pad(local.getUTCMonth() + 1);
  const d = pad(local.getUTCDate());
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  const time = `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
  const startOf = (...parts: number[]) => {
    const date = new Date(0);
    date.setUTCFullYear(parts[0]!, parts[1] ?? 0, parts[2] ?? 1);
    date.setUTCHours(parts[3] ?? 0, parts[4] ?? 0, parts[5] ?? 0, parts[6] ?? 0);
    return date.getTime();
  };
  const Y = local.getUTCFullYear(); const M = local.getUTCMonth(); const D = local.getUTCDate();
  switch (level) {
    case 'year': return { text: y, start: startOf(Y), end: startOf(Y + 1) };
    case 'month': return { text: `${y}-${mo}`, start: startOf(Y, M), end: startOf(Y, M + 1) };
    case 'day': return { text: `${y}-${mo}-${d}`, start: startOf(Y, M, D), end: startOf(Y, M, D + 1) };
    case 'minute': {
      const start = startOf(Y, M, D, local.getUTCHours(), local.getUTCMinutes()) - offset * 60_000;
      return { text: `${y}-${mo}-${d}${time}${zone}`, start, end: start + 60_000 };
    }
    case 'second': {
      const start = startOf(Y, M, D, local.getUTCHours(), local.getUTCMinutes(), local.getUTCSeconds()) - offset * 60_000;
      return { text: `${y}-${mo}-${d}${time}:${pad(local.getUTCSeconds())}${zone}`, start, end: start + 1_000 };
    }
    default: {
      const start = at.getTime();
      return { text: `${y}-${mo}-${d}${time}:${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}${zone}`, start, end: start + 1 };
    }
  }
}

describe('FHIR date search parameter', () => {
  it('a date or dateTime at any precision and zone covers exactly the interval it names, which holds the instant', () => {
    fc.assert(fc.property(instant, precision, offsetMinutes, (at, level, offset) => {
      const expected = formatAt(at, level, offset);
      // An instant at the very edge, shifted by a zone, can fall outside years 0001-9999: not writable.
      fc.pre(/^(?!0000)\d{4}(?!\d)/.test(expected.text));
      const parsed = parseDateValue(expected.text);
      assert.ok(parsed, expected.text);
      assert.deepEqual([parsed.start.getTime(), parsed.end.getTime()], [expected.start, expected.end], expected.text);
      assert.ok(parsed.start.getTime() <= at.getTime() && at.getTime() < parsed.end.getTime());
    }));
  });

  it('any text either parses to a non-empty interval or is refused, never throws', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[a-z]{0,2}\d{4}(-\d\d(-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)?)?)?)?$/)), (text) => {
      const parsed = parseDateParam(text);
      if (parsed) assert.ok(parsed.start.getTime() < parsed.end.getTime(), text);
    }));
  });

  it('impossible calendar dates and times are refused', () => {
    for (const text of ['2021-02-29', '2020-02-30', '2020-13', '2020-00', '2020-04-31', '0000', '2020-01-01T24:00Z',
      '2020-01-01T10:60Z', '2020-01-01T10:00:60Z', '2020-01-01T10:00', '2020-01-01T10:00+15:00', '20200101', 'ap2020', 'ge']) {
      assert.equal(parseDateParam(text), undefined, text);
    }
    assert.ok(parseDateParam('2020-02-29'));
  });

  it('a zone is accepted exactly within FHIR\'s range, -14:00 to +14:00', () => {
    // Found by probing: +14:01 to +14:59 were taken, though FHIR's dateTime pattern stops at 14:00.
    fc.assert(fc.property(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), (sign, hours, minutes) => {
      const text = `2020-06-15T12:00${sign}${pad(hours)}:${pad(minutes)}`;
      assert.equal(parseDateValue(text) !== undefined, hours < 14 || (hours === 14 && minutes === 0), text);
    }));
  });

  it('the prefixes relate as FHIR says: eq/ne split every instant, ge = eq or gt, le = eq or lt', () => {
    const bounds = (prefix: DatePrefix, text: string) => recordedBounds(parseDateParam(`${prefix}${text}`)!);
    fc.assert(fc.property(instant, precision, instant, (at, level, probe) => {
      const { text } = formatAt(at, level, 0);
      const holds = (prefix: DatePrefix) => satisfiesBounds(probe, bounds(prefix, text));
      assert.notEqual(holds('eq'), holds('ne'));
      assert.equal(holds('ge'), holds('eq') || holds('gt'));
      assert.equal(holds('le'), holds('eq') || holds('lt'));
      assert.equal(holds('sa'), holds('gt'));
      assert.equal(holds('eb'), holds('lt'));
      assert.ok(!(holds('gt') && holds('lt')));
      // No prefix means eq.
      assert.equal(satisfiesBounds(probe, recordedBounds(parseDateParam(text)!)), holds('eq'));
    }));
    assert.equal(DATE_PREFIXES.length, 8);
  });

  it('the AuditEvent query parser accepts every well-formed query and refuses the rest with a SpineError', () => {
    const value = fc.oneof(fc.string({ maxLength: 12 }), fc.constant('9000000009'), fc.constant('ge2020-01-01'), fc.constant('10'));
    const query = fc.dictionary(fc.oneof(fc.constantFrom('patient', 'agent', 'date', '_count', '_before'), fc.string({ maxLength: 6 })),
      fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 3 })));
    fc.assert(fc.property(query, (raw) => {
      try {
        const parsed = parseAuditEventQuery(raw);
        assert.ok(parsed.nhsNumber !== undefined || parsed.agent !== undefined || parsed.recorded.length > 0);
        assert.ok(parsed.count >= 1 && parsed.count <= 1000);
      } catch (err) {
        assert.ok(err instanceof SpineError, String(err));
        assert.equal(err.spec.status, 400);
      }
    }));
  });
});
