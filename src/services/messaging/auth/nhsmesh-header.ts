import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The `NHSMESH` Authorization header (spec, "MESH Authorization header"):
 * `NHSMESH {mailbox}:{nonce}:{nonce_count}:{yyyyMMddHHmm}:{hex HMAC-SHA256}` where the HMAC key is
 * the environment shared secret and the message is `mailbox:nonce:nonce_count:password:timestamp`.
 */
export interface MeshToken {
  mailboxId: string;
  nonce: string;
  nonceCount: string;
  /** As sent, `yyyyMMddHHmm`. */
  timestamp: string;
  /** The moment the timestamp names (UTC). */
  issuedAt: Date;
  hash: string;
}

const SCHEME = 'NHSMESH ';
const TIMESTAMP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
// Limits keep a hostile header from costing work: mailbox ids and nonces are short in practice.
const PART = /^[A-Za-z0-9._-]{1,100}$/;
const NONCE_COUNT = /^\d{1,10}$/;

export function parseTimestamp(value: string): Date | undefined {
  const match = TIMESTAMP.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi));
  // Reject rolled-over dates such as month 13 or 31 February.
  if (at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d || at.getUTCHours() !== h || at.getUTCMinutes() !== mi) {
    return undefined;
  }
  return at;
}

export function formatTimestamp(at: Date): string {
  return at.toISOString().slice(0, 16).replace(/[-:T]/g, '');
}

/** Parses the header; undefined when it is not a well-formed NHSMESH token. */
export function parseMeshAuthorization(header: string | undefined): MeshToken | undefined {
  if (!header || header.length > 1000 || !header.startsWith(SCHEME)) return undefined;
  const parts = header.slice(SCHEME.length).split(':');
  if (parts.length !== 5) return undefined;
  const [mailboxId, nonce, nonceCount, timestamp, hash] = parts as [string, string, string, string, string];
  if (!PART.test(mailboxId) || !PART.test(nonce) || !NONCE_COUNT.test(nonceCount) || !HEX_SHA256.test(hash)) return undefined;
  const issuedAt = parseTimestamp(timestamp);
  if (!issuedAt) return undefined;
  return { mailboxId, nonce, nonceCount, timestamp, issuedAt, hash: hash.toLowerCase() };
}

export function meshHmac(sharedKey: string, mailboxId: string, nonce: string, nonceCount: string, password: string, timestamp: string): string {
  return createHmac('sha256', sharedKey).update(`${mailboxId}:${nonce}:${nonceCount}:${password}:${timestamp}`).digest('hex');
}

/** Builds a header, as a MESH client does (used by tests, the bench and the seed tooling). */
export function buildMeshAuthorization(input: {
  mailboxId: string; password: string; sharedKey: string; nonce: string; nonceCount?: number; at: Date;
}): string {
  const count = String(input.nonceCount ?? 0);
  const timestamp = formatTimestamp(input.at);
  const hash = meshHmac(input.sharedKey, input.mailboxId, input.nonce, count, input.password, timestamp);
  return `${SCHEME}${input.mailboxId}:${input.nonce}:${count}:${timestamp}:${hash}`;
}

/** Constant-time comparison of the token's hash with the one we compute. */
export function hashMatches(token: MeshToken, sharedKey: string, password: string): boolean {
  const expected = Buffer.from(meshHmac(sharedKey, token.mailboxId, token.nonce, token.nonceCount, password, token.timestamp), 'hex');
  const given = Buffer.from(token.hash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function withinClockWindow(issuedAt: Date, now: Date, windowMs: number): boolean {
  return Math.abs(now.getTime() - issuedAt.getTime()) <= windowMs;
}
