import { isDatabaseUnavailable } from './faults.js';
import type { Queryable } from './pool.js';

/**
 * Like statements of concurrent requests, sent as one. A hot statement costs PostgreSQL far more
 * in its round trip (the wake-up, the protocol, the commit) than in its work: measured on the NRL
 * store, a search by NHS number costs 0.37–0.54 ms of PostgreSQL CPU alone and 0.06–0.09 ms as one
 * of a batch of ten or twenty. So a request hands its item to a coalescer, which sends the items
 * handed to it during one turn of the event loop together at the end of that turn, if fewer than
 * `inFlight` batches are running on that database; otherwise they wait, with those that arrive
 * meanwhile, for the next batch to start as one ends. Under light load each item goes alone, as
 * before; the busier the server, the larger the batches. Nothing waits on a timer.
 *
 * `run` answers every item of a batch in one statement (one implicit transaction for a write), in
 * the items' order. When a batch fails for a database fault, every item fails with it (503s); when
 * it fails for anything else (a constraint, bad data), each item is run alone, so only the item at
 * fault fails.
 *
 * `db` must not be inside a transaction another item's request could not see: the pool, or a
 * replica's client. Keyed by `db` and `key` (a statement's shape), so only like items share a batch.
 */
export interface Coalescer<I, R> {
  (db: Queryable, key: string, item: I): Promise<R>;
}

export interface CoalesceOptions {
  /** Most items in one statement; more wait for the next batch. */
  maxBatch?: number;
  /** Batches running at once per database and key. */
  inFlight?: number;
}

interface Waiting<I, R> {
  item: I;
  resolve(value: R): void;
  reject(err: unknown): void;
}

interface Queue<I, R> {
  waiting: Waiting<I, R>[];
  running: number;
  /** A drain is due at the end of this turn of the event loop. */
  due: boolean;
}

export function createCoalescer<I, R>(
  run: (db: Queryable, key: string, items: readonly I[]) => Promise<R[]>,
  { maxBatch = 50, inFlight = 2 }: CoalesceOptions = {},
): Coalescer<I, R> {
  const queues = new WeakMap<Queryable, Map<string, Queue<I, R>>>();

  async function runBatch(db: Queryable, key: string, batch: Waiting<I, R>[]) {
    let results: R[];
    try {
      results = await run(db, key, batch.map((w) => w.item));
    } catch (err) {
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      // The statement failed for something in it: each item alone, so only the one at fault fails.
      await Promise.all(batch.map((w) => runBatch(db, key, [w])));
      return;
    }
    if (results.length !== batch.length) {
      const err = new Error(`coalesced statement ${key} answered ${results.length} results for ${batch.length} items`);
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]!));
  }

  function drain(db: Queryable, key: string, queue: Queue<I, R>, byKey: Map<string, Queue<I, R>>) {
    while (queue.running < inFlight && queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, maxBatch);
      queue.running += 1;
      void runBatch(db, key, batch).finally(() => {
        queue.running -= 1;
        drain(db, key, queue, byKey);
      });
    }
    // An idle queue goes, so keys come and go without the map growing.
    if (queue.running === 0 && queue.waiting.length === 0 && !queue.due) byKey.delete(key);
  }

  return (db, key, item) => new Promise<R>((resolve, reject) => {
    let byKey = queues.get(db);
    if (!byKey) {
      byKey = new Map();
      queues.set(db, byKey);
    }
    let queue = byKey.get(key);
    if (!queue) {
      queue = { waiting: [], running: 0, due: false };
      byKey.set(key, queue);
    }
    queue.waiting.push({ item, resolve, reject });
    // Not at once: the other requests read in this turn of the event loop join the same batch.
    if (!queue.due) {
      queue.due = true;
      const due = queue;
      setImmediate(() => {
        due.due = false;
        drain(db, key, due, byKey);
      });
    }
  });
}
