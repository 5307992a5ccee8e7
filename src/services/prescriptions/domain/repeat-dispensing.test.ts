import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readRepeatDispensing } from './prescription-message.js';

const requestsWith = (dispenseRequest: unknown, count = 2) => Array.from({ length: count }, () => ({ resourceType: 'MedicationRequest', dispenseRequest }));

describe('repeat-dispensing order reader', () => {
  it('issues are numberOfRepeatsAllowed + 1; a date validity end runs to the end of that day (London), a dateTime to itself', () => {
    assert.deepEqual(readRepeatDispensing(requestsWith({ numberOfRepeatsAllowed: 5, validityPeriod: { start: '2022-10-21', end: '2022-11-21T23:59:59Z' } })),
      { ok: true, repeat: { issues: 6, validUntil: new Date('2022-11-21T23:59:59Z') } });
    assert.deepEqual(readRepeatDispensing(requestsWith({ numberOfRepeatsAllowed: 0, validityPeriod: { end: '2023-04-07' } })),
      { ok: true, repeat: { issues: 1, validUntil: new Date('2023-04-07T22:59:59.999Z') } }, 'summer time');
    assert.deepEqual(readRepeatDispensing(requestsWith({ numberOfRepeatsAllowed: 0, validityPeriod: { end: '2023-01-07' } })),
      { ok: true, repeat: { issues: 1, validUntil: new Date('2023-01-07T23:59:59.999Z') } }, 'winter');
    assert.deepEqual(readRepeatDispensing(requestsWith({ numberOfRepeatsAllowed: 2 })), { ok: true, repeat: { issues: 3 } });
    const missing = readRepeatDispensing(requestsWith({}));
    assert.equal(!missing.ok && missing.problem.kind, 'missing-value');
  });

  it('any whole count from 0 to 99 and any instant read back exactly', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 99 }), fc.date({ min: new Date('2000-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }), (n, end) => {
      const read = readRepeatDispensing(requestsWith({ numberOfRepeatsAllowed: n, validityPeriod: { end: end.toISOString() } }, 3));
      assert.deepEqual(read, { ok: true, repeat: { issues: n + 1, validUntil: end } });
    }));
  });

  it('anything else is refused with a coded problem, never thrown, never a NaN or negative count', () => {
    const bad = fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 100 }), fc.double().filter((d) => !Number.isInteger(d)), fc.string(), fc.boolean(), fc.constant(null),
      fc.array(fc.integer()), fc.object());
    fc.assert(fc.property(bad, (n) => {
      const read = readRepeatDispensing(requestsWith({ numberOfRepeatsAllowed: n }));
      assert.equal(read.ok, false, JSON.stringify(n));
    }));
    fc.assert(fc.property(fc.anything(), fc.anything(), (n, end) => {
      const read = readRepeatDispensing(requestsWith({ numberOfRepeatsAllowed: n, validityPeriod: { end } }));
      if (read.ok) {
        assert.ok(Number.isInteger(read.repeat.issues) && read.repeat.issues >= 1 && read.repeat.issues <= 100);
        assert.ok(read.repeat.validUntil === undefined || !Number.isNaN(read.repeat.validUntil.getTime()));
      } else {
        assert.match(read.problem.kind, /^(missing-value|verification)$/);
      }
    }), { numRuns: 500 });
    const disagree = readRepeatDispensing([{ dispenseRequest: { numberOfRepeatsAllowed: 1 } }, { dispenseRequest: { numberOfRepeatsAllowed: 2 } }]);
    assert.equal(disagree.ok, false, 'the items must agree on the issues');
    const badEnd = readRepeatDispensing(requestsWith({ numberOfRepeatsAllowed: 1, validityPeriod: { end: '2022-13-45' } }));
    assert.equal(badEnd.ok, false);
  });
});
