/**
 * A prescription's life on the Spine, as a pure state machine (API-NOTES §4; the status codes are
 * EPS's prescription status codes, `https://fhir.nhs.uk/CodeSystem/EPS-task-business-status`):
 *
 *   to-be-dispensed ─release→ with-dispenser ─dispense(partial)→ with-dispenser-active
 *        ↑  return ←──────────┘      │ dispense(complete)              │ dispense(complete)
 *        │                           ↓                                 ↓
 *   cancel / expire            dispensed | not-dispensed ─claim→ claimed (claim amendments stay)
 *
 * A withdrawal takes back the last dispense notification. A prescriber may cancel only before
 * release; once it is with a dispenser the cancellation is recorded as pending (R-0002/R-0003) and
 * takes effect when the dispenser returns it to the Spine (the dispenser's agreement). Every illegal
 * transition names the spec's error code.
 */
export const STATUSES = {
  'to-be-dispensed': { code: '0001', display: 'To be Dispensed' },
  'with-dispenser': { code: '0002', display: 'With Dispenser' },
  'with-dispenser-active': { code: '0003', display: 'With Dispenser - Active' },
  expired: { code: '0004', display: 'Expired' },
  cancelled: { code: '0005', display: 'Cancelled' },
  dispensed: { code: '0006', display: 'Dispensed' },
  'not-dispensed': { code: '0007', display: 'Not Dispensed' },
  claimed: { code: '0008', display: 'Claimed' },
} as const;
export type Status = keyof typeof STATUSES;
export const STATUS_NAMES = Object.keys(STATUSES) as Status[];

export interface PrescriptionState {
  status: Status;
  /** ODS code of the pharmacy holding it (released to), while it is with one and after. */
  dispenser?: string;
  /** Dispense notifications in force (a withdrawal takes back the last). */
  dispenseNotifications: number;
  /** A cancellation asked for while the prescription was with a dispenser: who asked. */
  pendingCancellationBy?: string;
}

export type LifecycleEvent =
  | { type: 'release'; dispenser: string }
  | { type: 'return'; dispenser: string }
  | { type: 'dispense'; dispenser: string; outcome: 'partial' | 'complete' | 'none'; amendment?: boolean }
  | { type: 'withdraw'; dispenser: string }
  | { type: 'claim'; dispenser: string; amendment?: boolean }
  | { type: 'cancel'; prescriber: string }
  | { type: 'expire' };

/** Cancellation responses (`medicationrequest-status-history`): R-0001 cancelled; the rest refusals or pending. */
export const CANCELLATION_RESPONSES = {
  'R-0001': 'Prescription/item was cancelled',
  'R-0002': 'Prescription/item was not cancelled. With dispenser. Marked for cancellation',
  'R-0003': 'Prescription/item was not cancelled. With dispenser active. Marked for cancellation',
  'R-0004': 'Prescription/item was not cancelled. Prescription has been dispensed.',
  'R-0005': 'Prescription/item has expired',
  'R-0006': 'Prescription/item had already been cancelled',
  'R-0007': 'Prescription/item cancellation requested by another prescriber',
  'R-0010': 'Prescription/item was not cancelled. Prescription has been not dispensed.',
} as const;
export type CancellationResponse = keyof typeof CANCELLATION_RESPONSES;

export type TransitionRefusal = 'PRESCRIPTION_WITH_ANOTHER_DISPENSER' | 'PRESCRIPTION_INVALID_STATE_TRANSITION' | CancellationResponse;

export type Transition =
  | { ok: true; state: PrescriptionState; cancellation?: CancellationResponse }
  | { ok: false; refusal: TransitionRefusal; diagnostics: string };

export const initialState = (): PrescriptionState => ({ status: 'to-be-dispensed', dispenseNotifications: 0 });

const refuse = (refusal: TransitionRefusal, diagnostics: string): Transition => ({ ok: false, refusal, diagnostics });
const invalid = (state: PrescriptionState, what: string) =>
  refuse('PRESCRIPTION_INVALID_STATE_TRANSITION', `Cannot ${what} a prescription that is ${STATUSES[state.status].display}`);

const HELD: readonly Status[] = ['with-dispenser', 'with-dispenser-active', 'dispensed', 'not-dispensed', 'claimed'];

