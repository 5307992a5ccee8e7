import { createHash } from 'node:crypto';

/**
 * Values that arrive inside a JWT (an assertion's `iss` and `jti`, an ID token's `iss` and `jti`)
 * reach the database before anyone is authenticated, or from a signer we trust only so far. A
 * PostgreSQL text cannot hold NUL (the query fails: a 500 for anyone who sends "\u0000"), and a
 * btree key must stay small; so such values are checked or reduced here, where the SQL is.
 */

/** Longer than any API key or issuer we register (admin door: issuers at most 500 characters). */
const MAX_LOOKUP_LENGTH = 500;

/** True when the value could be a stored key: otherwise it is nobody's, answered without a query. */
export const canBeStoredKey = (value: string) => value.length <= MAX_LOOKUP_LENGTH && !value.includes('\u0000');

/** A jti is usually a UUID; a huge one, or one holding NUL, is kept as its digest. */
export const storedJti = (jti: string) =>
  (jti.length <= 200 && !jti.includes('\u0000') ? jti : `sha256:${createHash('sha256').update(jti).digest('hex')}`);
