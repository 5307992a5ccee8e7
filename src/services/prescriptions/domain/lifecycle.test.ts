import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ITEM_STATUSES, STATUS_NAMES, initialState, stateAt, statusOfItems, transition, transitionAt, type ItemStatus, type LifecycleEvent, type PrescriptionState,
} from './lifecycle.js';
import { CLOSED, closedItems, itemsAfterNotification, itemsBecome } from './items.js';
import { AT, ITEMS, claimEvent, event, pharmacy, prescriber, reported } from './lifecycle.test-support.js';

function run(events: LifecycleEvent[]): PrescriptionState {
  let state = initialState(ITEMS);
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
      claimEvent('FA565'),
    ]);
    const dispensed = Object.fromEntries(ITEMS.map((id) => [id, 'fully-dispensed']));
    const partly = Object.fromEntries(ITEMS.map((id) => [id, 'partially-dispensed']));
    const held = Object.fromEntries(ITEMS.map((id) => [id, 'with-dispenser']));
    assert.deepEqual(s, { status: 'claimed', dispenser: 'FA565', dispenseNotifications: 2, items: dispensed, itemsBefore: [held, partly], dispenseNotificationIds: [[], []], claimedAt: AT.toISOString() });
  });

  it('refuses a second pharmacy with PRESCRIPTION_WITH_ANOTHER_DISPENSER, and dispensing before release as an invalid transition', () => {
    const released = go([{ type: 'release', dispenser: 'FA565' }]);
    assert.deepEqual(transition(released, { type: 'release', dispenser: 'VNE51' }),
      { ok: false, refusal: 'PRESCRIPTION_WITH_ANOTHER_DISPENSER', diagnostics: 'Prescription is with another dispenser' });
    assert.deepEqual(transition(initialState(ITEMS), { type: 'dispense', dispenser: 'FA565', outcome: 'complete' }),
      { ok: false, refusal: 'PRESCRIPTION_INVALID_STATE_TRANSITION', diagnostics: 'Cannot dispense a prescription that is To be Dispensed' });
    assert.equal((transition(initialState(ITEMS), claimEvent('FA565')) as { refusal: string }).refusal, 'PRESCRIPTION_INVALID_STATE_TRANSITION');
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

  it('a withdrawal must name the last dispense notification in force (by either identifier), else NOT_LAST_DISPENSE', () => {
    const dispensed = (id: string): LifecycleEvent => ({ type: 'dispense', dispenser: 'FA565', outcome: 'partial', identifiers: [`identifier-${id}`, `id-${id}`] });
    const twice = go([{ type: 'release', dispenser: 'FA565' }, dispensed('1'), dispensed('2')]);
    assert.deepEqual(transition(twice, { type: 'withdraw', dispenser: 'FA565', withdraws: 'identifier-1' }),
      { ok: false, refusal: 'NOT_LAST_DISPENSE', diagnostics: 'Withdrawal target does not match the last dispense notification on record.' });
    for (const named of ['identifier-2', 'id-2']) {
      const withdrawn = transition(twice, { type: 'withdraw', dispenser: 'FA565', withdraws: named });
      assert.ok(withdrawn.ok);
      // The one before it is then the last in force.
      assert.ok(transition(withdrawn.state, { type: 'withdraw', dispenser: 'FA565', withdraws: 'id-1' }).ok);
      assert.equal(transition(withdrawn.state, { type: 'withdraw', dispenser: 'FA565', withdraws: 'id-2' }).ok, false);
    }
    // A notification recorded before identifiers were kept may be withdrawn by any.
    assert.ok(transition({ ...twice, dispenseNotificationIds: undefined }, { type: 'withdraw', dispenser: 'FA565', withdraws: 'identifier-1' }).ok);
  });

  it('invariants under any sequence of events: terminal states stay put, only the holder acts, a refusal changes nothing', () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 30 }), (events) => {
      let state = initialState(ITEMS);
      for (const e of events) {
        const next = transition(state, e);
        assert.ok(STATUS_NAMES.includes(state.status));
        if (!next.ok) {
          assert.match(next.refusal, /^(PRESCRIPTION_WITH_ANOTHER_DISPENSER|PRESCRIPTION_INVALID_STATE_TRANSITION|PRESCRIPTION_INVALID_LINE_STATE_TRANSITION|CLAIM_AMEND_PERIOD_ISSUE|BUSINESS_STATUS_CONTRADICTS_ITEMS|ITEM_NOT_FOUND|R-00\d\d)$/);
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
      let state = initialState(ITEMS);
      const winners = new Set<string>();
      for (const p of pharmacies) {
        const t = transition(state, { type: 'release', dispenser: p });
        if (t.ok) { winners.add(p); state = t.state; } else assert.equal(t.refusal, 'PRESCRIPTION_WITH_ANOTHER_DISPENSER');
      }
      assert.deepEqual([...winners], [pharmacies[0]]);
    }));
  });

  it('each item takes the status its MedicationDispense gives; the prescription follows from its items', () => {
    const released: LifecycleEvent = { type: 'release', dispenser: 'FA565' };
    // An item the prescription does not have: ITEM_NOT_FOUND, nothing changes.
    assert.deepEqual(transition(go([released]), { type: 'dispense', dispenser: 'FA565', outcome: 'partial', items: { 'item-1': 'fully-dispensed', 'not-on-it': 'fully-dispensed' } }),
      { ok: false, refusal: 'ITEM_NOT_FOUND', diagnostics: 'The prescription has no item not-on-it.', expression: 'MedicationDispense.authorizingPrescription' });
    const owing = go([released, { type: 'dispense', dispenser: 'FA565', outcome: 'partial',
      items: { 'item-1': 'fully-dispensed', 'item-2': 'owing', 'item-3': 'cancelled' } }]);
    assert.equal(owing.status, 'with-dispenser-active');
    assert.deepEqual(owing.items, { 'item-1': 'fully-dispensed', 'item-2': 'owing', 'item-3': 'cancelled' });
    // Dispensed (0006) while an item is still owed contradicts the items: refused, nothing changes.
    assert.deepEqual(transition(owing, { type: 'dispense', dispenser: 'FA565', outcome: 'complete', items: { 'item-1': 'fully-dispensed' } }), {
      ok: false, refusal: 'BUSINESS_STATUS_CONTRADICTS_ITEMS',
      diagnostics: "Task business status 0006 (Dispensed) contradicts the items: item item-2 is 'Item not dispensed owing'.",
    });
    // The owed item dispensed later, as 0003: the dispenser keeps it open (with dispenser - active) though every item is done with.
    const kept = transition(owing, { type: 'dispense', dispenser: 'FA565', outcome: 'partial', items: { 'item-2': 'fully-dispensed' } });
    assert.ok(kept.ok);
    assert.equal(kept.state.status, 'with-dispenser-active');
    // …and as 0006: dispensed.
    const done = transition(owing, { type: 'dispense', dispenser: 'FA565', outcome: 'complete', items: { 'item-2': 'fully-dispensed' } });
    assert.ok(done.ok);
    assert.equal(done.state.status, 'dispensed');
    // Not dispensed (0007) is the whole prescription's: items it types fully dispensed are not dispensed (the spec's acute example 05).
    const refused = go([released, { type: 'dispense', dispenser: 'FA565', outcome: 'none', items: { 'item-1': 'fully-dispensed', 'item-2': 'fully-dispensed', 'item-3': 'cancelled' } }]);
    assert.equal(refused.status, 'not-dispensed');
    assert.deepEqual(refused.items, { 'item-1': 'not-dispensed', 'item-2': 'not-dispensed', 'item-3': 'cancelled' });
    const nothing = go([released, { type: 'dispense', dispenser: 'FA565', outcome: 'none', items: { 'item-1': 'not-dispensed', 'item-2': 'not-dispensed', 'item-3': 'cancelled' } }]);
    assert.equal(nothing.status, 'not-dispensed');
    // A notification that names no item speaks for all of them through its status.
    assert.deepEqual(go([released, { type: 'dispense', dispenser: 'FA565', outcome: 'complete', items: {} }]).items,
      Object.fromEntries(ITEMS.map((id) => [id, 'fully-dispensed'])));
    // A withdrawal restores the items as they were before the notification it takes back.
    const withdrawn = transition(done.ok ? done.state : owing, { type: 'withdraw', dispenser: 'FA565' });
    assert.ok(withdrawn.ok);
    assert.deepEqual(withdrawn.state.items, owing.items);
  });

  it('a cancellation naming one item cancels only it (R-0001); the prescription is cancelled when its last item is; an unknown item is R-0008', () => {
    const one = transition(initialState(ITEMS), { type: 'cancel', prescriber: 'A83008', item: 'item-2' });
    assert.ok(one.ok);
    assert.equal(one.cancellation, 'R-0001');
    assert.deepEqual(one.state.items, { 'item-1': 'to-be-dispensed', 'item-2': 'cancelled', 'item-3': 'to-be-dispensed' });
    assert.equal(one.state.status, 'to-be-dispensed');
    assert.equal((transition(one.state, { type: 'cancel', prescriber: 'A83008', item: 'item-2' }) as { refusal: string }).refusal, 'R-0006');
    assert.equal((transition(one.state, { type: 'cancel', prescriber: 'A83008', item: 'nope' }) as { refusal: string }).refusal, 'R-0008');
    const all = go([{ type: 'cancel', prescriber: 'A83008', item: 'item-1' }, { type: 'cancel', prescriber: 'A83008', item: 'item-2' }, { type: 'cancel', prescriber: 'A83008', item: 'item-3' }]);
    assert.equal(all.status, 'cancelled');
    // Released, the item cancelled is marked; the return cancels just that item and puts the rest back to be dispensed.
    const back = go([{ type: 'release', dispenser: 'FA565' }, { type: 'cancel', prescriber: 'A83008', item: 'item-1' }, { type: 'return', dispenser: 'FA565' }]);
    assert.deepEqual(back, { status: 'to-be-dispensed', dispenseNotifications: 0, items: { 'item-1': 'cancelled', 'item-2': 'to-be-dispensed', 'item-3': 'to-be-dispensed' }, itemsBefore: [] });
  });

  it('a claim pays for supply only where the notifications recorded it: any reports, any claimed statuses', () => {
    const supplied: ItemStatus[] = ['fully-dispensed', 'partially-dispensed'];
    const done = fc.constantFrom<ItemStatus>('fully-dispensed', 'not-dispensed', 'cancelled');
    fc.assert(fc.property(fc.tuple(done, done, done), fc.dictionary(fc.constantFrom(...ITEMS), fc.array(reported, { minLength: 1, maxLength: 2 })), (types, claimed) => {
      const items = Object.fromEntries(ITEMS.map((id, i) => [id, types[i]!]));
      const dispensed = go([{ type: 'release', dispenser: 'FA565' }, { type: 'dispense', dispenser: 'FA565', outcome: 'complete', items }]);
      if (dispensed.status !== 'dispensed') return; // nothing dispensed: a 0006 notification is refused
      const result = transition(dispensed, { type: 'claim', dispenser: 'FA565', at: new Date(), items: Object.keys(claimed), itemTypes: claimed });
      const contradicts = Object.entries(claimed).some(([id, ts]) => ts.some((t) => t !== items[id]
        && (t === 'owing' || (supplied.includes(t) && !supplied.includes(items[id]!)))));
      assert.equal(result.ok, !contradicts, JSON.stringify([items, claimed, result]));
      if (!result.ok) assert.equal(result.refusal, 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION');
    }), { numRuns: 500 });
  });

  it('a claim may not say an item the prescriber cancelled before it was dispensed was supplied; saying it was cancelled, or naming no status, it may', () => {
    const dispensed = go([{ type: 'cancel', prescriber: 'A83008', item: 'item-1' }, { type: 'release', dispenser: 'FA565' },
      { type: 'dispense', dispenser: 'FA565', outcome: 'complete', items: { 'item-1': 'cancelled', 'item-2': 'fully-dispensed', 'item-3': 'fully-dispensed' } }]);
    assert.equal(dispensed.status, 'dispensed');
    const claim = (itemTypes?: Record<string, ItemStatus[]>) => transition(dispensed, { type: 'claim', dispenser: 'FA565', at: new Date(), items: ['item-1', 'item-2', 'item-3'], ...(itemTypes ? { itemTypes } : {}) });
    const paid = claim({ 'item-1': ['fully-dispensed'], 'item-2': ['fully-dispensed'] });
    assert.ok(!paid.ok);
    assert.equal(paid.refusal, 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION');
    assert.equal(paid.diagnostics, "Item item-1 is 'Item cancelled' and cannot be claimed as 'Item fully dispensed'.");
    assert.ok(claim({ 'item-1': ['cancelled'], 'item-2': ['fully-dispensed'] }).ok);
    assert.ok(claim().ok);
    // Named twice (or given two statuses), every status counts: one saying it was supplied is refused, whichever comes last.
    for (const types of [['fully-dispensed', 'cancelled'], ['cancelled', 'fully-dispensed']] as ItemStatus[][]) {
      assert.deepEqual(claim({ 'item-1': types }), { ok: false, refusal: 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION', diagnostics: "Item item-1 is 'Item cancelled' and cannot be claimed as 'Item fully dispensed'.", expression: 'Claim.item.detail.modifier' });
    }
    assert.ok(claim({ 'item-1': ['cancelled', 'cancelled'] }).ok);
    fc.assert(fc.property(fc.array(reported, { maxLength: 4 }), fc.array(reported, { maxLength: 4 }), (closedItem, openItem) => {
      const result = claim({ 'item-1': closedItem, 'item-2': openItem });
      // item-2 was fully dispensed: any status but one of an item not done with (owing) may be claimed of it.
      assert.equal(result.ok, closedItem.every((t) => t === 'cancelled') && !openItem.includes('owing'), JSON.stringify([closedItem, openItem]));
    }));
    // An item the dispenser reported cancelled was not supplied either: the claim may not say it was, only what was recorded or less.
    const byDispenser = go([{ type: 'release', dispenser: 'FA565' },
      { type: 'dispense', dispenser: 'FA565', outcome: 'complete', items: { 'item-1': 'cancelled', 'item-2': 'fully-dispensed', 'item-3': 'fully-dispensed' } }]);
    const claimOwn = (types: ItemStatus[]) => transition(byDispenser, { type: 'claim', dispenser: 'FA565', at: new Date(), itemTypes: { 'item-1': types } });
    assert.deepEqual(claimOwn(['fully-dispensed']), { ok: false, refusal: 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION', diagnostics: "Item item-1 is 'Item cancelled' and cannot be claimed as 'Item fully dispensed'.", expression: 'Claim.item.detail.modifier' });
    assert.equal(claimOwn(['cancelled']).ok, true);
  });

  it('items and the prescription agree under any sequence of events', () => {
    const DONE: ItemStatus[] = ['fully-dispensed', 'not-dispensed', 'cancelled', 'expired'];
    fc.assert(fc.property(fc.array(event, { maxLength: 30 }), (events) => {
      const state = run(events);
      const items = Object.values(state.items);
      assert.deepEqual(Object.keys(state.items), ITEMS, 'the items are the order\'s, no more');
      assert.ok(items.every((s) => s in ITEM_STATUSES));
      if (state.status === 'cancelled') assert.ok(items.every((s) => s === 'cancelled'));
      else assert.ok(!items.every((s) => s === 'cancelled') || state.status !== 'to-be-dispensed');
      if (state.status === 'dispensed' || state.status === 'not-dispensed' || state.status === 'claimed') {
        assert.ok(items.every((s) => DONE.includes(s)));
        assert.equal(statusOfItems(state.items), state.status === 'claimed' ? statusOfItems(state.items) : state.status);
      }
      if (state.status === 'to-be-dispensed') assert.ok(items.every((s) => s === 'to-be-dispensed' || s === 'cancelled'));
      if (state.status === 'with-dispenser') assert.ok(items.every((s) => s === 'with-dispenser' || s === 'cancelled'));
      if (state.status === 'expired') assert.ok(items.every((s) => DONE.includes(s)));
      assert.equal(state.itemsBefore.length, state.status === 'to-be-dispensed' || state.status === 'cancelled' ? 0 : state.dispenseNotifications);
    }), { numRuns: 500 });
  });

  it('an item closed before the notifications (cancelled by the prescriber, expired) is reported only as it is, whatever the business status', () => {
    const anyItem = fc.constantFrom(...(Object.keys(ITEM_STATUSES) as ItemStatus[]));
    fc.assert(fc.property(
      fc.array(anyItem, { minLength: 1, maxLength: 5 }), fc.constantFrom('partial' as const, 'complete' as const, 'none' as const),
      fc.dictionary(fc.constantFrom('i0', 'i1', 'i2', 'i3', 'i4'), reported),
      (statuses, outcome, types) => {
        const items = Object.fromEntries(statuses.map((s, i) => [`i${i}`, s]));
        const closed = closedItems(items);
        const after = itemsAfterNotification(items, outcome, types, closed);
        const reopens = Object.entries(types).some(([id, r]) => Object.hasOwn(closed, id) && r !== closed[id]);
        assert.equal(!after.ok && after.closed === true, reopens);
        if (after.ok) for (const [id, s] of Object.entries(closed)) assert.equal(after.items[id], s, `${id} stays ${s}`);
      }), { numRuns: 2_000 });
  });

  it('a dispense notification never leaves the prescription in a status its business status contradicts', () => {
    const anyItem = fc.constantFrom(...(Object.keys(ITEM_STATUSES) as ItemStatus[]));
    const itemsOf = (statuses: ItemStatus[]) => Object.fromEntries(statuses.map((s, i) => [`i${i}`, s]));
    fc.assert(fc.property(
      fc.array(anyItem, { minLength: 1, maxLength: 5 }), fc.constantFrom('partial' as const, 'complete' as const, 'none' as const),
      fc.dictionary(fc.constantFrom('i0', 'i1', 'i2', 'i3', 'i4', 'other', 'constructor'), reported),
      (before, outcome, types) => {
        const items = itemsOf(before);
        const after = itemsAfterNotification(items, outcome, types);
        const named = Object.keys(types).filter((id) => Object.hasOwn(items, id));
        const merged = named.length > 0 ? { ...items, ...Object.fromEntries(named.map((id) => [id, types[id]!])) } : undefined;
        assert.deepEqual(Object.keys(after.ok ? after.items : items), Object.keys(items), 'the same items, no more');
        if (outcome === 'complete') {
          // Refused exactly when the items as typed are not a dispensed prescription.
          // (Naming none of them, every open item is taken as dispensed.)
          assert.equal(after.ok, statusOfItems(merged ?? itemsBecome(items, 'fully-dispensed', CLOSED)) === 'dispensed');
          if (after.ok) assert.equal(after.status, 'dispensed');
        } else if (outcome === 'partial') {
          assert.ok(after.ok);
          assert.equal(after.status, 'with-dispenser-active');
          if (merged) assert.deepEqual(after.items, merged, 'each item named takes its type');
        } else {
          assert.ok(after.ok);
          assert.notEqual(after.status, 'with-dispenser-active');
          for (const [id, s] of Object.entries(after.items)) {
            if (s === 'fully-dispensed') assert.equal(items[id], 'fully-dispensed', 'nothing is dispensed by a 0007');
            assert.ok(['fully-dispensed', 'not-dispensed', 'cancelled', 'expired'].includes(s));
          }
        }
      }), { numRuns: 1000 });
  });

  it('statusOfItems: dispensed exactly when every item is done with and one was dispensed', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...(Object.keys(ITEM_STATUSES) as ItemStatus[])), { minLength: 1, maxLength: 6 }), (statuses) => {
      const status = statusOfItems(Object.fromEntries(statuses.map((s, i) => [`i${i}`, s])));
      const done = statuses.every((s) => ['fully-dispensed', 'not-dispensed', 'cancelled', 'expired'].includes(s));
      assert.equal(status, !done ? 'with-dispenser-active' : statuses.includes('fully-dispensed') ? 'dispensed' : 'not-dispensed');
    }));
  });

  it('a claim may be amended until the end of the claim period (London time), then CLAIM_AMEND_PERIOD_ISSUE', () => {
    const claimed = go([{ type: 'release', dispenser: 'FA565' }, { type: 'dispense', dispenser: 'FA565', outcome: 'complete' }, claimEvent('FA565')]);
    const amend = (at: string) => transition(claimed, claimEvent('FA565', true, new Date(at)));
    // 5 April is in summer time: its end is 22:59:59.999 UTC.
    assert.ok(amend('2026-04-05T22:59:59.999Z').ok);
    assert.deepEqual(amend('2026-04-05T23:00:00Z'),
      { ok: false, refusal: 'CLAIM_AMEND_PERIOD_ISSUE', diagnostics: 'Claim amendment is not permitted outside of the claim period.' });
  });

  it('a release, dispense notification, return or cancellation after the validity ends is refused as on an expired prescription, swept or not', () => {
    const validUntil = new Date('2026-03-10T00:00:00Z');
    const later = new Date(validUntil.getTime() + 1);
    const expiredRefusal = (what: string) => ({ ok: false, refusal: 'PRESCRIPTION_INVALID_STATE_TRANSITION', diagnostics: `Cannot ${what} a prescription that is Expired` });
    const waiting = initialState(ITEMS);
    assert.deepEqual(transitionAt(waiting, { type: 'release', dispenser: 'FA565' }, later, validUntil), expiredRefusal('release'));
    assert.equal(transitionAt(waiting, { type: 'release', dispenser: 'FA565' }, validUntil, validUntil).ok, true, 'valid to the end of its validity, inclusive');
    assert.equal(transitionAt(waiting, { type: 'release', dispenser: 'FA565' }, undefined, validUntil).ok, true, 'no time (sandbox mode): as stored');
    const held = go([{ type: 'release', dispenser: 'FA565' }]);
    assert.deepEqual(transitionAt(held, { type: 'release', dispenser: 'FA565' }, later, validUntil), expiredRefusal('release'), 'not downloaded again either');
    assert.deepEqual(transitionAt(held, { type: 'dispense', dispenser: 'FA565', outcome: 'complete' }, later, validUntil), expiredRefusal('dispense'));
    assert.deepEqual(transitionAt(held, { type: 'return', dispenser: 'FA565' }, later, validUntil), expiredRefusal('return'));
    const partly = go([{ type: 'release', dispenser: 'FA565' }, { type: 'dispense', dispenser: 'FA565', outcome: 'partial' }]);
    assert.deepEqual(transitionAt(partly, { type: 'dispense', dispenser: 'FA565', outcome: 'complete' }, later, validUntil), expiredRefusal('dispense'));
    const cancelled = transitionAt(waiting, { type: 'cancel', prescriber: 'A83008' }, later, validUntil);
    assert.deepEqual(cancelled, { ok: false, refusal: 'R-0005', diagnostics: 'Prescription/item has expired' });
    // What is done with is not expired: its claim goes ahead; and the sweep itself expires it.
    const dispensed = go([{ type: 'release', dispenser: 'FA565' }, { type: 'dispense', dispenser: 'FA565', outcome: 'complete' }]);
    assert.equal(transitionAt(dispensed, claimEvent('FA565'), later, validUntil).ok, true);
    const swept = transitionAt(held, { type: 'expire' }, later, validUntil);
    assert.ok(swept.ok);
    assert.deepEqual(swept.state, stateAt(held, later, validUntil));
    assert.equal(swept.state.status, 'expired');
  });

  it('stateAt agrees with the sweep: any state, any time, expired exactly when the sweep would expire it', () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 12 }), fc.integer({ min: -5, max: 5 }), (events, offset) => {
      const state = run(events);
      const validUntil = AT;
      const at = new Date(AT.getTime() + offset);
      const now = stateAt(state, at, validUntil);
      const swept = offset > 0 ? transition(state, { type: 'expire' }) : undefined;
      assert.deepEqual(now, swept?.ok ? swept.state : state);
    }));
  });
});
