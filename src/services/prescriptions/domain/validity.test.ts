import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { acuteValidUntil } from './validity.js';
import { addMonths, londonDate, londonMidnight, type CalendarDate } from './london-time.js';

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
