import type pg from 'pg';
import type { Db } from '../db/pool.js';
import { PLATFORM_ERRORS, SpineError } from '../http/errors.js';
import { systemClock, type Clock } from '../clock.js';
import type { AuditEntry } from './entry.js';
import { toAuditRecord, type AuditRecord, type ChainHead } from './chain.js';
import { anyPendingAudit, appendAuditRecords, takePendingAudit } from './store.js';

/**
 * Services hand audit entries to this writer; `record` resolves once the entry is durable, and a
 * response must await it before it is sent.
 */
export interface AuditWriter {
  record(entry: AuditEntry): Promise<void>;
  /**
   * The entry's stored form, for a write that records it in its own transaction
   * (`insertPendingAudit`, `pendingAuditInsertFrom`): the write and its entry then commit together,
   * and the writer chains the entry after (`chainSoon`). Throws as `record` rejects.
   */
  pending(entry: AuditEntry): string;
  /** Chains the pending entries of every process (they are durable already): soon, in one batch with others. */
  chainSoon(): void;
  /** Chains every pending entry committed before the call: before reading the chain, so they show. */
  chainPending(): Promise<void>;
  /**
   * The periodic pass for entries no process chained (their process stopped first): one read when
   * nothing is pending, a chaining pass when something is. Never rejects: a failure is logged once,
   * and the next sweep tries again.
   */
  sweepPending(): Promise<void>;
  /** Flushes anything queued and chains what is pending; called on shutdown. */
  close(): Promise<void>;
}

export interface AuditWriterOptions {
  clock?: Clock;
  /** Most records in one INSERT; more wait for the next flush. */
  maxBatch?: number;
  /** How long `chainSoon` gathers pending entries before chaining them (default 20 ms). */
  chainDelayMs?: number;
  /** Where a failed flush is reported (the operator's log). */
  log?: { warn(obj: object, msg: string): void };
}

interface Pending {
  record: Omit<AuditRecord, 'seq'>;
  resolve(): void;
  reject(err: unknown): void;
}

/** The trail could not be written, so the request must not complete: a 503 to the client. */
export class AuditUnavailableError extends SpineError {
  constructor(diagnostics: string, cause?: unknown) {
    super(PLATFORM_ERRORS.SERVICE_UNAVAILABLE, diagnostics);
    // The database's own message stays here for operators; clients are not told internals.
    if (cause !== undefined) this.cause = cause;
  }
}

export class AuditWriterClosedError extends AuditUnavailableError {
  constructor() {
    super('The audit trail is closed (the service is shutting down): the request was not completed');
  }
}

/**
 * Group commit: `record` queues the entry and returns a promise; one flush at a time writes
 * everything queued in one transaction (one INSERT, one fsync) and then settles all of its
 * promises. Entries arriving while a flush is in flight gather for the next one, so under load a
 * commit carries many requests and the per-request cost stays far below one fsync. A failed flush
 * rejects every promise of its batch: the callers fail their requests rather than answer un-audited.
 */
