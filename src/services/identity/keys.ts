import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, compactVerify, exportJWK, importJWK, type JWK } from 'jose';

const generateRsa = promisify(generateKeyPair);

export interface Jwks {
  keys: JWK[];
}

export interface GeneratedKeyPair {
  kid: string;
  privateKeyPem: string;
  /** The public half as a JWK with `kid`, `alg` and `use`, ready for a JWKS. */
  publicJwk: JWK;
  privateJwk: JWK;
}

/**
 * An RSA key pair for signing JWTs. NHS England asks for 4096-bit keys; demo keys use 2048 so a
 * fresh Spine (and every test) starts quickly. The kid is the key's RFC 7638 thumbprint: stable and unique.
 */
export async function generateSigningKey(alg: 'RS512' | 'RS256', bits = 4096): Promise<GeneratedKeyPair> {
  const { publicKey, privateKey } = await generateRsa('rsa', { modulusLength: bits });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { kid, privateKeyPem, publicJwk: { ...publicJwk, kid, alg, use: 'sig' }, privateJwk };
}

export function isJwks(value: unknown): value is Jwks {
  return typeof value === 'object' && value !== null && Array.isArray((value as Jwks).keys)
    && (value as Jwks).keys.every((k) => typeof k === 'object' && k !== null && typeof k.kty === 'string');
}

export function findKey(jwks: Jwks, kid: string): JWK | undefined {
  return jwks.keys.find((key) => key.kid === kid);
}

/** True when the compact JWS verifies with the key under the given algorithm; never throws. */
export async function signatureVerifies(compact: string, jwk: JWK, alg: string): Promise<boolean> {
  try {
    const key = await importJWK({ ...jwk, alg }, alg);
    await compactVerify(compact, key, { algorithms: [alg] });
    return true;
  } catch {
    return false;
  }
}
