import type { Queryable } from '../../../platform/db/pool.js';

export interface StoredAuthorizationCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  idToken: string;
  expiresAt: Date;
}

export async function insertAuthorizationCode(db: Queryable, codeHash: string, code: StoredAuthorizationCode): Promise<void> {
  await db.query(
    `INSERT INTO identity.demo_authorization_codes (code_hash, client_id, redirect_uri, code_challenge, id_token, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [codeHash, code.clientId, code.redirectUri, code.codeChallenge, code.idToken, code.expiresAt]);
}

/** Takes a code out of the store: whatever happens next, it cannot be redeemed twice. */
export async function takeAuthorizationCode(db: Queryable, codeHash: string): Promise<StoredAuthorizationCode | undefined> {
  const { rows } = await db.query<StoredAuthorizationCode>(
    `DELETE FROM identity.demo_authorization_codes WHERE code_hash = $1
     RETURNING client_id AS "clientId", redirect_uri AS "redirectUri", code_challenge AS "codeChallenge", id_token AS "idToken", expires_at AS "expiresAt"`,
    [codeHash]);
  return rows[0];
}

export async function purgeExpiredAuthorizationCodes(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM identity.demo_authorization_codes WHERE expires_at < $1', [now]);
  return rowCount ?? 0;
}
