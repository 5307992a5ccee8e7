import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import type { ConsolePerson } from './person.js';
import { deleteSession, findSession, insertSession, type StoredSession } from '../store.js';

/**
 * Console sessions: a random id in an HttpOnly, SameSite=Strict cookie (Secure over TLS), scoped to
 * /console; the database keeps only its hash, the person and the session's CSRF token. Every form
 * that changes anything carries the token (synchronizer-token pattern), checked before its handler.
 */
export const SESSION_COOKIE = 'openspine_console';
/** The sign-in in progress: SameSite=Lax, since an external issuer sends the browser back cross-site. */
export const LOGIN_COOKIE = 'openspine_console_login';
/** A working day, then sign in again. */
const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

export const hashOf = (secret: string) => createHash('sha256').update(secret).digest('base64url');
export const randomToken = () => randomBytes(32).toString('base64url');

export interface ConsoleSession extends StoredSession {
  idHash: string;
}

export function cookieOptions(ctx: PlatformContext, sameSite: 'strict' | 'lax', maxAgeSeconds?: number) {
  return { path: '/console', httpOnly: true, sameSite, secure: ctx.config.tls !== undefined || ctx.config.publicBaseUrl.startsWith('https:'), ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }) } as const;
}

export async function startSession(ctx: PlatformContext, reply: FastifyReply, person: ConsolePerson): Promise<void> {
  const id = randomToken();
  const now = ctx.clock.now();
  await insertSession(ctx.db, hashOf(id), { person, csrfToken: randomToken(), expiresAt: new Date(now.getTime() + SESSION_TTL_MS) }, now);
  reply.setCookie(SESSION_COOKIE, id, cookieOptions(ctx, 'strict', SESSION_TTL_MS / 1000));
}

export async function currentSession(ctx: PlatformContext, request: FastifyRequest): Promise<ConsoleSession | undefined> {
  const id = request.cookies[SESSION_COOKIE];
  if (!id || id.length > 100) return undefined;
  const idHash = hashOf(id);
  const session = await findSession(ctx.db, idHash, ctx.clock.now());
  return session && { ...session, idHash };
}

export async function endSession(ctx: PlatformContext, reply: FastifyReply, session: ConsoleSession): Promise<void> {
  await deleteSession(ctx.db, session.idHash);
  reply.clearCookie(SESSION_COOKIE, cookieOptions(ctx, 'strict'));
}

export function csrfTokenMatches(session: ConsoleSession, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
