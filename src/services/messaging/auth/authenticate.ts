import type { FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import type { PlatformContext } from '../../../platform/service.js';
import { MESH_SANDBOX_PASSWORD } from '../../../platform/config.js';
import type { MeshMailbox } from '../../directory/api.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import { AUTH_CLOCK_WINDOW_MS } from '../protocol/limits.js';
import type { NonceClaim, NonceLedger } from '../store/nonces.js';
import type { MailboxCache } from './mailbox-cache.js';
import { hashMatches, parseMeshAuthorization, withinClockWindow } from './nhsmesh-header.js';

/**
 * Mutual TLS, as the real MESH requires: when a CA is configured the server asks for a client
 * certificate but lets the handshake finish, so a missing or untrusted certificate is answered
 * with a MESH 403 rather than a dropped connection.
 */
export function checkClientCertificate(ctx: PlatformContext, request: FastifyRequest): void {
  if (!ctx.config.tls?.ca) return;
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (socket.authorized !== true) {
    throw meshError(MESH_ERRORS.AUTH_CLIENT_CERTIFICATE, { diagnostics: String(socket.authorizationError ?? 'no client certificate') });
  }
}

/**
 * Checks an `NHSMESH` header against the mailbox in the path. Every failure is 403: unreadable
 * header, mailbox mismatch, timestamp outside ±2 h, unknown or inactive mailbox, wrong HMAC, the
 * MESH sandbox's published password outside demo mode, and a nonce seen before. The nonce is claimed last, so a bad token cannot burn a good one's nonce;
 * with `claimNow` false the caller claims it in its own statement (`nonceCte`) and refuses a replay.
 */
export async function authenticateMailbox(ctx: PlatformContext, mailboxes: MailboxCache, nonces: NonceLedger, header: string | undefined, pathMailbox: string, claimNow = true): Promise<{ mailbox: MeshMailbox; nonce: NonceClaim }> {
  const token = parseMeshAuthorization(header);
  if (!token) throw meshError(MESH_ERRORS.AUTH_HEADER_UNREADABLE);
  if (token.mailboxId.toUpperCase() !== pathMailbox.toUpperCase()) throw meshError(MESH_ERRORS.AUTH_MAILBOX_MISMATCH);
  const now = ctx.clock.now();
  if (!withinClockWindow(token.issuedAt, now, AUTH_CLOCK_WINDOW_MS)) {
    throw meshError(MESH_ERRORS.AUTH_INVALID_TOKEN, { diagnostics: 'token timestamp is not within 2 hours of server time' });
  }
  const mailbox = await mailboxes.get(token.mailboxId);
  if (!mailbox || !hashMatches(token, ctx.config.meshSharedKey, mailbox.password)) throw meshError(MESH_ERRORS.AUTH_INVALID_TOKEN);
  // Demo mode seeds the MESH sandbox's mailboxes with its published password; a deployment started
  // on the same data (or given that password) must not let whoever has the shared key in by it.
  if (!ctx.config.demo && mailbox.password === MESH_SANDBOX_PASSWORD) throw meshError(MESH_ERRORS.AUTH_INVALID_TOKEN);
  if (!mailbox.active) throw meshError(MESH_ERRORS.AUTH_INACTIVE_MAILBOX);
  const nonce = { mailboxId: mailbox.mailboxId, nonce: token.nonce, nonceCount: token.nonceCount, tokenTime: token.issuedAt };
  if (claimNow && !(await nonces.claim(nonce.mailboxId, nonce.nonce, nonce.nonceCount, nonce.tokenTime))) throw meshError(MESH_ERRORS.AUTH_DUPLICATED_TOKEN);
  return { mailbox, nonce };
}
