import type { IncomingMessage } from 'node:http';
import { CappedCounts } from '../capped-counts.js';

/**
 * Requests whose client is slow to send the body. Admission counts a request from its arrival, so
 * without this a client that opens connections and sends their bodies a byte at a time holds every
 * place in the limit with work the server is not doing (a slow-loris): found by probing, 200 token
 * requests trickling their bodies, unauthenticated, had every other call of the Spine shed with 503.
 * A request still receiving its body once a retry's time has passed (a tenth of a second, while
 * others wait for a place: shed.ts) gives its place back and waits here instead, counted apart: at most `max` at once, and at most `perAddress` from one client
 * address (the socket's: the platform trusts no forwarded-for header), so a few clients cannot take
 * every place here either. One that finds no place is dropped (its connection closed).
 */
export class StalledBodies extends CappedCounts {
  /** Places for an admission limit of at most `maxInFlight`: as many again, a quarter of them for one address. */
  static forLimit(maxInFlight: number): StalledBodies {
    const max = Math.max(4, maxInFlight);
    return new StalledBodies(max, Math.max(1, Math.floor(max / 4)));
  }

  get perAddress(): number {
    return this.perKey;
  }
}

/**
 * While others wait for a place, a body not in after this long gives its place back at once: a
 * client on any working network sends a request's body in a few milliseconds. Without it, a client
 * opening a few hundred slow connections a second held a place with each for its first second,
 * and most other calls were shed (found by probing).
 */
export const PRESSED_BODY_MS = 100;

/** Admitted requests whose body was still arriving, in admission order, each with the way it gives its place back (shed.ts). */
export class ReceivingBodies {
  private readonly watched = new Map<IncomingMessage, { admitted: number; giveBack: () => void }>();

  watch(request: IncomingMessage, admitted: number, giveBack: () => void): void {
    this.watched.set(request, { admitted, giveBack });
  }

  forget(request: IncomingMessage): void {
    this.watched.delete(request);
  }

  /** With others waiting: those still receiving their bodies after PRESSED_BODY_MS give their places back. */
  yieldSlow(now: number): void {
    for (const [request, slow] of this.watched) {
      if (request.complete) {
        this.watched.delete(request);
        continue;
      }
      // In admission order: the rest came in later still.
      if (now - slow.admitted < PRESSED_BODY_MS) return;
      slow.giveBack();
    }
  }
}