export function createAuditWriter(db: Db, options: AuditWriterOptions | Clock = {}): AuditWriter {
  const { clock = systemClock, maxBatch = 5_000, chainDelayMs = 20, log } = 'now' in options ? { clock: options } : options;
  let pending: Pending[] = [];
  let flushing: Promise<void> | undefined;
  let closed = false;
  // The chain head as this writer last left it: usually still the head, so a flush is one statement.
  let head: ChainHead | undefined;
  // The writer's own connection: under load, request handlers can hold every client of the shared
  // pool, and every one of those requests is waiting for this flush. Opened on first use; an idle
  // one does not keep a CLI process alive.
  let connection: pg.Pool | undefined;
  function ownConnection(): pg.Pool {
    if (!connection) {
      // The database's timeouts and fault handling, on a connection of its own.
      connection = db.openPool({ max: 1, idleTimeoutMillis: 30_000, allowExitOnIdle: true });
    }
    return connection;
  }

  /**
   * Runs `work` on the writer's own connection. On failure the head is forgotten (re-read next
   * time) and the client discarded, not reused: it may have a broken connection, and a transaction
   * it was in is rolled back with it.
   */
  async function onOwnConnection<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await ownConnection().connect();
    let failure: Error | undefined;
    try {
      return await work(client);
    } catch (err) {
      failure = err as Error;
      head = undefined;
      throw err;
    } finally {
      client.release(failure);
    }
  }

  async function flushBatch(batch: Pending[]) {
    try {
      await onOwnConnection(async (client) => {
        head = await appendAuditRecords(client, batch.map((p) => p.record), head);
      });
    } catch (err) {
      // Every request of the batch fails for it: the operator must hear why.
      log?.warn({ err: (err as Error).message, code: (err as { code?: unknown }).code, records: batch.length }, 'audit records could not be written: their requests answered 503');
      const failure = new AuditUnavailableError('The audit trail could not be written: the request was not completed', err);
      for (const p of batch) p.reject(failure);
      return;
    }
    for (const p of batch) p.resolve();
  }

  /** One transaction: takes up to a batch of pending entries and appends them to the chain; on failure they stay pending. */
  function chainPendingBatch(): Promise<number> {
    return onOwnConnection(async (client) => {
      await client.query('BEGIN');
      const records = await takePendingAudit(client, maxBatch);
      if (records.length > 0) head = await appendAuditRecords(client, records, head);
      await client.query('COMMIT');
      return records.length;
    });
  }

  // One chaining at a time; a call during one asks for another pass after it, which sees the
  // caller's committed entries (the pass in progress may have looked before they committed).
  let chaining: Promise<void> | undefined;
  let chainRequested = false;
  let chainTimer: NodeJS.Timeout | undefined;
  function chainPending(): Promise<void> {
    chainRequested = true;
    chaining ??= (async () => {
      try {
        while (chainRequested) {
          chainRequested = false;
          while ((await chainPendingBatch()) === maxBatch);
        }
      } catch (err) {
        log?.warn({ err: (err as Error).message, code: (err as { code?: unknown }).code }, 'pending audit entries could not be chained: they stay pending, the next pass tries again');
        throw new AuditUnavailableError('The audit trail could not be read: the request was not completed', err);
      } finally {
        chaining = undefined;
      }
    })();
    return chaining;
  }

  async function drain() {
    while (pending.length > 0) {
      const batch = pending.length <= maxBatch ? pending : pending.slice(0, maxBatch);
      pending = pending.length <= maxBatch ? [] : pending.slice(maxBatch);
      await flushBatch(batch);
    }
    flushing = undefined;
  }

  return {
    record(entry) {
      if (closed) return Promise.reject(new AuditWriterClosedError());
      let record: Omit<AuditRecord, 'seq'>;
      try {
        record = toAuditRecord(entry, clock.now());
      } catch (err) {
        return Promise.reject(err);
      }
      return new Promise<void>((resolve, reject) => {
        pending.push({ record, resolve, reject });
        flushing ??= drain();
      });
    },
    pending(entry) {
      return JSON.stringify(toAuditRecord(entry, clock.now()));
    },
    chainSoon() {
      if (closed || chainTimer) return;
      chainTimer = setTimeout(() => {
        chainTimer = undefined;
        chainPending().catch(() => undefined);
      }, chainDelayMs);
    },
    chainPending,
    async sweepPending() {
      if (closed) return;
      let anything: boolean;
      try {
        anything = await onOwnConnection(anyPendingAudit);
      } catch (err) {
        log?.warn({ err: (err as Error).message, code: (err as { code?: unknown }).code }, 'pending audit entries could not be looked for: the next sweep tries again');
        return;
      }
      // A failed pass has logged why.
      if (anything) await chainPending().catch(() => undefined);
    },
    async close() {
      closed = true;
      while (flushing) await flushing;
      clearTimeout(chainTimer);
      chainTimer = undefined;
      // What a write committed but nobody chained yet; left pending (for any process's next pass) if this fails.
      await chainPending().catch(() => undefined);
      await connection?.end();
      connection = undefined;
    },
  };
}
