import pg from 'pg';
import type { Db, Queryable } from '../../../platform/db/pool.js';
import { preparedQuery } from './prepared.js';

/** Single-use NHSMESH nonces, shared by every process serving the database. */
export interface NonceLedger {
  /** Records a token's nonce; false when the same (mailbox, nonce, nonce_count) was seen before. */
  claim(mailboxId: string, nonce: string, nonceCount: string, tokenTime: Date): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Every MESH call claims a nonce, so this is the busiest write of the service. It runs on its own
 * small pool with `synchronous_commit = off`: the claim is still atomic across processes (a primary
 * key), but does not wait for its WAL flush. What that trades: if PostgreSQL itself crashes, the
 * nonces of its last few hundred milliseconds are forgotten, so a token captured in that instant
 * could be replayed once within its 2-hour window. Messages, chunks and acknowledgements keep
 * full durability; they never share this pool.
 */
export function nonceLedger(db: Db, max = 8): NonceLedger {
  const pool = new pg.Pool({ ...db.pool.options, max, options: '-c synchronous_commit=off', allowExitOnIdle: true });
  pool.on('error', () => undefined);
  return {
    claim: (mailboxId, nonce, nonceCount, tokenTime) => claimNonce(pool, mailboxId, nonce, nonceCount, tokenTime),
    close: () => pool.end(),
  };
}

export async function claimNonce(db: Queryable, mailboxId: string, nonce: string, nonceCount: string, tokenTime: Date): Promise<boolean> {
  const result = await preparedQuery(db, 'claim_nonce',
    `INSERT INTO messaging.auth_nonces (mailbox_id, nonce, nonce_count, token_time) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING`,
    [mailboxId, nonce, nonceCount, tokenTime],
  );
  return result.rowCount === 1;
}

/** A token older than the clock window is refused anyway, so its nonce need not be kept. */
export async function forgetNoncesBefore(db: Queryable, before: Date): Promise<number> {
  const result = await db.query('DELETE FROM messaging.auth_nonces WHERE token_time < $1', [before]);
  return result.rowCount ?? 0;
}
