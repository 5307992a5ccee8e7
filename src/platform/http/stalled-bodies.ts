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
