import { CappedCounts } from '../../../platform/capped-counts.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';

/**
 * A body larger than one segment (and every chunk after the first) streams into the database inside
 * the transaction that records it, so its upload holds a pooled connection for as long as its client
 * takes to send it. Unbounded, one mailbox sending slowly on as many connections as the pool has
 * holds them all, and every API of the Spine answers 503 until it stops. So uploads that stream
 * take a slot first: at most `total` at once in this process, and at most `perMailbox` of them for
 * one mailbox, so the rest of the pool stays free for everything else and one mailbox cannot take
 * every slot. An upload waits up to `waitMs` for a slot (holding no connection), then is refused
 * with 503 and Retry-After, as any call that cannot get a connection in time.
 */
export class UploadSlots {
  private readonly slots: CappedCounts;
  private readonly waiting: Array<{ mailboxId: string; grant(): void }> = [];

  constructor(readonly total: number, readonly perMailbox: number, private readonly waitMs: number) {
    this.slots = new CappedCounts(total, perMailbox);
  }

  /** Slots for a pool of `poolMax` connections: a quarter of it, and half of that for one mailbox. */
  static forPool(poolMax: number, waitMs: number): UploadSlots {
    const total = Math.max(1, Math.floor(poolMax / 4));
    return new UploadSlots(total, Math.max(1, Math.ceil(total / 2)), waitMs);
  }

  /**
   * Runs `work` (the upload's transaction) in a slot of `mailboxId`'s. `refused` runs before the 503
   * when no slot came free (the request did nothing: its token's nonce is released for the retry).
   */
  async run<T>(mailboxId: string, work: () => Promise<T>, refused?: () => Promise<void>): Promise<T> {
    try {
      await this.acquire(mailboxId);
    } catch (err) {
      // The 503 stands whatever becomes of this (a retry whose nonce stayed claimed is then a 403).
      await refused?.().catch(() => undefined);
      throw err;
    }
    try {
      return await work();
    } finally {
      this.release(mailboxId);
    }
  }

  private acquire(mailboxId: string): Promise<void> {
    // Every waiting upload that fits is granted its slot at once (release), so none that fits waits:
    // an upload that fits now takes a slot before no one. One that does not waits its turn.
    if (this.slots.enter(mailboxId)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        mailboxId,
        grant: () => {
          clearTimeout(timer);
          this.slots.enter(mailboxId);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(meshError(MESH_ERRORS.UPLOADS_BUSY, { diagnostics: `No upload slot came free within ${this.waitMs} ms: at most ${this.perMailbox} uploads of one mailbox stream at once` }));
      }, this.waitMs);
      this.waiting.push(waiter);
    });
  }

  private release(mailboxId: string): void {
    this.slots.leave(mailboxId);
    // Wake, in order, every waiting upload that now fits (another mailbox's may fit when the first does not).
    for (let i = 0; i < this.waiting.length && this.slots.size < this.total;) {
      const next = this.waiting[i]!;
      if (this.slots.fits(next.mailboxId)) {
        this.waiting.splice(i, 1);
        next.grant();
      } else {
        i += 1;
      }
    }
  }
}
