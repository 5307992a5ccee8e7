import type { FastifyRequest } from 'fastify';
import type { MeshMailbox } from '../../directory/api.js';
import type { ApiVersion } from '../protocol/api-version.js';
import type { NonceClaim } from '../store/nonces.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** MESH routes the spec leaves open (no NHSMESH header): `_ping`, endpoint lookup, workflow search. */
    meshPublic?: boolean;
    /**
     * The route claims the request's nonce in its own main statement (`nonceOf`), saving a round
     * trip; the authentication hook checks everything else. Every path of such a route that acts
     * must claim it first and refuse a replay.
     */
    meshNonceInStatement?: boolean;
  }
  interface FastifyRequest {
    meshMailbox?: MeshMailbox;
    meshVersion?: ApiVersion;
    /** The token's nonce, not yet claimed, on `meshNonceInStatement` routes. */
    meshNonce?: NonceClaim;
    /** The token's nonce, claimed by the authentication hook, on the other routes. */
    meshNonceClaimed?: NonceClaim;
  }
}

/** The authenticated mailbox; the onRequest hook has set it on every non-public route. */
export function mailboxOf(request: FastifyRequest): MeshMailbox {
  if (!request.meshMailbox) throw new Error('MESH route reached without authentication');
  return request.meshMailbox;
}

/** The nonce a `meshNonceInStatement` route must claim. */
export function nonceOf(request: FastifyRequest): NonceClaim {
  if (!request.meshNonce) throw new Error('MESH route claims its nonce in statement but none was left to claim');
  return request.meshNonce;
}

/** The nonce the authentication hook claimed for this request. */
export function claimedNonceOf(request: FastifyRequest): NonceClaim {
  if (!request.meshNonceClaimed) throw new Error('MESH route expected the authentication hook to have claimed its nonce');
  return request.meshNonceClaimed;
}

export function versionOf(request: FastifyRequest): ApiVersion {
  return request.meshVersion ?? 1;
}

export type MailboxParams = { mailbox: string };
export type MessageParams = MailboxParams & { messageId: string };
/** `chunk` as the door leaves it: a whole number from 1 (ChunkParamsSchema). */
export type ChunkParams = MessageParams & { chunk: number };
