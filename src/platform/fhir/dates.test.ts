import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isCalendarDate } from './dates.js';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

test('isCalendarDate takes every real day of years 1–9999 and agrees with a reference calendar', () => {
  const daysIn = (year: number, month: number) => {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  };
  fc.assert(fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), (year, month, day) => {
    const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
    const real = year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
    assert.equal(isCalendarDate(text), real, text);
  }), { numRuns: 20_000 });
});

test('isCalendarDate refuses year 0000, other shapes and anything around a date', () => {
  for (const text of ['0000-01-01', '0000-02-29', '2024-02-30', '2023-02-29', '12024-01-01', '2024-1-01', '2024-01-01T00:00:00Z', ' 2024-01-01', '2024-01-01\n', '']) {
    assert.equal(isCalendarDate(text), false, text);
  }
  for (const text of ['0001-01-01', '0004-02-29', '2000-02-29', '9999-12-31', '0099-12-31']) assert.equal(isCalendarDate(text), true, text);
});

test('isCalendarDate never throws, whatever the text', () => {
  fc.assert(fc.property(fc.string({ maxLength: 20 }), (text) => { isCalendarDate(text); }));
});
