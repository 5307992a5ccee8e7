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

/**
 * jose refuses RSA keys under 2048 bits for RS256/RS512: a shorter key registered here could never
 * sign in, so it is refused when registered, where the operator learns why.
 */
export const MIN_RSA_MODULUS_BITS = 2048;
/** Larger than any RSA key in use (NHS England asks for 4096 bits): a modulus past it is junk, not a key, and is not stored. */
export const MAX_RSA_MODULUS_BITS = 16384;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The bit length of a JWK's base64url modulus `n` (0 when it is not base64url). */
export function rsaModulusBits(n: string): number {
  if (!BASE64URL.test(n)) return 0;
  const bytes = Buffer.from(n, 'base64url');
  const first = bytes.findIndex((b) => b !== 0);
  return first < 0 ? 0 : (bytes.length - first - 1) * 8 + bytes[first]!.toString(2).length;
}

/** Members only a private or symmetric key has: a JWKS holding one would publish a secret. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/**
 * A public RSA signing key fit to verify `algs`: kty RSA, a modulus of at least 2048 bits and a
 * base64url exponent, no secret member, and `alg`/`use` (optional in a JWK) naming nothing else.
 */
export function isPublicRsaSigningKey(key: JWK, algs: readonly string[]): boolean {
  return key.kty === 'RSA' && typeof key.n === 'string' && key.n.length <= MAX_RSA_MODULUS_BITS / 6 + 4
    && rsaModulusBits(key.n) >= MIN_RSA_MODULUS_BITS && rsaModulusBits(key.n) <= MAX_RSA_MODULUS_BITS
    && typeof key.e === 'string' && BASE64URL.test(key.e) && key.e.length <= 8
    && SECRET_MEMBERS.every((member) => (key as Record<string, unknown>)[member] === undefined)
    && (key.alg === undefined || algs.includes(key.alg)) && (key.use === undefined || key.use === 'sig');
}

/**
 * The members of a public RSA signing key that verifying uses, and nothing else sent with it: a
 * JWKS is stored and listed as registered, so any other member would be kept and served for ever.
 * `kid` is kept when it is a short identifier (1 to 200 characters), else refused by `hasUsableKid`.
 */
export function publicKeyMembers({ kty, kid, n, e, alg, use }: JWK): JWK {
  return { kty, kid, n, e, alg, use };
}

/** An optional `kid` (a trusted issuer's) must, when present, be 1 to 200 characters. */
export const hasUsableKid = (key: JWK, required: boolean) =>
  (key.kid === undefined && !required) || (typeof key.kid === 'string' && key.kid.length > 0 && key.kid.length <= 200);

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
