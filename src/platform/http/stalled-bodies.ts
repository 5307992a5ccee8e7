/**
 * Requests whose client is slow to send the body. Admission counts a request from its arrival, so
 * without this a client that opens connections and sends their bodies a byte at a time holds every
 * place in the limit with work the server is not doing (a slow-loris): found by probing, 200 token
 * requests trickling their bodies, unauthenticated, had every other call of the Spine shed with 503.
 * A request still receiving its body once a retry's time has passed gives its place back and waits
 * here instead, counted apart: at most `max` at once, and at most `perAddress` from one client
 * address (the socket's: the platform trusts no forwarded-for header), so a few clients cannot take
 * every place here either. One that finds no place is dropped (its connection closed).
 */
export class StalledBodies {
  private count = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(readonly max: number, readonly perAddress: number) {}

  /** Places for an admission limit of at most `maxInFlight`: as many again, a quarter of them for one address. */
  static forLimit(maxInFlight: number): StalledBodies {
    const max = Math.max(4, maxInFlight);
    return new StalledBodies(max, Math.max(1, Math.floor(max / 4)));
  }

  get size(): number {
    return this.count;
  }

  /** Takes a place for a stalled request from `address`; false when there is none. */
  enter(address: string): boolean {
    const held = this.byAddress.get(address) ?? 0;
    if (this.count >= this.max || held >= this.perAddress) return false;
    this.count += 1;
    this.byAddress.set(address, held + 1);
    return true;
  }

  leave(address: string): void {
    this.count -= 1;
    const left = (this.byAddress.get(address) ?? 1) - 1;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }
}
