import type { Queryable } from '../../../platform/db/pool.js';

/**
 * Records a token's nonce; false when the same (mailbox, nonce, nonce_count) was seen before.
 * A primary-key insert makes this atomic across any number of processes.
 */
export async function claimNonce(db: Queryable, mailboxId: string, nonce: string, nonceCount: string, tokenTime: Date): Promise<boolean> {
  const result = await db.query(
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
