import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PlatformContext } from '../../platform/service.js';
import { SpineError } from '../../platform/http/errors.js';
import { classifyError } from '../../platform/http/error-mapper.js';
import { IDENTITY_ERRORS } from './errors.js';
import { DEMO_ISSUER, DEMO_JWKS_PATH } from './demo-issuer.js';
import {
  DEMO_AUTHORIZE_PATH, DEMO_DISCOVERY_PATH, DEMO_TOKEN_PATH, authorize, checkAuthorizeRequest, demoIdentities, redeemAuthorizationCode,
  type AuthorizeRequest, type DemoIdentity,
} from './demo-authorize.js';

const text = (maxLength: number) => ({ type: 'string', maxLength });
const AUTHORIZE_PARAMS = {
  response_type: text(20), client_id: text(100), redirect_uri: text(2000), state: text(500), nonce: text(500),
  code_challenge: text(100), code_challenge_method: text(10), scope: text(500),
};
const AUTHORIZE_QUERY = { type: 'object', properties: AUTHORIZE_PARAMS };
const AUTHORIZE_FORM = { type: 'object', properties: { ...AUTHORIZE_PARAMS, identity: text(200) } };
const TOKEN_FORM = {
  type: 'object',
  properties: { grant_type: text(100), code: text(200), redirect_uri: text(2000), client_id: text(100), code_verifier: text(200) },
};

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The demo issuer's sign-in page: plain HTML that works without JavaScript and with the keyboard alone. */
function signInPage(request: AuthorizeRequest, identities: DemoIdentity[], problem?: string): string {
  const hidden = Object.entries({
    response_type: 'code', client_id: request.clientId, redirect_uri: request.redirectUri, state: request.state,
    nonce: request.nonce, code_challenge: request.codeChallenge, code_challenge_method: 'S256',
  }).map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`).join('\n');
  const options = identities.map((identity, i) => `<div class="choice"><input type="radio" id="identity-${i}" name="identity" value="${escapeHtml(identity.value)}"${i === 0 ? ' checked' : ''}>
    <label for="identity-${i}">${escapeHtml(identity.label)}</label></div>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: OpenSpine demo identity provider</title>
<style>body{font-family:Arial,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#212b32;line-height:1.5}
h1{font-size:2rem}.choice{margin:.5rem 0}input[type=radio]{width:1.25rem;height:1.25rem;vertical-align:middle}
button{background:#007f3b;color:#fff;border:0;border-radius:4px;padding:.75rem 1.25rem;font-size:1.1rem;margin-top:1rem;cursor:pointer}
button:focus,input:focus{outline:4px solid #ffeb3b;box-shadow:0 4px 0 #212b32}.error{color:#d5281b;font-weight:bold}</style></head>
<body><main>
<h1>Sign in to the OpenSpine console</h1>
<p>This is OpenSpine's demo identity provider, standing in for NHS CIS2 (staff) and NHS login (patients). It runs in demo mode only and signs in whoever you choose.</p>
${problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="${DEMO_AUTHORIZE_PATH}">
${hidden}
<fieldset><legend>Who are you?</legend>
${options}
</fieldset>
<button type="submit">Sign in</button>
</form></main></body></html>`;
}

function refusedPage(reply: FastifyReply, problem: string, status = 400) {
  return reply.code(status).type('text/html; charset=utf-8')
    .send(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign-in request refused</title></head><body><main><h1>Sign-in request refused</h1><p>${escapeHtml(problem)}</p></main></body></html>`);
}

/**
 * The demo issuer's code flow, served in demo mode only (404 otherwise): the authorize page, the
 * token endpoint (authorization_code grant with PKCE) and its discovery document.
 */
export async function registerDemoAuthorizeRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const demoOnly = () => {
    if (!ctx.config.demo) throw new SpineError(IDENTITY_ERRORS.DEMO_ISSUER_DISABLED, 'The demo identity provider is not enabled: it comes with demo mode');
  };
  const open = { config: { public: true } } as const;

  app.get(DEMO_DISCOVERY_PATH, open, async () => {
    demoOnly();
    const base = ctx.config.publicBaseUrl;
    return {
      issuer: DEMO_ISSUER,
      authorization_endpoint: `${base}${DEMO_AUTHORIZE_PATH}`,
      token_endpoint: `${base}${DEMO_TOKEN_PATH}`,
      jwks_uri: `${base}${DEMO_JWKS_PATH}`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
    };
  });

  // The sign-in page answers in HTML, whatever goes wrong (the browser shows it); the token endpoint in OAuth2's shape.
  await app.register(async (page) => {
    page.setErrorHandler((err, request, reply) => {
      const classified = classifyError(err, request);
      return refusedPage(reply.headers(classified.headers ?? {}), classified.diagnostics ?? classified.spec.display, classified.spec.status);
    });
    registerSignInPage(page, ctx, demoOnly, open);
  });
  await app.register(async (token) => {
    token.setErrorHandler((err, request, reply) => {
      const classified = classifyError(err, request);
      return reply.code(classified.spec.status).headers({ ...classified.headers, 'cache-control': 'no-store' })
        .send({ error: classified.spec.status >= 500 ? 'server_error' : 'invalid_request', error_description: classified.diagnostics ?? classified.spec.display });
    });
    registerTokenEndpoint(token, ctx, demoOnly, open);
  });
}

type Open = { readonly config: { readonly public: true } };

function registerSignInPage(app: FastifyInstance, ctx: PlatformContext, demoOnly: () => void, open: Open) {
  app.get(DEMO_AUTHORIZE_PATH, { schema: { querystring: AUTHORIZE_QUERY }, ...open }, async (request, reply) => {
    demoOnly();
    const checked = checkAuthorizeRequest(request.query as Record<string, string | undefined>);
    if (!checked.ok) return refusedPage(reply, checked.problem);
    reply.header('cache-control', 'no-store');
    return reply.type('text/html; charset=utf-8').send(signInPage(checked.value, await demoIdentities(ctx)));
  });

  app.post(DEMO_AUTHORIZE_PATH, { schema: { body: AUTHORIZE_FORM }, ...open }, async (request, reply) => {
    demoOnly();
    const form = request.body as Record<string, string | undefined>;
    const checked = checkAuthorizeRequest(form);
    if (!checked.ok) return refusedPage(reply, checked.problem);
    const location = await authorize(ctx, checked.value, form.identity ?? '');
    if (!location) return reply.code(400).type('text/html; charset=utf-8').send(signInPage(checked.value, await demoIdentities(ctx), 'Choose one of the identities listed.'));
    return reply.code(303).header('location', location).send();
  });
}

function registerTokenEndpoint(app: FastifyInstance, ctx: PlatformContext, demoOnly: () => void, open: Open) {
  app.post(DEMO_TOKEN_PATH, { schema: { body: TOKEN_FORM }, ...open }, async (request, reply) => {
    demoOnly();
    const form = request.body as Record<string, string | undefined>;
    reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' });
    if (form.grant_type !== 'authorization_code') return reply.code(400).send({ error: 'unsupported_grant_type' });
    const idToken = form.code && form.client_id && form.redirect_uri && form.code_verifier
      ? await redeemAuthorizationCode(ctx, { code: form.code, clientId: form.client_id, redirectUri: form.redirect_uri, codeVerifier: form.code_verifier })
      : undefined;
    if (!idToken) return reply.code(400).send({ error: 'invalid_grant', error_description: 'The code is unknown, used, expired or not bound to this client, redirect_uri and code_verifier' });
    return { token_type: 'Bearer', id_token: idToken, expires_in: 600 };
  });
}
