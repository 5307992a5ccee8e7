import type { Queryable } from '../../platform/db/pool.js';
import type { ConsolePerson } from './auth/person.js';

/** The console's only SQL: its sessions and sign-ins in progress (everything it shows comes from other services' api.ts). */

export interface StoredSession {
  person: ConsolePerson;
  csrfToken: string;
  expiresAt: Date;
}

export async function insertSession(db: Queryable, idHash: string, session: StoredSession, now: Date): Promise<void> {
  await db.query(
    'INSERT INTO console.sessions (id_hash, person, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
    [idHash, JSON.stringify(session.person), session.csrfToken, now, session.expiresAt]);
}

export async function findSession(db: Queryable, idHash: string, now: Date): Promise<StoredSession | undefined> {
  const { rows } = await db.query<StoredSession>(
    `SELECT person, csrf_token AS "csrfToken", expires_at AS "expiresAt" FROM console.sessions WHERE id_hash = $1 AND expires_at > $2`,
    [idHash, now]);
  return rows[0];
}

export async function deleteSession(db: Queryable, idHash: string): Promise<void> {
  await db.query('DELETE FROM console.sessions WHERE id_hash = $1', [idHash]);
}

export interface LoginAttempt {
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  expiresAt: Date;
}

export async function insertLoginAttempt(db: Queryable, stateHash: string, attempt: LoginAttempt): Promise<void> {
  await db.query(
    'INSERT INTO console.login_attempts (state_hash, nonce, code_verifier, return_to, expires_at) VALUES ($1, $2, $3, $4, $5)',
    [stateHash, attempt.nonce, attempt.codeVerifier, attempt.returnTo, attempt.expiresAt]);
}

/** Takes a sign-in out of the store: a state is used once. */
export async function takeLoginAttempt(db: Queryable, stateHash: string, now: Date): Promise<LoginAttempt | undefined> {
  const { rows } = await db.query<LoginAttempt>(
    `DELETE FROM console.login_attempts WHERE state_hash = $1
     RETURNING nonce, code_verifier AS "codeVerifier", return_to AS "returnTo", expires_at AS "expiresAt"`, [stateHash]);
  const attempt = rows[0];
  return attempt && attempt.expiresAt > now ? attempt : undefined;
}

export async function purgeExpired(db: Queryable, now: Date): Promise<void> {
  await db.query('DELETE FROM console.sessions WHERE expires_at < $1', [now]);
  await db.query('DELETE FROM console.login_attempts WHERE expires_at < $1', [now]);
}
