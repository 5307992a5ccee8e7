import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { errorPage, openRoute, signedInRoute } from '../http.js';
import { render } from '../render.js';
import { pagesFor } from '../pages.js';
import { auditConsole } from '../audit.js';
import { consoleProvider } from '../auth/oidc.js';
import { personFromClaims } from '../auth/person.js';
import { LOGIN_COOKIE, cookieOptions, endSession, hashOf, randomToken, startSession } from '../auth/sessions.js';
import { insertLoginAttempt, takeLoginAttempt } from '../store.js';

/** A sign-in has ten minutes to come back from the issuer. */
const LOGIN_TTL_MS = 10 * 60 * 1000;

const text = (maxLength: number) => ({ type: 'string', maxLength });
const RETURN_TO = { type: 'object', properties: { returnTo: text(500), signedOut: text(5) } };
const CALLBACK = { type: 'object', properties: { code: text(500), state: text(200), error: text(200), error_description: text(1000) } };
const LOGOUT_FORM = { type: 'object', properties: { _csrf: text(100) } };

/** Only the console's own pages: never another site, never a protocol-relative path. */
export function safeReturnPath(raw: unknown): string {
  return typeof raw === 'string' && /^\/console\/[A-Za-z0-9\-._~/?=&%+]*$/.test(raw) && !raw.includes('//') ? raw : '/console';
}

/** The console's own origin, which the issuer sends the browser back to. Demo mode answers loopback hosts only. */
function originOf(ctx: PlatformContext, request: FastifyRequest): string {
  return ctx.config.consoleOidc ? ctx.config.publicBaseUrl : `${request.protocol}://${request.host}`;
}

export async function registerLoginRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const provider = consoleProvider(ctx);

  app.get('/', signedInRoute(), async (request, reply) => {
    const first = pagesFor(request.consoleSession!.person.role)[0];
    return reply.code(303).header('location', first?.path ?? '/console/login').send();
  });

  app.get('/login', openRoute({ querystring: RETURN_TO }), async (request, reply) => {
    const { returnTo, signedOut } = request.query as { returnTo?: string; signedOut?: string };
    return render(request, reply, {
      template: 'login.njk', title: 'Sign in', available: provider !== undefined, signedOut: signedOut === '1',
      startUrl: `/console/auth/start?returnTo=${encodeURIComponent(safeReturnPath(returnTo))}`,
    });
  });

  app.get('/auth/start', openRoute({ querystring: RETURN_TO }), async (request, reply) => {
    if (!provider) return errorPage(request, reply, 404, 'Sign-in is not set up', 'Set OPENSPINE_CONSOLE_OIDC_ISSUER, or run in demo mode.');
    const state = randomToken();
    const codeVerifier = randomToken();
    const nonce = randomToken();
    await insertLoginAttempt(ctx.db, hashOf(state), {
      nonce, codeVerifier, returnTo: safeReturnPath((request.query as { returnTo?: string }).returnTo),
      expiresAt: new Date(ctx.clock.now().getTime() + LOGIN_TTL_MS),
    });
    const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
    reply.setCookie(LOGIN_COOKIE, state, cookieOptions(ctx, 'lax', LOGIN_TTL_MS / 1000));
    return reply.code(303).header('location', await provider.authorizationUrl(originOf(ctx, request), { state, nonce, codeChallenge })).send();
  });

  app.get('/auth/callback', openRoute({ querystring: CALLBACK }), async (request, reply) => {
    const query = request.query as { code?: string; state?: string; error?: string };
    const state = request.cookies[LOGIN_COOKIE];
    reply.clearCookie(LOGIN_COOKIE, cookieOptions(ctx, 'lax'));
    // The state must be the one this browser started with (login CSRF), and is used once.
    const attempt = provider && state && state === query.state ? await takeLoginAttempt(ctx.db, hashOf(state), ctx.clock.now()) : undefined;
    const claims = attempt && query.code ? await provider!.redeem(originOf(ctx, request), query.code, attempt.codeVerifier, attempt.nonce) : undefined;
    const checked = claims ? personFromClaims(provider!.issuer, claims as Record<string, unknown>, provider!.roleMapping) : { ok: false as const, problem: query.error ?? 'the sign-in could not be completed' };
    if (!checked.ok) {
      await auditConsole(ctx, request, { action: 'console.login', outcome: 'failure', detail: { problem: checked.problem } });
      return errorPage(request, reply, 400, 'You could not be signed in', `Sign-in failed: ${checked.problem}. Try again.`);
    }
    await startSession(ctx, reply, checked.person);
    request.consoleSession = { person: checked.person, csrfToken: '', expiresAt: new Date(), idHash: '' };
    await auditConsole(ctx, request, { action: 'console.login', detail: { issuer: checked.person.issuer, role: checked.person.role } });
    return reply.code(303).header('location', attempt!.returnTo).send();
  });

  app.get('/logout', signedInRoute(), async (request, reply) => render(request, reply, { template: 'logout.njk', title: 'Sign out' }));

  app.post('/logout', signedInRoute({ body: LOGOUT_FORM }), async (request, reply) => {
    await auditConsole(ctx, request, { action: 'console.logout' });
    await endSession(ctx, reply, request.consoleSession!);
    return reply.code(303).header('location', '/console/login?signedOut=1').send();
  });
}
