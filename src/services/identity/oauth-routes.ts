import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../platform/service.js';
import { classifyError } from '../../platform/http/error-mapper.js';
import { PLATFORM_ERRORS, SpineError, type ErrorSpec } from '../../platform/http/errors.js';
import { RequestValidationError } from '../../platform/http/validation.js';
import { SharedWindows } from '../../platform/http/shared-windows.js';
import { checkForm, grantToken } from './grant.js';
import { OAUTH_ERRORS } from './errors.js';
import { DEMO_JWKS_PATH, demoIssuerJwks } from './demo-issuer.js';
import { nulInBodyError } from '../../platform/http/nul-guard.js';
import { refuseOtherMethods } from '../../platform/http/method-not-allowed.js';

const OAUTH_SPECS = new Set<ErrorSpec>(Object.values(OAUTH_ERRORS));

/**
 * The OAuth2 `error` for any refusal: a catalogued OAuth error carries its own; a platform refusal
 * becomes the OAuth2 code for its status (shed under overload or the database unreachable:
 * `temporarily_unavailable`; a real fault: `server_error`; anything the client sent wrong,
 * such as a bad media type or body: `invalid_request`), never a platform code like SERVICE_UNAVAILABLE.
 */
function oauthErrorCode(spec: ErrorSpec): string {
  if (OAUTH_SPECS.has(spec)) return spec.code;
  if (spec.status === 503) return OAUTH_ERRORS.TEMPORARILY_UNAVAILABLE.code;
  if (spec.status === 429) return OAUTH_ERRORS.RATE_LIMITED.code;
  return spec.status >= 500 ? OAUTH_ERRORS.SERVER_ERROR.code : 'invalid_request';
}

// The parameters whose values the grant checks (grant.ts checkForm); the tokens' sizes are the door's alone.
const GRANT_CHECKED = new Set(['grant_type', 'client_assertion_type', 'subject_token_type']);

/**
 * A value too long for the door is still a value the grant does not take: a grant_type, assertion
 * or subject token type over 200 characters gets the grant's own words for the first wrong
 * parameter ("Unsupported grant_type '…'", "Missing or invalid client_assertion_type - must be …"),
 * as a shorter wrong one does, where it got "Invalid grant_type". A repeated parameter (a list), an
 * oversized token, or a type the grant does not read (subject_token_type in client credentials)
 * stays the door's refusal naming the parameter.
 */
function overlongAsGrantRefusal(err: RequestValidationError, body: unknown): Error {
  const { path, value } = err.failure;
  if (!GRANT_CHECKED.has(path) || typeof value !== 'string' || typeof body !== 'object' || body === null) return err;
  try {
    checkForm(body as Record<string, unknown>);
  } catch (refusal) {
    if (refusal instanceof SpineError) return refusal;
  }
  return err;
}

/** OAuth2 errors are `{error, error_description}` (RFC 6749 §5.2), as NHS England's platform sends them. */
function registerOAuthErrorShape(scope: FastifyInstance) {
  scope.setErrorHandler((thrown, request, reply) => {
    const err = thrown instanceof RequestValidationError ? overlongAsGrantRefusal(thrown, request.body) : thrown;
    const classified = classifyError(err, request);
    // Refused at the door: the parameter named as the platform's own descriptions name them ("Missing client_assertion").
    const description = err instanceof RequestValidationError
      ? `${err.failure.kind === 'missing' ? 'Missing' : 'Invalid'} ${err.failure.path}`
      : classified.diagnostics ?? classified.spec.display;
    return reply
      .code(classified.spec.status)
      .headers({ 'cache-control': 'no-store', pragma: 'no-cache', ...classified.headers })
      .send({ error: oauthErrorCode(classified.spec), error_description: description });
  });
}

/**
 * The token endpoint verifies a signature and writes a jti per call: per client address it takes
 * `tokenRateLimit` requests a minute (configurable), then 429 with Retry-After in the OAuth2 shape.
 * Keyed by address, not by the assertion's `iss`, which is unverified until the signature is checked:
 * keying on it would let anyone spend another application's allowance. One limit across every
 * process on the database, counted like the per-application limits (platform.rate_windows).
 */
