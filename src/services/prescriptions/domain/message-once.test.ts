import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initialState, transition, type LifecycleEvent, type MessageIdentity, type PrescriptionState } from './lifecycle.js';
import { ITEMS, event } from './lifecycle.test-support.js';

/** A message's id (some a UUID, in either case) and body digest, from small pools so that they repeat. */
const UUID = '5b5ce6a4-3c3e-4b4e-9d4a-0a3b1c2d3e4f';
const named = fc.record({
  id: fc.constantFrom('m-1', 'm-2', 'm-3', UUID, UUID.toUpperCase()),
  digest: fc.constantFrom('d-1', 'd-2'),
});
type Dispensing = Extract<LifecycleEvent, { type: 'dispense' | 'claim' | 'return' | 'withdraw' }>;
const isMessage = (e: LifecycleEvent): e is Dispensing & { message: MessageIdentity } =>
  (e.type === 'dispense' || e.type === 'claim' || e.type === 'return' || e.type === 'withdraw') && e.message !== undefined;
/**
 * Lifecycle events whose dispensing messages (dispense notifications, claims, returns, withdrawals) carry message ids; a
 * notification's identifiers too, so that a withdrawal may name it (by another message's id, from the same pool).
 */
const events = fc.array(fc.tuple(event, named, named), { maxLength: 30 }).map((triples) => triples.map(([e, n, target]): LifecycleEvent => {
  if (e.type === 'dispense') return { ...e, message: n, identifiers: [n.id] };
  if (e.type === 'withdraw') return { ...e, message: n, withdraws: target.id };
  if (e.type === 'claim' || e.type === 'return') return { ...e, message: n };
  return e;
}));

const key = (id: string) => id.toLowerCase();

describe('a dispensing message is recorded once (lifecycle.ts messageSeen)', () => {
  it('for any history, no message id is recorded twice, and each recorded message sent again is answered, never applied', () => {
    fc.assert(fc.property(events, (history) => {
      let state: PrescriptionState = initialState(ITEMS);
      const recorded = new Map<string, { type: string; digest: string }>();
      for (const e of history) {
        const next = transition(state, e);
        if (!next.ok) continue;
        if (isMessage(e)) {
          assert.ok(!recorded.has(key(e.message.id)), `${e.message.id} recorded twice`);
          recorded.set(key(e.message.id), { type: e.type, digest: e.message.digest! });
        }
        state = next.state;
      }
      for (const e of history) {
        if (!isMessage(e)) continue;
        const first = recorded.get(key(e.message.id));
        if (first === undefined) continue;
        const again = transition(state, { ...e, message: { ...e.message, digest: first.digest } });
        if (first.type === e.type) {
          // Answered as recorded; a dispense notification since withdrawn is refused as reused.
          assert.ok(!again.ok && (again.refusal === 'MESSAGE_ALREADY_RECORDED' || (e.type === 'dispense' && again.refusal === 'MESSAGE_ID_REUSED')), JSON.stringify(again));
        } else {
          assert.ok(!again.ok && again.refusal === 'MESSAGE_ID_REUSED', `another operation's id: ${JSON.stringify(again)}`);
        }
        const other = transition(state, { ...e, message: { ...e.message, digest: 'another body' } });
        assert.ok(!other.ok && other.refusal === 'MESSAGE_ID_REUSED', JSON.stringify(other));
        // Sandbox mode: another body is a new message (decided by the rest of the lifecycle), the same body still answered.
        const sandbox = transition(state, { ...e, message: { ...e.message, digest: 'another body', reusable: true } });
        assert.ok(sandbox.ok || !sandbox.refusal.startsWith('MESSAGE_'), JSON.stringify(sandbox));
      }
    }), { numRuns: 500 });
  });
});
