/**
 * Places held at once, counted in all and by key (a client address, a mailbox), each count with its
 * cap: a key enters while both have room. Admission's stalled bodies (http/stalled-bodies.ts) and
 * MESH's upload slots keep their places so.
 */
export class CappedCounts {
  private count = 0;
  private readonly byKey = new Map<string, number>();

  constructor(readonly max: number, readonly perKey: number) {}

  get size(): number {
    return this.count;
  }

  fits(key: string): boolean {
    return this.count < this.max && (this.byKey.get(key) ?? 0) < this.perKey;
  }

  /** Takes a place for `key`; false when there is none. */
  enter(key: string): boolean {
    if (!this.fits(key)) return false;
    this.count += 1;
    this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
    return true;
  }

  leave(key: string): void {
    this.count -= 1;
    const left = (this.byKey.get(key) ?? 1) - 1;
    if (left > 0) this.byKey.set(key, left);
    else this.byKey.delete(key);
  }
}
