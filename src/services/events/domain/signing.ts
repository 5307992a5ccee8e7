import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (an OpenSpine extension: neither NEMS nor MNS delivers to webhooks). Each
 * delivery carries `X-OpenSpine-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes under
 * the subscription's secret>` and `Idempotency-Key`; a receiver recomputes the HMAC over the raw
 * body and compares in constant time.
 */
export const SIGNATURE_HEADER = 'x-openspine-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export const newSigningSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function verifySignature(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
