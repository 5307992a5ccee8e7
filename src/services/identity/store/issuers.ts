import type { JWK } from 'jose';
import type { Queryable } from '../../../platform/db/pool.js';
import type { Jwks } from '../keys.js';

export interface TrustedIssuer {
  issuer: string;
  jwks: Jwks;
}

export async function findTrustedIssuer(db: Queryable, issuer: string): Promise<TrustedIssuer | undefined> {
  const { rows } = await db.query<{ issuer: string; jwks: Jwks }>(
    `SELECT issuer, jwks FROM identity.trusted_issuers WHERE issuer = $1`, [issuer]);
  return rows[0];
}

export async function listTrustedIssuers(db: Queryable): Promise<TrustedIssuer[]> {
  const { rows } = await db.query<{ issuer: string; jwks: Jwks }>(`SELECT issuer, jwks FROM identity.trusted_issuers ORDER BY issuer`);
  return rows;
}

/** Adds or replaces an external issuer's keys (key rotation is a replace). */
export async function upsertTrustedIssuer(db: Queryable, issuer: TrustedIssuer): Promise<void> {
  await db.query(
    `INSERT INTO identity.trusted_issuers (issuer, jwks) VALUES ($1, $2)
     ON CONFLICT (issuer) DO UPDATE SET jwks = EXCLUDED.jwks`, [issuer.issuer, JSON.stringify(issuer.jwks)]);
}

/** Stores a signing issuer unless it exists (first process wins), then returns the stored private key. */
export async function ensureSigningIssuer(db: Queryable, issuer: string, candidate: { jwks: Jwks; privateJwk: JWK }): Promise<JWK> {
  await db.query(
    `INSERT INTO identity.trusted_issuers (issuer, jwks, private_jwk) VALUES ($1, $2, $3) ON CONFLICT (issuer) DO NOTHING`,
    [issuer, JSON.stringify(candidate.jwks), JSON.stringify(candidate.privateJwk)]);
  const { rows } = await db.query<{ private_jwk: JWK | null }>(
    `SELECT private_jwk FROM identity.trusted_issuers WHERE issuer = $1`, [issuer]);
  const stored = rows[0]!.private_jwk;
  if (!stored) throw new Error(`issuer '${issuer}' is registered as an external issuer; it cannot sign here`);
  return stored;
}

export async function findSigningKey(db: Queryable, issuer: string): Promise<JWK | undefined> {
  const { rows } = await db.query<{ private_jwk: JWK | null }>(
    `SELECT private_jwk FROM identity.trusted_issuers WHERE issuer = $1`, [issuer]);
  return rows[0]?.private_jwk ?? undefined;
}
