import type { Db, Queryable } from '../../../platform/db/pool.js';
import { preparedQuery } from './prepared.js';

/** Single-use NHSMESH nonces, shared by every process serving the database. */
export interface NonceLedger {
  /** Records a token's nonce; false when the same (mailbox, nonce, nonce_count) was seen before. */
  claim(mailboxId: string, nonce: string, nonceCount: string, tokenTime: Date): Promise<boolean>;
  /**
   * Forgets a claim, for a request refused before it did anything because the Spine was busy (503,
   * no upload slot): clients retry a 503 with the same token (NHS England's mesh-client resends the
   * request as it was), which must then be taken, not refused as a replay (403).
   */
  release(claim: NonceClaim): Promise<void>;
  /**
   * The ledger's pool, for read statements that claim their nonce themselves (`nonceCte`): a list
   * or a download is then one round trip. Its commits are synchronous (a claimed nonce survives a
   * crash of PostgreSQL); concurrent commits share their WAL flush (group commit).
   */
  readonly readPool: Queryable;
  close(): Promise<void>;
}

export interface NonceClaim {
  mailboxId: string;
  nonce: string;
  nonceCount: string;
  tokenTime: Date;
}

interface Pending extends NonceClaim {
  key: string;
  resolve(fresh: boolean): void;
  reject(err: unknown): void;
}

const keyOf = (c: NonceClaim) => `${c.mailboxId}\n${c.nonce}\n${c.nonceCount}`;

/**
 * For a statement that claims its request's nonce itself (in the same round trip as its work): the
 * CTEs `nonce` (the claim; no row when the nonce was seen before) and `fresh` (its count, 0 or 1),
 * with the claim's values at `$first`…`$first+3` (`nonceValues`). The statement must do nothing
 * unless `fresh = 1`, and say `fresh` so the caller refuses a replay.
 */
export function nonceCte(first: number): string {
  return `nonce AS (
       INSERT INTO messaging.auth_nonces (mailbox_id, nonce, nonce_count, token_time) VALUES ($${first}, $${first + 1}, $${first + 2}, $${first + 3})
       ON CONFLICT DO NOTHING RETURNING 1),
     fresh AS (SELECT count(*)::int AS fresh FROM nonce)`;
}

export function nonceValues(c: NonceClaim): unknown[] {
  return [c.mailboxId, c.nonce, c.nonceCount, c.tokenTime];
}

/**
 * Every MESH call claims a nonce, so this is the busiest write of the service. The hot calls
 * claim theirs inside their own statement (`nonceCte`); the others come here. Claims are grouped:
 * while a flush is in flight, new claims queue, and the next flush inserts them all in one
 * statement (as the audit writer does with its records), so under load a request costs a small
 * share of a round trip. Still atomic across processes: the primary key decides, and a second
 * process inserting the same nonce waits for the first's commit and then finds it. Flushes
 * insert in key order, so two overlapping flushes cannot deadlock.
 *
 * The claims run on their own small pool, with synchronous commit like every other write: a
 * claim is durable before the request it authorises goes on, so no used header is accepted again,
 * even after PostgreSQL crashes. The cost stays small because claims are batched here and the
 * statements that claim in-line commit together (one WAL flush serves many commits).
 */
export function nonceLedger(db: Db, connections = 2, maxBatch = 1_000, readConnections = 8): NonceLedger {
  const pool = db.openPool({ max: connections + readConnections, allowExitOnIdle: true });
  let pending: Pending[] = [];
  let inFlight = 0;

  async function flush(batch: Pending[]) {
    try {
      const fresh = await claimNonces(pool, batch);
      // Within one batch a repeated key is granted once, to its first claimant.
      for (const p of batch) {
        const granted = fresh.has(p.key);
        fresh.delete(p.key);
        p.resolve(granted);
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }

  function pump() {
    while (inFlight < connections && pending.length > 0) {
      const batch = pending.length <= maxBatch ? pending : pending.slice(0, maxBatch);
      pending = pending.length <= maxBatch ? [] : pending.slice(maxBatch);
      inFlight += 1;
      void flush(batch).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  }

  return {
    readPool: pool,
    claim(mailboxId, nonce, nonceCount, tokenTime) {
      return new Promise<boolean>((resolve, reject) => {
        const claim = { mailboxId, nonce, nonceCount, tokenTime };
        pending.push({ ...claim, key: keyOf(claim), resolve, reject });
        pump();
      });
    },
    async release(claim) {
      await pool.query('DELETE FROM messaging.auth_nonces WHERE mailbox_id = $1 AND nonce = $2 AND nonce_count = $3', [claim.mailboxId, claim.nonce, claim.nonceCount]);
    },
    async close() {
      while (inFlight > 0 || pending.length > 0) await new Promise((r) => setTimeout(r, 5));
      await pool.end();
    },
  };
}

/** Inserts the claims in key order; the keys of those that were not there before. */
export async function claimNonces(db: Queryable, claims: NonceClaim[]): Promise<Set<string>> {
  const sorted = claims.map((c) => ({ c, key: keyOf(c) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.c);
  const result = await preparedQuery<{ mailbox_id: string; nonce: string; nonce_count: string }>(db, 'claim_nonces',
    `INSERT INTO messaging.auth_nonces (mailbox_id, nonce, nonce_count, token_time)
     SELECT mailbox_id, nonce, nonce_count, token_time
     FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS c(mailbox_id, nonce, nonce_count, token_time, n)
     ORDER BY n
     ON CONFLICT DO NOTHING
     RETURNING mailbox_id, nonce, nonce_count`,
    [sorted.map((c) => c.mailboxId), sorted.map((c) => c.nonce), sorted.map((c) => c.nonceCount), sorted.map((c) => c.tokenTime)]);
  return new Set(result.rows.map((r) => keyOf({ mailboxId: r.mailbox_id, nonce: r.nonce, nonceCount: r.nonce_count, tokenTime: new Date(0) })));
}

/** A token older than the clock window is refused anyway, so its nonce need not be kept. */
export async function forgetNoncesBefore(db: Queryable, before: Date): Promise<number> {
  const result = await db.query('DELETE FROM messaging.auth_nonces WHERE token_time < $1', [before]);
  return result.rowCount ?? 0;
}
