import type { Queryable } from '../db/pool.js';
import { ChainVerifier, type ChainBreak, type ChainHead, type ChainedRecord } from './chain.js';
import { readChainHead, readChainPage } from './store.js';

export type ChainVerdict =
  | { intact: true; records: number; head: ChainHead }
  | { intact: false; records: number; broken: ChainBreak };

export interface VerifyOptions {
  /** Records read per query; memory stays bounded by one page. */
  pageSize?: number;
  onProgress?(checked: number, total: number): void;
  /** An intact verdict from before: only the records after its head are read, checked on from it. */
  from?: { head: ChainHead; records: number };
}

/**
 * Walks the whole audit chain in seq order, page by page, and names the first broken record. When
 * the table runs out, the head must point at the last record checked; a head that moved on means
 * records were appended meanwhile (they are committed with their head update), so those are read too.
 */
export async function verifyAuditChain(db: Queryable, options: VerifyOptions = {}): Promise<ChainVerdict> {
  const pageSize = options.pageSize ?? 5_000;
  const verifier = new ChainVerifier(options.from);
  let head = await readChainHead(db);
  let afterSeq = options.from?.head.seq ?? 0;
  let next: Promise<ChainedRecord[]> | undefined;
  try {
    for (;;) {
      const page = await (next ?? readChainPage(db, afterSeq, pageSize));
      next = undefined;
      if (page.length > 0) afterSeq = page[page.length - 1]!.seq;
      // A full page: fetch the next one while this one is hashed (the database and the CPU overlap).
      if (page.length === pageSize) next = readChainPage(db, afterSeq, pageSize);
      for (const record of page) {
        const broken = verifier.check(record);
        if (broken) return { intact: false, records: verifier.checked, broken };
      }
      options.onProgress?.(verifier.checked, Math.max(head.seq, afterSeq));
      if (page.length === pageSize) continue;
      const latest = await readChainHead(db);
      const movedOn = latest.seq !== head.seq;
      head = latest;
      // Stop when the head is reached, or when nothing more is there to read (records missing at the end).
      if (head.seq <= afterSeq || (!movedOn && page.length === 0)) break;
    }
  } finally {
    // A prefetch still in flight when a break is found: settle it so its result is not left unhandled.
    await next?.catch(() => undefined);
  }
  const broken = verifier.finish(head);
  if (broken) return { intact: false, records: verifier.checked, broken };
  return { intact: true, records: verifier.checked, head };
}
