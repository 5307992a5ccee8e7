import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { claimAmendableUntil } from './claim-period.js';
import { londonDate, londonEndOfDay, londonMidnight } from './london-time.js';

/**
 * The UK's clock rule since 1996, written out independently of Intl: summer time (UTC+1) from
 * 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
 */
const lastSundayAt1Utc = (year: number, month: number) => {
  const last = new Date(Date.UTC(year, month + 1, 0, 1));
  return last.getTime() - last.getUTCDay() * 86_400_000;
};
const offsetMs = (t: number) => {
  const year = new Date(t).getUTCFullYear();
  return t >= lastSundayAt1Utc(year, 2) && t < lastSundayAt1Utc(year, 9) ? 3_600_000 : 0;
};
/** London's wall clock at `t`, as a Date read through its UTC fields. */
const wall = (t: number) => new Date(t + offsetMs(t));

const HOUR = 3_600_000;
/** Instants from 1997 to 2099, most of them within two hours of a clock change or of a London or UTC month boundary. */
const instant = fc.oneof(
  fc.integer({ min: Date.UTC(1997, 0, 1), max: Date.UTC(2099, 11, 1) }),
  fc.tuple(fc.integer({ min: 1997, max: 2099 }), fc.integer({ min: 0, max: 11 }), fc.constantFrom('clock-change', 'utc-month', 'london-month'), fc.integer({ min: -2 * HOUR, max: 2 * HOUR }))
    .map(([year, month, kind, delta]) => (kind === 'clock-change' ? lastSundayAt1Utc(year, month < 6 ? 2 : 9)
      : kind === 'utc-month' ? Date.UTC(year, month, 1) : Date.UTC(year, month, 1) - HOUR) + delta),
).map((t) => new Date(t));

describe('London calendar days', () => {
  it('londonDate and londonMidnight agree with the UK clock rule around every boundary', () => {
    fc.assert(fc.property(instant, (at) => {
      const local = wall(at.getTime());
      assert.deepEqual(londonDate(at), { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() });
      const midnight = londonMidnight(londonDate(at));
      assert.ok(midnight <= at && at.getTime() - midnight.getTime() < 25 * HOUR, 'the day it falls in began at its midnight');
      const m = wall(midnight.getTime());
      assert.deepEqual([m.getUTCHours(), m.getUTCMinutes(), m.getUTCSeconds(), m.getUTCMilliseconds()], [0, 0, 0, 0], 'London midnight');
      assert.deepEqual(londonDate(new Date(midnight.getTime() - 1)), londonDate(new Date(midnight.getTime() - HOUR)), 'the instant before is the day before');
    }), { numRuns: 2000 });
  });

  it('a claim may be amended to the end of day N (London) of the month after its London month, whatever the season', () => {
    fc.assert(fc.property(instant, fc.integer({ min: 1, max: 28 }), (claimedAt, day) => {
      const until = claimAmendableUntil(claimedAt, day);
      const claimed = wall(claimedAt.getTime());
      const last = wall(until.getTime());
      const next = new Date(Date.UTC(claimed.getUTCFullYear(), claimed.getUTCMonth() + 1, day, 23, 59, 59, 999));
      assert.equal(last.toISOString(), next.toISOString(), `claimed ${claimedAt.toISOString()}: until ${until.toISOString()}`);
      const after = wall(until.getTime() + 1);
      assert.equal(after.toISOString(), new Date(Date.UTC(claimed.getUTCFullYear(), claimed.getUTCMonth() + 1, day + 1)).toISOString(), 'the next instant is the next day\'s London midnight');
    }), { numRuns: 2000 });
  });

  it('the examples: a claim at 23:30 UTC on 31 May is a June claim (BST); 5 July ends at 22:59:59.999 UTC, 5 January at 23:59:59.999 UTC', () => {
    assert.equal(claimAmendableUntil(new Date('2026-05-31T23:30:00Z')).toISOString(), '2026-07-05T22:59:59.999Z');
    assert.equal(claimAmendableUntil(new Date('2026-05-31T22:30:00Z')).toISOString(), '2026-06-05T22:59:59.999Z');
    assert.equal(claimAmendableUntil(new Date('2026-12-31T23:30:00Z')).toISOString(), '2027-01-05T23:59:59.999Z');
    assert.equal(londonEndOfDay({ year: 2026, month: 3, day: 29 }).toISOString(), '2026-03-29T22:59:59.999Z', 'the spring-forward day is 23 hours');
    assert.equal(londonEndOfDay({ year: 2026, month: 10, day: 25 }).toISOString(), '2026-10-25T23:59:59.999Z', 'the fall-back day is 25 hours');
  });
});
