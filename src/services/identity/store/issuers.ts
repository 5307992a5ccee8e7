import type { JWK } from 'jose';
import type { Queryable } from '../../../platform/db/pool.js';
import type { Jwks } from '../keys.js';
import { canBeStoredKey, storedJti } from './text-keys.js';

export const ISSUER_KINDS = ['cis2', 'nhs-login'] as const;
export type IssuerKind = typeof ISSUER_KINDS[number];

export interface TrustedIssuer {
  issuer: string;
  jwks: Jwks;
  /** The client ids this issuer issues ID tokens to that we accept as `aud`: none means no token is accepted. */
  clientIds: string[];
  /** CIS2: staff with role profiles; NHS login: patients with a verified NHS number. */
  kind: IssuerKind;
}

const COLUMNS = `issuer, jwks, client_ids AS "clientIds", kind`;

export async function findTrustedIssuer(db: Queryable, issuer: string): Promise<TrustedIssuer | undefined> {
  if (!canBeStoredKey(issuer)) return undefined;
  const { rows } = await db.query<TrustedIssuer>(`SELECT ${COLUMNS} FROM identity.trusted_issuers WHERE issuer = $1`, [issuer]);
  return rows[0];
}

export async function listTrustedIssuers(db: Queryable): Promise<TrustedIssuer[]> {
  const { rows } = await db.query<TrustedIssuer>(`SELECT ${COLUMNS} FROM identity.trusted_issuers ORDER BY issuer`);
  return rows;
}

/** Adds or replaces an external issuer's keys, accepted clients and kind (key rotation is a replace). */
export async function upsertTrustedIssuer(db: Queryable, issuer: TrustedIssuer): Promise<void> {
  await db.query(
    `INSERT INTO identity.trusted_issuers (issuer, jwks, client_ids, kind) VALUES ($1, $2, $3, $4)
     ON CONFLICT (issuer) DO UPDATE SET jwks = EXCLUDED.jwks, client_ids = EXCLUDED.client_ids, kind = EXCLUDED.kind`,
    [issuer.issuer, JSON.stringify(issuer.jwks), issuer.clientIds, issuer.kind]);
}

/**
 * Stores a signing issuer unless it exists (first process wins), then returns the stored private
 * key. Its accepted client ids are set either way, so a store made before they existed gets them.
 */
export async function ensureSigningIssuer(db: Queryable, issuer: string, candidate: { jwks: Jwks; privateJwk: JWK; clientIds: string[] }): Promise<JWK> {
  await db.query(
    `INSERT INTO identity.trusted_issuers (issuer, jwks, private_jwk, client_ids) VALUES ($1, $2, $3, $4)
     ON CONFLICT (issuer) DO UPDATE SET client_ids = EXCLUDED.client_ids WHERE identity.trusted_issuers.private_jwk IS NOT NULL`,
    [issuer, JSON.stringify(candidate.jwks), JSON.stringify(candidate.privateJwk), candidate.clientIds]);
  const { rows } = await db.query<{ private_jwk: JWK | null }>(
    `SELECT private_jwk FROM identity.trusted_issuers WHERE issuer = $1`, [issuer]);
  const stored = rows[0]!.private_jwk;
  if (!stored) throw new Error(`issuer '${issuer}' is registered as an external issuer; it cannot sign here`);
  return stored;
}

export async function setIssuerClientIds(db: Queryable, issuer: string, clientIds: string[]): Promise<void> {
  await db.query(`UPDATE identity.trusted_issuers SET client_ids = $2 WHERE issuer = $1`, [issuer, clientIds]);
}

export async function findSigningKey(db: Queryable, issuer: string): Promise<JWK | undefined> {
  const { rows } = await db.query<{ private_jwk: JWK | null }>(
    `SELECT private_jwk FROM identity.trusted_issuers WHERE issuer = $1`, [issuer]);
  return rows[0]?.private_jwk ?? undefined;
}

/**
 * Remembers an exchanged ID token (its issuer and `jti`) until it expires. False when it was
 * exchanged before: the primary key makes this hold across every process on the database.
 */
export async function recordIdTokenUse(db: Queryable, issuer: string, jti: string, expiresAt: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO identity.used_id_tokens (issuer, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [issuer, storedJti(jti), expiresAt]);
  return rowCount === 1;
}

/** An expired ID token is refused on its exp alone, so its jti need not be kept. */
export async function purgeExpiredIdTokenUses(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM identity.used_id_tokens WHERE expires_at < $1`, [now]);
  return rowCount ?? 0;
}
