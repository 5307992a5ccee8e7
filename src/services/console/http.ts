import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import type { PlatformContext } from '../../platform/service.js';
import { classifyError } from '../../platform/http/error-mapper.js';
import { RequestValidationError } from '../../platform/http/validation.js';
import { isCalendarDate } from '../../platform/fhir/dates.js';
import { join } from 'node:path';
import { mayView, pageOf, type PageId } from './pages.js';
import { CONSOLE_ASSETS, NHSUK_CSS, NHSUK_DIST, render } from './render.js';
import { csrfTokenMatches, currentSession, type ConsoleSession } from './auth/sessions.js';
import { auditConsole } from './audit.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The console page a route belongs to: only the roles that may see the page are served it. */
    consolePage?: PageId;
  }
  interface FastifyRequest {
    consoleSession?: ConsoleSession;
  }
}

/** Pages and actions: the console checks its session cookie and the page's roles itself. */
export const CONSOLE_SESSION = 'console-session';
export const pageRoute = (page: PageId, schema?: object) => ({ schema: schema ?? {}, config: { authenticatedBy: CONSOLE_SESSION, consolePage: page } });
export const signedInRoute = (schema?: object) => ({ schema: schema ?? {}, config: { authenticatedBy: CONSOLE_SESSION } });
export const openRoute = (schema?: object) => ({ schema: schema ?? {}, config: { public: true as const } });

/**
 * Strict: scripts only from the console's origin (and the design system's one inline line, by
 * nonce), styles only from it, no framing, forms post only to it.
 */
function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'", `script-src 'self' 'nonce-${nonce}'`, "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; ');
}

/** A plain-words error page; the status is the API's (400 naming the field, 403, 404, 503…). */
export function errorPage(request: FastifyRequest, reply: FastifyReply, status: number, heading: string, message: string) {
  // A refused search goes back to its form; a refused post back to the page it came from.
  const page = request.routeOptions.config?.consolePage;
  const backHref = status === 400 && page ? (request.method === 'GET' ? request.url.split('?')[0] : pageOf(page).path) : undefined;
  return render(request, reply, { template: 'error.njk', title: heading, heading, message, status, backHref });
}

export function registerConsoleHttp(scope: FastifyInstance, ctx: PlatformContext) {
  // Static files (the design system's and ours) are public: they hold no data.
  scope.addHook('onRoute', (route) => {
    if (route.url.startsWith('/console/assets/')) route.config = { ...route.config, public: true };
  });
  scope.addHook('onRequest', async (request) => {
    request.cspNonce = randomBytes(16).toString('base64');
  });
  scope.addHook('onSend', async (request, reply, payload) => {
    reply.header('content-security-policy', contentSecurityPolicy(request.cspNonce ?? ''));
    if (!request.url.startsWith('/console/assets/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  scope.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    if (config?.authenticatedBy !== CONSOLE_SESSION) return;
    const session = await currentSession(ctx, request);
    if (!session) {
      if (request.method === 'GET') return reply.code(303).header('location', `/console/login?returnTo=${encodeURIComponent(request.url)}`).send();
      return errorPage(request, reply, 401, 'Sign in first', 'Your session has ended. Sign in again, then repeat what you were doing.');
    }
    request.consoleSession = session;
    const page = config.consolePage;
    if (page && !mayView(session.person.role, page)) {
      await auditConsole(ctx, request, { action: 'console.access.denied', resource: request.routeOptions.url, outcome: 'denied', detail: { page, method: request.method } });
      return errorPage(request, reply, 403, 'You cannot see this page', 'Your role does not give access to this page.');
    }
  });
  // Every form that changes something carries the session's CSRF token.
  scope.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || !request.consoleSession) return;
    const sent = (request.body as Record<string, unknown> | undefined)?._csrf;
    if (!csrfTokenMatches(request.consoleSession, sent)) {
      await auditConsole(ctx, request, { action: 'console.csrf.refused', resource: request.routeOptions.url, outcome: 'denied' });
      return errorPage(request, reply, 403, 'This form has expired', 'The form was not sent from this session. Go back, reload the page and try again.');
    }
  });

  scope.setErrorHandler((err, request, reply) => {
    const classified = classifyError(err, request);
    if (classified.spec.status >= 500 && classified.spec.status !== 503) request.log.error({ err }, 'console request failed');
    reply.headers(classified.headers ?? {});
    const message = err instanceof RequestValidationError
      ? `Check the field '${err.failure.path}': ${err.failure.kind === 'missing' ? 'it is required' : 'its value is not valid'}.`
      : classified.diagnostics ?? classified.spec.display;
    return errorPage(request, reply, classified.spec.status, classified.spec.status === 503 ? 'Try again in a moment' : 'Something is not right', message);
  });
  scope.setNotFoundHandler((request, reply) => errorPage(request, reply, 404, 'Page not found', 'There is no console page at this address.'));
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A form's day field (YYYY-MM-DD: its pattern is checked at the door) as midnight UTC, `daysLater`
 * days on. The calendar is checked here: 2026-13-45 or 0000-01-01 matches the pattern, made an
 * Invalid Date or a year PostgreSQL cannot hold, and was a 500; it is the form's 400 naming the field.
 */
export function formDay(field: string, text: string, daysLater = 0): Date {
  if (!isCalendarDate(text)) throw new RequestValidationError({ part: 'querystring', kind: 'invalid', path: field, value: text, keyword: 'format' });
  return new Date(Date.parse(`${text}T00:00:00Z`) + daysLater * DAY_MS);
}

export async function registerCookies(scope: FastifyInstance) {
  await scope.register(cookie);
}

export async function registerAssets(scope: FastifyInstance) {
  scope.get('/assets/nhsuk-frontend.css', openRoute(), async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(NHSUK_CSS));
  await scope.register(fastifyStatic, { root: join(NHSUK_DIST, 'nhsuk'), prefix: '/assets/nhsuk/', index: false, maxAge: '1h' });
  await scope.register(fastifyStatic, { root: CONSOLE_ASSETS, prefix: '/assets/console/', index: false, decorateReply: false, maxAge: '1h' });
}