function registerTokenRateLimit(scope: FastifyInstance, ctx: PlatformContext) {
  const limit = ctx.config.tokenRateLimit;
  const windows = new SharedWindows({ windowSeconds: 60, now: () => ctx.clock.now().getTime() });
  scope.addHook('onRequest', (request, _reply, done) => {
    const { total, resetInMs } = windows.count(`oauth2-token ${request.ip}`);
    if (total <= limit) return done();
    const retryAfter = Math.max(1, Math.ceil(resetInMs / 1000));
    done(new SpineError(OAUTH_ERRORS.RATE_LIMITED,
      `Too many token requests from this address: at most ${limit} a minute; retry after ${retryAfter} s`,
      { headers: { 'retry-after': String(retryAfter) } }));
  });
  scope.addHook('onClose', windows.startSharing(ctx.db));
}

/**
 * The token request's parameters: each, when sent, one string of bounded size (a repeated one is
 * refused). Which are required, and their values, are `grant.ts`'s checks, worded as NHS England's
 * platform words them; unknown parameters are ignored (RFC 6749 §3.1).
 */
const text = (maxLength: number, description: string) => ({ type: 'string', maxLength, description });
const TOKEN_FORM = {
  properties: {
    grant_type: text(200, "'client_credentials' or 'urn:ietf:params:oauth:grant-type:token-exchange'"),
    client_assertion_type: text(200, "'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'"),
    client_assertion: text(32_768, "A JWT signed (RS512) with the application's private key"),
    subject_token_type: text(200, "Token exchange: 'urn:ietf:params:oauth:token-type:id_token'"),
    subject_token: text(32_768, 'Token exchange: the CIS2-style ID token of the user'),
  },
};

/**
 * RFC 6749 §3.2: the token endpoint takes `application/x-www-form-urlencoded` only (NHS England's
 * platform reads form parameters only); anything else is 415 in the OAuth2 shape. A parameter sent
 * twice is kept as the list of its values, so the form schema refuses it (§3.1: "MUST NOT be
 * included more than once"): taking one of them, as a plain form parser does, lets a proxy that
 * reads the first and a server that reads the last disagree about what was asked.
 */
function registerTokenFormParser(scope: FastifyInstance) {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    // A Map, then own properties: a parameter named __proto__ is a name like any other.
    const form = new Map<string, string | string[]>();
    for (const [name, value] of new URLSearchParams(body as string)) {
      if (value.includes('\u0000')) return done(nulInBodyError(), undefined);
      const before = form.get(name);
      // Appended in place: copying the list at each repeat made a form of one name sent 30,000 times
      // (90 kB, no credential) hold the event loop 40 s.
      if (before === undefined) form.set(name, value);
      else if (Array.isArray(before)) before.push(value);
      else form.set(name, [before, value]);
    }
    done(null, Object.fromEntries(form));
  });
}

export async function registerOAuthRoutes(app: FastifyInstance, ctx: PlatformContext) {
  await app.register(async (scope) => {
    registerOAuthErrorShape(scope);
    registerTokenFormParser(scope);
    registerTokenRateLimit(scope, ctx);
    scope.post('/oauth2/token', { schema: { body: TOKEN_FORM }, config: { public: true } }, async (request, reply) => {
      const form = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
      const urid = request.headers['nhsd-session-urid'];
      const { response } = await grantToken(ctx, { form, sessionUrid: typeof urid === 'string' ? urid : undefined });
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(response);
    });
    // RFC 6749 §3.2: the token endpoint is POST only. Another method is 405 with Allow, in the OAuth2
    // shape its clients read (the scope's error handler renders the refusal), not the FHIR 404 "No
    // such endpoint" for a path that is there.
    refuseOtherMethods(scope, [{ url: '/oauth2/token', methods: ['POST'] }], {
      refusal: (method, allow) => new SpineError(PLATFORM_ERRORS.METHOD_NOT_ALLOWED,
        `${method} is not supported: the token endpoint takes POST (RFC 6749 section 3.2)`, { headers: { allow } }),
    });
  });

  // The embedded demo issuer's public keys, as an OIDC provider publishes them.
  app.get(DEMO_JWKS_PATH, { config: { public: true } }, async () => {
    const jwks = await demoIssuerJwks(ctx);
    return jwks ?? { keys: [] };
  });
}
