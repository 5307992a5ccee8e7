import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { londonDate, londonMidnight, offsetFromIntl } from './london-time.js';

/** The hourly memo of London's offset against ICU read directly, at any instant from 1900 to 2200. */
describe('London time', () => {
  const instant = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true });
  const direct = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: 'numeric', day: 'numeric' });

  it('the date of any instant is the one ICU gives, clock changes included', () => {
    const near = (iso: string) => fc.integer({ min: -2 * 3_600_000, max: 2 * 3_600_000 }).map((ms) => new Date(Date.parse(iso) + ms));
    // The changes of 2026 (29 March, 25 October, 01:00 UTC) and of 1968–71 British Standard Time.
    const around = fc.oneof(instant, near('2026-03-29T01:00:00Z'), near('2026-10-25T01:00:00Z'), near('1968-02-18T02:00:00Z'), near('1971-10-31T02:00:00Z'));
    fc.assert(fc.property(around, (at) => {
      const [day, month, year] = direct.format(at).split('/').map(Number);
      assert.deepEqual(londonDate(at), { year, month, day }, at.toISOString());
    }), { numRuns: 5000 });
  });

  it('midnight is the first instant of its London day', () => {
    fc.assert(fc.property(instant, (at) => {
      const midnight = londonMidnight(londonDate(at));
      assert.ok(midnight.getTime() <= at.getTime());
      assert.deepEqual(londonDate(midnight), londonDate(at));
      assert.notDeepEqual(londonDate(new Date(midnight.getTime() - 1)), londonDate(at));
      assert.equal(offsetFromIntl(midnight) % 60_000, 0);
    }), { numRuns: 2000 });
  });
});
