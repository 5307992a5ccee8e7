import { randomUUID, createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';

export interface ClientAssertionInput {
  apiKey: string;
  kid: string;
  privateKeyPem: string;
  /** The token endpoint URL the assertion is for (its `aud`). */
  tokenUrl: string;
  now?: Date;
  /** Seconds until `exp`; NHS England allows at most 300. A little less leaves room for clock skew. */
  lifetimeSeconds?: number;
  jti?: string;
}

/** The client side of NHS England's signed JWT pattern: what a supplier's system sends as `client_assertion`. */
export async function buildClientAssertion(input: ClientAssertionInput): Promise<string> {
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS512', typ: 'JWT', kid: input.kid })
    .setIssuer(input.apiKey)
    .setSubject(input.apiKey)
    .setAudience(input.tokenUrl)
    .setJti(input.jti ?? randomUUID())
    .setExpirationTime(now + (input.lifetimeSeconds ?? 240))
    .sign(createPrivateKey(input.privateKeyPem));
}