/** Whether `dispenser` may act on it: refused with the spec's code when another pharmacy holds it. */
function heldBy(state: PrescriptionState, dispenser: string, what: string): Transition | undefined {
  if (!HELD.includes(state.status)) return invalid(state, what);
  if (state.dispenser !== dispenser) return refuse('PRESCRIPTION_WITH_ANOTHER_DISPENSER', 'Prescription is with another dispenser');
  return undefined;
}

export function transition(state: PrescriptionState, event: LifecycleEvent): Transition {
  switch (event.type) {
    case 'release': {
      if (state.status === 'to-be-dispensed') {
        return { ok: true, state: { ...state, status: 'with-dispenser', dispenser: event.dispenser } };
      }
      if (HELD.includes(state.status) && state.dispenser !== event.dispenser) {
        return refuse('PRESCRIPTION_WITH_ANOTHER_DISPENSER', 'Prescription is with another dispenser');
      }
      // A pharmacy may download again what it already holds (a lost response), but nothing after dispensing.
      if (state.status === 'with-dispenser') return { ok: true, state };
      return invalid(state, 'release');
    }
    case 'return': {
      const held = heldBy(state, event.dispenser, 'return');
      if (held) return held;
      if (state.status !== 'with-dispenser') return invalid(state, 'return');
      if (state.pendingCancellationBy !== undefined) {
        return { ok: true, state: { status: 'cancelled', dispenseNotifications: 0, pendingCancellationBy: state.pendingCancellationBy } };
      }
      return { ok: true, state: initialState() };
    }
    case 'dispense': {
      const held = heldBy(state, event.dispenser, 'dispense');
      if (held) return held;
      if (state.status === 'claimed') return invalid(state, 'dispense');
      if (event.amendment) {
        if (state.dispenseNotifications === 0) return invalid(state, 'amend the dispensing of');
      } else if (state.status === 'dispensed' || state.status === 'not-dispensed') {
        return invalid(state, 'dispense');
      }
      const status: Status = event.outcome === 'partial' ? 'with-dispenser-active' : event.outcome === 'complete' ? 'dispensed' : 'not-dispensed';
      return { ok: true, state: { ...state, status, dispenseNotifications: state.dispenseNotifications + (event.amendment ? 0 : 1) } };
    }
    case 'withdraw': {
      const held = heldBy(state, event.dispenser, 'withdraw');
      if (held) return held;
      if (state.dispenseNotifications === 0 || state.status === 'claimed') return invalid(state, 'withdraw a dispense notification of');
      const remaining = state.dispenseNotifications - 1;
      return { ok: true, state: { ...state, status: remaining > 0 ? 'with-dispenser-active' : 'with-dispenser', dispenseNotifications: remaining } };
    }
    case 'claim': {
      const held = heldBy(state, event.dispenser, 'claim');
      if (held) return held;
      if (event.amendment ? state.status !== 'claimed' : state.status !== 'dispensed' && state.status !== 'not-dispensed') {
        return invalid(state, event.amendment ? 'amend the claim of' : 'claim');
      }
      return { ok: true, state: { ...state, status: 'claimed' } };
    }
    case 'cancel':
      return cancel(state, event.prescriber);
    case 'expire':
      if (state.status === 'to-be-dispensed' || state.status === 'with-dispenser' || state.status === 'with-dispenser-active') {
        return { ok: true, state: { ...state, status: 'expired' } };
      }
      return invalid(state, 'expire');
  }
}

function cancel(state: PrescriptionState, prescriber: string): Transition {
  const refused = (code: CancellationResponse) => refuse(code, CANCELLATION_RESPONSES[code]);
  switch (state.status) {
    case 'to-be-dispensed':
      return { ok: true, state: { ...state, status: 'cancelled' }, cancellation: 'R-0001' };
    case 'with-dispenser':
    case 'with-dispenser-active':
      if (state.pendingCancellationBy !== undefined && state.pendingCancellationBy !== prescriber) return refused('R-0007');
      return {
        ok: true,
        state: { ...state, pendingCancellationBy: prescriber },
        cancellation: state.status === 'with-dispenser' ? 'R-0002' : 'R-0003',
      };
    case 'dispensed':
    case 'claimed':
      return refused('R-0004');
    case 'not-dispensed':
      return refused('R-0010');
    case 'expired':
      return refused('R-0005');
    case 'cancelled':
      return refused('R-0006');
  }
}
