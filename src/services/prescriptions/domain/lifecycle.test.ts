import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { STATUS_NAMES, initialState, transition, type LifecycleEvent, type PrescriptionState } from './lifecycle.js';

const pharmacy = fc.constantFrom('FA565', 'VNE51', 'FCG71');
const prescriber = fc.constantFrom('A83008', 'B81001');
const event: fc.Arbitrary<LifecycleEvent> = fc.oneof(
  pharmacy.map((dispenser) => ({ type: 'release' as const, dispenser })),
  pharmacy.map((dispenser) => ({ type: 'return' as const, dispenser })),
  fc.record({ dispenser: pharmacy, outcome: fc.constantFrom('partial' as const, 'complete' as const, 'none' as const), amendment: fc.boolean() })
    .map((e) => ({ type: 'dispense' as const, ...e })),
  pharmacy.map((dispenser) => ({ type: 'withdraw' as const, dispenser })),
  fc.record({ dispenser: pharmacy, amendment: fc.boolean() }).map((e) => ({ type: 'claim' as const, ...e })),
  prescriber.map((p) => ({ type: 'cancel' as const, prescriber: p })),
  fc.constant({ type: 'expire' as const }),
);

function run(events: LifecycleEvent[]): PrescriptionState {
  let state = initialState();
  for (const e of events) {
    const next = transition(state, e);
    if (next.ok) state = next.state;
  }
  return state;
}

const go = (events: LifecycleEvent[]) => run(events);

describe('prescription lifecycle', () => {
  it('runs the happy path: release, partial then complete dispense, claim', () => {
    const s = go([
      { type: 'release', dispenser: 'FA565' },
      { type: 'dispense', dispenser: 'FA565', outcome: 'partial' },
      { type: 'dispense', dispenser: 'FA565', outcome: 'complete' },
      { type: 'claim', dispenser: 'FA565' },
    ]);
    assert.deepEqual(s, { status: 'claimed', dispenser: 'FA565', dispenseNotifications: 2 });
  });

  it('refuses a second pharmacy with PRESCRIPTION_WITH_ANOTHER_DISPENSER, and dispensing before release as an invalid transition', () => {
    const released = go([{ type: 'release', dispenser: 'FA565' }]);
    assert.deepEqual(transition(released, { type: 'release', dispenser: 'VNE51' }),
      { ok: false, refusal: 'PRESCRIPTION_WITH_ANOTHER_DISPENSER', diagnostics: 'Prescription is with another dispenser' });
    assert.deepEqual(transition(initialState(), { type: 'dispense', dispenser: 'FA565', outcome: 'complete' }),
      { ok: false, refusal: 'PRESCRIPTION_INVALID_STATE_TRANSITION', diagnostics: 'Cannot dispense a prescription that is To be Dispensed' });
    assert.equal((transition(initialState(), { type: 'claim', dispenser: 'FA565' }) as { refusal: string }).refusal, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
  });

  it('answers each cancellation with its R-code: cancelled before release, marked once with the dispenser, refused after', () => {
    const code = (events: LifecycleEvent[], by = 'A83008') => {
      const t = transition(go(events), { type: 'cancel', prescriber: by });
      return t.ok ? t.cancellation : t.refusal;
    };
    const released: LifecycleEvent = { type: 'release', dispenser: 'FA565' };
    assert.equal(code([]), 'R-0001');
    assert.equal(code([released]), 'R-0002');
    assert.equal(code([released, { type: 'dispense', dispenser: 'FA565', outcome: 'partial' }]), 'R-0003');
    assert.equal(code([released, { type: 'dispense', dispenser: 'FA565', outcome: 'complete' }]), 'R-0004');
    assert.equal(code([{ type: 'expire' }]), 'R-0005');
    assert.equal(code([{ type: 'cancel', prescriber: 'A83008' }]), 'R-0006');
    assert.equal(code([released, { type: 'cancel', prescriber: 'A83008' }], 'B81001'), 'R-0007');
    assert.equal(code([released, { type: 'dispense', dispenser: 'FA565', outcome: 'none' }]), 'R-0010');
  });

  it('a return by the dispenser puts it back to be dispensed, or cancels it when a cancellation is pending', () => {
    assert.equal(go([{ type: 'release', dispenser: 'FA565' }, { type: 'return', dispenser: 'FA565' }]).status, 'to-be-dispensed');
    assert.equal(go([{ type: 'release', dispenser: 'FA565' }, { type: 'cancel', prescriber: 'A83008' }, { type: 'return', dispenser: 'FA565' }]).status, 'cancelled');
  });

  it('a withdrawal takes back the last dispense notification', () => {
    const released: LifecycleEvent = { type: 'release', dispenser: 'FA565' };
    assert.equal(go([released, { type: 'dispense', dispenser: 'FA565', outcome: 'complete' }, { type: 'withdraw', dispenser: 'FA565' }]).status, 'with-dispenser');
    assert.equal(go([released, { type: 'dispense', dispenser: 'FA565', outcome: 'partial' }, { type: 'dispense', dispenser: 'FA565', outcome: 'complete' },
      { type: 'withdraw', dispenser: 'FA565' }]).status, 'with-dispenser-active');
  });

  it('invariants under any sequence of events: terminal states stay put, only the holder acts, a refusal changes nothing', () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 30 }), (events) => {
      let state = initialState();
      for (const e of events) {
        const next = transition(state, e);
        assert.ok(STATUS_NAMES.includes(state.status));
        if (!next.ok) {
          assert.match(next.refusal, /^(PRESCRIPTION_WITH_ANOTHER_DISPENSER|PRESCRIPTION_INVALID_STATE_TRANSITION|R-00\d\d)$/);
          continue;
        }
        if (state.status === 'cancelled' || state.status === 'expired') assert.deepEqual(next.state, state);
        if (state.status === 'claimed') assert.equal(next.state.status, 'claimed');
        if ('dispenser' in e && state.dispenser !== undefined && state.status !== 'to-be-dispensed') assert.equal(e.dispenser, state.dispenser);
        if (next.state.status !== 'to-be-dispensed' && next.state.status !== 'cancelled' && next.state.status !== 'expired') {
          assert.ok(next.state.dispenser !== undefined || next.state.status === 'with-dispenser');
        }
        assert.ok(next.state.dispenseNotifications >= 0);
        state = next.state;
      }
    }), { numRuns: 500 });
  });

  it('exactly one of many pharmacies releasing in any order gets it', () => {
    fc.assert(fc.property(fc.array(pharmacy, { minLength: 2, maxLength: 10 }), (pharmacies) => {
      let state = initialState();
      const winners = new Set<string>();
      for (const p of pharmacies) {
        const t = transition(state, { type: 'release', dispenser: p });
        if (t.ok) { winners.add(p); state = t.state; } else assert.equal(t.refusal, 'PRESCRIPTION_WITH_ANOTHER_DISPENSER');
      }
      assert.deepEqual([...winners], [pharmacies[0]]);
    }));
  });
});
