import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initialState, transition, type LifecycleEvent, type PrescriptionState } from './lifecycle.js';
import { ITEMS, event } from './lifecycle.test-support.js';

/** A dispense notification's message id (some a UUID, in either case) and body digest, from small pools so that they repeat. */
const UUID = '5b5ce6a4-3c3e-4b4e-9d4a-0a3b1c2d3e4f';
const named = fc.record({
  messageId: fc.constantFrom('m-1', 'm-2', UUID, UUID.toUpperCase()),
  digest: fc.constantFrom('d-1', 'd-2'),
});
/** Lifecycle events whose dispense notifications carry message ids (their identifiers too, so a withdrawal may name them). */
const events = fc.array(fc.tuple(event, named), { maxLength: 30 }).map((pairs) => pairs.map(([e, n]): LifecycleEvent =>
  (e.type === 'dispense' ? { ...e, ...n, identifiers: [n.messageId] } : e.type === 'withdraw' ? { ...e, withdraws: n.messageId } : e)));

const key = (id: string) => id.toLowerCase();

describe('a dispense notification is recorded once (lifecycle.ts notificationSeen)', () => {
  it('for any history, no message id is recorded twice, and each recorded one sent again is answered, never applied', () => {
    fc.assert(fc.property(events, (history) => {
      let state: PrescriptionState = initialState(ITEMS);
      const recorded = new Map<string, string>();
      for (const e of history) {
        const next = transition(state, e);
        if (!next.ok) continue;
        if (e.type === 'dispense') {
          assert.ok(!recorded.has(key(e.messageId!)), `${e.messageId} recorded twice`);
          recorded.set(key(e.messageId!), e.digest!);
        }
        state = next.state;
      }
      for (const e of history) {
        if (e.type !== 'dispense' || recorded.get(key(e.messageId!)) === undefined) continue;
        const again = transition(state, { ...e, digest: recorded.get(key(e.messageId!)) });
        assert.ok(!again.ok && (again.refusal === 'NOTIFICATION_ALREADY_RECORDED' || again.refusal === 'NOTIFICATION_ID_REUSED'), JSON.stringify(again));
        const other = transition(state, { ...e, digest: 'another body' });
        assert.ok(!other.ok && other.refusal === 'NOTIFICATION_ID_REUSED', JSON.stringify(other));
        // Sandbox mode: another body is a new notification (decided by the rest of the lifecycle), the same body still answered.
        const sandbox = transition(state, { ...e, digest: 'another body', idReusable: true });
        assert.ok(sandbox.ok || !sandbox.refusal.startsWith('NOTIFICATION_'), JSON.stringify(sandbox));
      }
    }), { numRuns: 500 });
  });
});
