import type { FastifyRequest } from 'fastify';
import type { MeshMailbox } from '../../directory/api.js';
import type { ApiVersion } from '../protocol/api-version.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** MESH routes the spec leaves open (no NHSMESH header): `_ping`, endpoint lookup, workflow search. */
    meshPublic?: boolean;
  }
  interface FastifyRequest {
    meshMailbox?: MeshMailbox;
    meshVersion?: ApiVersion;
  }
}

/** The authenticated mailbox; the onRequest hook has set it on every non-public route. */
export function mailboxOf(request: FastifyRequest): MeshMailbox {
  if (!request.meshMailbox) throw new Error('MESH route reached without authentication');
  return request.meshMailbox;
}

export function versionOf(request: FastifyRequest): ApiVersion {
  return request.meshVersion ?? 1;
}

export type MailboxParams = { mailbox: string };
export type MessageParams = MailboxParams & { messageId: string };
export type ChunkParams = MessageParams & { chunk: string };
