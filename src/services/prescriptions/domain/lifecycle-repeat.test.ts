import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initialState, nextIssueAvailableFrom, transition, type ItemStatus, type LifecycleEvent, type PrescriptionState } from './lifecycle.js';
import { londonDate } from './london-time.js';
import { ITEMS, claimEvent, event, pharmacy } from './lifecycle.test-support.js';

describe('prescription lifecycle: repeat dispensing', () => {
  const dispensed: LifecycleEvent = { type: 'dispense', dispenser: 'FA565', outcome: 'complete' };
  const released: LifecycleEvent = { type: 'release', dispenser: 'FA565' };
  it('the next issue may be released from 7 days before the last one\'s supply runs out (London midnight), not before', () => {
    fc.assert(fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }), fc.integer({ min: 1, max: 366 }), (doneAt, supplyDays) => {
      const issued = transition(initialState(ITEMS, 3, supplyDays), released);
      assert.ok(issued.ok);
      const next = transition(issued.state, { ...dispensed, at: doneAt } as LifecycleEvent);
      assert.ok(next.ok);
      assert.equal(next.state.repeat?.issue, 2);
      const from = new Date(next.state.repeat!.availableFrom!);
      assert.equal(from.toISOString(), nextIssueAvailableFrom(doneAt, supplyDays).toISOString());
      const day = londonDate(doneAt);
      assert.deepEqual(londonDate(from), londonDate(new Date(Date.UTC(day.year, day.month - 1, day.day + supplyDays - 7, 12))), 'supply less 7 days after the day it was dispensed');
      assert.deepEqual(londonDate(new Date(from.getTime() - 1)), londonDate(new Date(from.getTime() - 3_600_000)), 'from the London midnight');
      const early = transition(next.state, { ...released, at: new Date(from.getTime() - 1) } as LifecycleEvent);
      assert.equal(early.ok, false);
      assert.match((early as { diagnostics: string }).diagnostics, /^Issue 2 of this prescription may be released from /);
      assert.ok(transition(next.state, { ...released, at: from } as LifecycleEvent).ok);
      // Without a time (sandbox mode) there is no window.
      assert.ok(transition(next.state, released).ok);
    }), { numRuns: 500 });
  });

  const runFrom = (state: PrescriptionState, events: LifecycleEvent[]) => {
    for (const e of events) { const next = transition(state, e); if (next.ok) state = next.state; }
    return state;
  };

  it('an earlier issue\'s claim may not say an item the prescriber cancelled before that issue was dispensed was supplied, as the current issue\'s may not', () => {
    const cancelled = transition(initialState(ITEMS, 3), { type: 'cancel', prescriber: 'A83008', item: 'item-1' });
    assert.ok(cancelled.ok);
    const first = transition(runFrom(cancelled.state, [released]), { ...dispensed, items: { 'item-1': 'cancelled', 'item-2': 'fully-dispensed', 'item-3': 'fully-dispensed' } } as LifecycleEvent);
    assert.ok(first.ok);
    assert.equal(first.state.repeat?.issue, 2);
    assert.deepEqual(first.state.repeat?.earlier, [{ issue: 1, status: 'dispensed', dispenser: 'FA565', closed: { 'item-1': 'cancelled' },
      items: { 'item-1': 'cancelled', 'item-2': 'fully-dispensed', 'item-3': 'fully-dispensed' } }]);
    const claim = (type: ItemStatus) => transition(first.state, { ...claimEvent('FA565'), issue: 1, itemTypes: { 'item-1': [type], 'item-2': ['fully-dispensed'] } });
    assert.deepEqual(claim('fully-dispensed'), { ok: false, refusal: 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION', diagnostics: "Item item-1 is 'Item cancelled' and cannot be claimed as 'Item fully dispensed'.", expression: 'Claim.item.detail.modifier' });
    assert.equal(claim('cancelled').ok, true);
    // An item the dispenser itself reported cancelled in that issue was not closed before it, but was not supplied either:
    // its claim may not say it was (it could, before an issue kept its items).
    const own = transition(runFrom(initialState(ITEMS, 3), [released]), { ...dispensed, items: { 'item-1': 'cancelled', 'item-2': 'fully-dispensed', 'item-3': 'fully-dispensed' } } as LifecycleEvent);
    assert.ok(own.ok);
    assert.deepEqual(own.state.repeat?.earlier, [{ issue: 1, status: 'dispensed', dispenser: 'FA565', items: { 'item-1': 'cancelled', 'item-2': 'fully-dispensed', 'item-3': 'fully-dispensed' } }]);
    assert.equal((transition(own.state, { ...claimEvent('FA565'), issue: 1, itemTypes: { 'item-1': ['fully-dispensed'] } }) as { refusal: string }).refusal, 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION');
    assert.equal(transition(own.state, { ...claimEvent('FA565'), issue: 1, itemTypes: { 'item-1': ['cancelled'] } }).ok, true);
  });

  it('the next issue keeps the items the prescriber cancelled, and only those: an item the dispenser reported cancelled (0005) is to be dispensed again', () => {
    const subset = fc.subarray(ITEMS);
    fc.assert(fc.property(subset, subset, fc.dictionary(fc.constantFrom(...ITEMS), fc.constantFrom<ItemStatus>('fully-dispensed', 'not-dispensed', 'cancelled')),
      fc.constantFrom('complete' as const, 'none' as const), (before, pending, reportedTypes, outcome) => {
        if (before.length === ITEMS.length) return; // all cancelled: nothing is released
        let state = runFrom(initialState(ITEMS, 3), before.map((item) => ({ type: 'cancel' as const, prescriber: 'A83008', item })));
        state = runFrom(state, [released, ...pending.map((item) => ({ type: 'cancel' as const, prescriber: 'A83008', item }))]);
        // The dispenser reports each item as given (the prescriber's cancelled ones as cancelled: it may not say otherwise).
        const items = Object.fromEntries(ITEMS.map((id) => [id, before.includes(id) ? 'cancelled' as const : reportedTypes[id] ?? 'fully-dispensed']));
        const next = transition(state, { ...dispensed, outcome, items });
        if (!next.ok) return; // a business status its items contradict
        assert.equal(next.state.repeat?.issue, 2);
        const prescriberCancelled = new Set([...before, ...pending]);
        assert.deepEqual(next.state.items, Object.fromEntries(ITEMS.map((id) => [id, prescriberCancelled.has(id) ? 'cancelled' : 'to-be-dispensed'])));
        assert.equal(next.state.status, prescriberCancelled.size === ITEMS.length ? 'cancelled' : 'to-be-dispensed');
        if (next.state.status === 'cancelled') return;
        // And in issue 2 an item the dispenser reported cancelled in issue 1 may be supplied.
        const second = transition(runFrom(next.state, [released]), { ...dispensed, items: Object.fromEntries(ITEMS.map((id) => [id, prescriberCancelled.has(id) ? 'cancelled' : 'fully-dispensed'])) });
        assert.ok(second.ok, JSON.stringify(second));
        assert.deepEqual(second.state.repeat?.earlier[1]?.status, 'dispensed');
      }), { numRuns: 300 });
  });

  it('issue 1 of 3: each issue dispensed makes the next to be dispensed; the last stays dispensed; earlier issues are claimed by number', () => {
    const first = transition(runFrom(initialState(ITEMS, 3), [released]), dispensed);
    assert.ok(first.ok);
    assert.equal(first.state.status, 'to-be-dispensed');
    assert.deepEqual(first.state.repeat, { issue: 2, issues: 3, earlier: [{ issue: 1, status: 'dispensed', dispenser: 'FA565', items: Object.fromEntries(ITEMS.map((id) => [id, 'fully-dispensed'])) }] });
    assert.deepEqual(first.issues, [{ issue: 1, status: 'dispensed' }, { issue: 2, status: 'to-be-dispensed', event: 'issue-available' }]);
    assert.deepEqual(first.state.items, Object.fromEntries(ITEMS.map((id) => [id, 'to-be-dispensed'])));
    // Issue 2 may go to another pharmacy; issue 1 is still claimed by the one that dispensed it.
    assert.equal((transition(first.state, { ...claimEvent('VNE51'), issue: 1 }) as { refusal: string }).refusal, 'PRESCRIPTION_WITH_ANOTHER_DISPENSER');
    assert.equal((transition(first.state, { ...claimEvent('FA565'), issue: 1, issues: 6 }) as { refusal: string }).refusal, 'MISMATCH_AUTHORISED_REPEAT_COUNTS');
    const claimed = transition(first.state, { ...claimEvent('FA565'), issue: 1 });
    assert.ok(claimed.ok);
    assert.deepEqual(claimed.issues, [{ issue: 1, status: 'claimed' }]);
    assert.equal(claimed.state.status, 'to-be-dispensed', 'the current issue is untouched');
    assert.equal((transition(claimed.state, { ...claimEvent('FA565'), issue: 1 }) as { refusal: string }).refusal, 'PRESCRIPTION_INVALID_STATE_TRANSITION', 'claimed once');
    assert.ok(transition(claimed.state, { ...claimEvent('FA565', true), issue: 1 }).ok, 'its claim amended');
    assert.equal((transition(claimed.state, { ...claimEvent('FA565'), issue: 3 }) as { refusal: string }).refusal, 'PRESCRIPTION_INVALID_STATE_TRANSITION', 'not issued yet');
    const last = runFrom(claimed.state, [{ type: 'release', dispenser: 'VNE51' }, { ...dispensed, dispenser: 'VNE51' }, released, dispensed]);
    assert.equal(last.status, 'dispensed');
    assert.equal(last.repeat!.issue, 3);
    assert.ok(transition(last, { ...claimEvent('FA565'), issue: 3 }).ok);
  });

  it('a cancellation pending when an issue is dispensed cancels the remaining issues; expiry ends them', () => {
    const pending = runFrom(initialState(ITEMS, 3), [released, ...ITEMS.map((item) => ({ type: 'cancel' as const, prescriber: 'A83008', item }))]);
    assert.equal(pending.status, 'with-dispenser');
    const next = transition(pending, dispensed);
    assert.ok(next.ok);
    assert.equal(next.state.status, 'cancelled');
    assert.deepEqual(next.issues?.[1], { issue: 2, status: 'cancelled', event: 'cancelled' });
    const expired = transition(runFrom(initialState(ITEMS, 3), [released]), { type: 'expire' });
    assert.ok(expired.ok);
    assert.equal(expired.state.status, 'expired');
    assert.deepEqual(Object.values(expired.state.items), ITEMS.map(() => 'expired'));
    assert.equal(transition(expired.state, released).ok, false, 'no issue follows an expired one');
  });

  it('under any sequence of events the issues count up one at a time, never past the last, each earlier one done with', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.oneof(event, pharmacy.map((dispenser) => ({ ...claimEvent(dispenser), issue: 1 }))), { maxLength: 40 }), (issues, events) => {
      let state = initialState(ITEMS, issues);
      for (const e of events) {
        const next = transition(state, e);
        if (!next.ok) continue;
        const before = state.repeat!.issue;
        const after = next.state.repeat!.issue;
        assert.ok(after === before || (after === before + 1 && (state.status === 'with-dispenser' || state.status === 'with-dispenser-active'
          || state.status === 'dispensed' || state.status === 'not-dispensed') && e.type === 'dispense'));
        assert.ok(after <= issues);
        assert.deepEqual(next.state.repeat!.earlier.map((x) => x.issue), Array.from({ length: after - 1 }, (_, i) => i + 1));
        if (after > before) assert.ok(next.state.status === 'to-be-dispensed' || next.state.status === 'cancelled');
        state = next.state;
      }
    }), { numRuns: 300 });
  });
});
