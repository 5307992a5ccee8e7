import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { acuteValidUntil, calendarDateOf, endOf, repeatValidUntil, validityPeriodProblem } from './validity.js';
import { addMonths, londonDate, londonEndOfDay, londonMidnight, type CalendarDate } from './london-time.js';

const DAY = 86_400_000;
const iso = (d: CalendarDate) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
const controlled = (code: string) => ({
  url: 'https://fhir.nhs.uk/StructureDefinition/Extension-DM-ControlledDrug',
  extension: [{ url: 'quantityWords', valueString: 'twenty eight' }, { url: 'schedule', valueCoding: { system: 'https://fhir.nhs.uk/CodeSystem/medicationrequest-controlled-drug', code } }],
});
const request = (options: { start?: string; end?: string; schedule?: string } = {}) => ({
  resourceType: 'MedicationRequest',
  ...(options.schedule ? { extension: [controlled(options.schedule)] } : {}),
  dispenseRequest: { validityPeriod: { ...(options.start ? { start: options.start } : {}), ...(options.end ? { end: options.end } : {}) } },
});
const day = fc.date({ min: new Date('2000-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }).map((d) => londonDate(d));

describe('acute prescription validity', () => {
  it('the spec\'s CD2 example: from 17 February 2022 to the end of 17 March (28 days); 6 months for anything else; the later of signing and start', () => {
    const signed = { year: 2022, month: 2, day: 17 };
    assert.equal(acuteValidUntil([request({ schedule: 'CD2' })], signed).toISOString(), '2022-03-17T23:59:59.999Z');
    assert.equal(acuteValidUntil([request()], signed).toISOString(), '2022-08-17T22:59:59.999Z', 'six months, summer time');
    assert.equal(acuteValidUntil([request({ schedule: 'CD5' })], signed).toISOString(), '2022-08-17T22:59:59.999Z', 'schedule 5: six months');
    assert.equal(acuteValidUntil([request({ start: '2022-03-01' })], signed).toISOString(), '2022-09-01T22:59:59.999Z', 'a later start date is the appropriate date');
    assert.equal(acuteValidUntil([request({ start: '2021-10-21' })], signed).toISOString(), '2022-08-17T22:59:59.999Z', 'an earlier start date is not');
    assert.equal(acuteValidUntil([request(), request({ schedule: 'CD3' })], signed).toISOString(), '2022-03-17T23:59:59.999Z', 'the earliest item\'s');
    assert.equal(acuteValidUntil([request({ end: '2022-03-01' })], signed).toISOString(), '2022-03-01T23:59:59.999Z', 'the prescriber\'s earlier end');
    assert.equal(acuteValidUntil([request({ end: '2029-03-01' })], signed).toISOString(), '2022-08-17T22:59:59.999Z', 'never past the law\'s');
    assert.deepEqual(addMonths({ year: 2023, month: 8, day: 31 }, 6), { year: 2024, month: 2, day: 29 }, 'to the last day of a shorter month');
  });

  it('any signing day and start: valid to the end of a London day, 28 days or 6 months after the later of the two', () => {
    fc.assert(fc.property(day, fc.option(day, { nil: undefined }), fc.constantFrom(undefined, 'CD1', 'CD2', 'CD3', 'CD4', 'CD5'), (signed, start, schedule) => {
      const until = acuteValidUntil([request({ ...(start ? { start: iso(start) } : {}), ...(schedule ? { schedule } : {}) })], signed);
      const appropriate = start && iso(start) > iso(signed) ? start : signed;
      const from = londonMidnight(appropriate).getTime();
      const next = londonMidnight(londonDate(new Date(until.getTime() + 1)));
      assert.equal(next.getTime(), until.getTime() + 1, 'to the end of a London day');
      const days = Math.round((until.getTime() + 1 - from) / DAY);
      if (schedule === 'CD2' || schedule === 'CD3' || schedule === 'CD4') assert.equal(days, 29, '28 days after, and the day itself');
      else assert.ok(days >= 182 && days <= 185, `six calendar months and the day itself: ${days}`);
      assert.ok(until.getTime() > from);
    }), { numRuns: 1000 });
  });
});

describe('validity periods as sent', () => {
  it('a date or dateTime whose day the calendar lacks is neither: no rolling 30 February into March, no year 0000', () => {
    for (const value of ['2027-02-30', '2027-02-30T23:59:59Z', '2027-02-29T00:00:00+00:00', '0000-01-01', '0000-01-01T00:00:00Z', '2026-13-01T00:00:00Z']) {
      assert.equal(calendarDateOf(value), undefined, value);
      assert.equal(endOf(value), undefined, value);
    }
    assert.deepEqual(calendarDateOf('2028-02-29T12:00:00Z'), { year: 2028, month: 2, day: 29 });
  });

  it('a period is refused exactly when a value is not a date or dateTime, or it ends before the day it starts', () => {
    fc.assert(fc.property(day, day, (start, end) => {
      const problem = validityPeriodProblem([request({ start: iso(start), end: iso(end) })]);
      const before = Date.UTC(end.year, end.month - 1, end.day) < Date.UTC(start.year, start.month - 1, start.day);
      assert.equal(problem !== undefined, before, `${iso(start)} to ${iso(end)}`);
    }), { numRuns: 2_000 });
    assert.match(validityPeriodProblem([request({ start: 'yesterday' })])!.diagnostics, /start 'yesterday' is not a whole date \(YYYY-MM-DD\)/);
    assert.equal(validityPeriodProblem([request({})]), undefined);
  });

  it('repeat dispensing runs to the prescriber\'s end or 12 months from the later of signing and start, whichever is first', () => {
    fc.assert(fc.property(day, fc.option(day), fc.option(day), (signed, start, end) => {
      const given = end === null ? undefined : londonEndOfDay(end);
      const until = repeatValidUntil([request({ ...(start ? { start: iso(start) } : {}) })], given, signed);
      const appropriate = start && Date.UTC(start.year, start.month - 1, start.day) > Date.UTC(signed.year, signed.month - 1, signed.day) ? start : signed;
      const limit = londonEndOfDay(addMonths(appropriate, 12));
      assert.equal(until.getTime(), Math.min(limit.getTime(), given?.getTime() ?? Infinity));
    }), { numRuns: 2_000 });
  });
});
