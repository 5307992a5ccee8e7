import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkAuthorizeRequest } from '../../src/services/identity/demo-authorize.js';

// The demo issuer's authorize request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1): the
// one console client, a redirect URI on a loopback origin at the console's callback, PKCE S256,
// a state and a nonce. An unchecked redirect URI is never followed.

const CLIENT_ID = 'openspine-console';
const CALLBACK = '/console/auth/callback';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const octet = fc.integer({ min: 0, max: 255 });
const loopbackHost = fc.oneof(fc.constant('localhost'), fc.constant('[::1]'), fc.tuple(octet, octet, octet).map(([a, b, c]) => `127.${a}.${b}.${c}`));
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const redirect = fc.record({ scheme: fc.constantFrom('http', 'https'), host: loopbackHost, port })
  .map(({ scheme, host, port: p }) => `${scheme}://${host}${p === undefined ? '' : `:${p}`}${CALLBACK}`);
/** A PKCE S256 challenge: base64url of a SHA-256 digest, 43 characters. */
const challenge = fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: 43, maxLength: 43 });
const token = fc.string({ minLength: 1, maxLength: 40 });
const valid = fc.record({ redirect_uri: redirect, code_challenge: challenge, state: token, nonce: token })
  .map((q) => ({ response_type: 'code', client_id: CLIENT_ID, code_challenge_method: 'S256', ...q }) as Record<string, string | undefined>);

describe('the demo authorize request (properties)', () => {
  it('a request as the spec describes it, from any loopback origin, is taken and read back as sent', () => {
    fc.assert(fc.property(valid, (query) => {
      const checked = checkAuthorizeRequest(query);
      assert.deepEqual(checked, {
        ok: true,
        value: { clientId: CLIENT_ID, redirectUri: query.redirect_uri, state: query.state, nonce: query.nonce, codeChallenge: query.code_challenge },
      }, JSON.stringify(query));
    }), { numRuns: 300 });
  });

  it('any query at all is taken or refused with a problem to show, never a throw', () => {
    const key = fc.constantFrom('response_type', 'client_id', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'state', 'nonce');
    fc.assert(fc.property(valid, fc.dictionary(key, fc.option(fc.string({ unit: 'binary', maxLength: 60 }), { nil: undefined })), (base, changes) => {
      const checked = checkAuthorizeRequest({ ...base, ...changes });
      if (!checked.ok) assert.ok(typeof checked.problem === 'string' && checked.problem.length > 0);
    }), { numRuns: 500 });
  });

  it('a redirect URI off loopback, or anywhere but the callback, or with a query or fragment, is refused', () => {
    const notLoopback = fc.oneof(
      fc.domain(),
      fc.tuple(octet.filter((a) => a !== 127), octet, octet, octet).map((parts) => parts.join('.')),
      fc.tuple(octet, octet, octet).map(([a, b, c]) => `127.${a}.${b}.${c}.nip.io`),
      fc.constantFrom('localhost.example.com', '[::2]', '[::ffff:8.8.8.8]', '0.0.0.0', 'localhost@example.com'),
    );
    const badRedirect = fc.oneof(
      fc.record({ scheme: fc.constantFrom('http', 'https'), host: notLoopback }).map(({ scheme, host }) => `${scheme}://${host}${CALLBACK}`),
      fc.tuple(redirect, fc.constantFrom('?next=x', '#frag', '/', 'x', '/../evil')).map(([uri, extra]) => `${uri}${extra}`),
      redirect.map((uri) => uri.replace('http', 'javascript').replace('https', 'ftp')),
      fc.tuple(redirect, fc.nat()).map(([uri, at]) => {
        const start = uri.indexOf(CALLBACK);
        const i = start + 1 + (at % (CALLBACK.length - 1));
        return `${uri.slice(0, i)}${uri[i] === 'x' ? 'y' : 'x'}${uri.slice(i + 1)}`;
      }),
    );
    fc.assert(fc.property(valid, badRedirect, (query, uri) => {
      const checked = checkAuthorizeRequest({ ...query, redirect_uri: uri });
      assert.equal(checked.ok, false, uri);
    }), { numRuns: 500 });
  });

  it('each other defect is refused: response type, client, PKCE method and challenge, state, nonce', () => {
    const badChallenge = fc.oneof(
      fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: 0, maxLength: 42 }),
      fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: 44, maxLength: 90 }),
      fc.tuple(challenge, fc.nat(), fc.constantFrom('=', '+', '/', ' ', '.', 'é')).map(([c, at, bad]) => `${c.slice(0, at % 43)}${bad}${c.slice((at % 43) + 1)}`),
    );
    const defect = fc.oneof(
      fc.record({ response_type: fc.constantFrom('token', 'id_token', 'Code', 'code ', undefined) }),
      fc.record({ client_id: fc.oneof(fc.string({ maxLength: 20 }).filter((s) => s !== CLIENT_ID), fc.constant(undefined)) }),
      fc.record({ code_challenge_method: fc.constantFrom('plain', 's256', 'S512', undefined) }),
      fc.record({ code_challenge: fc.oneof(badChallenge, fc.constant(undefined)) }),
      fc.record({ state: fc.constantFrom('', undefined) }),
      fc.record({ nonce: fc.constantFrom('', undefined) }),
    );
    fc.assert(fc.property(valid, defect, (query, change) => {
      const checked = checkAuthorizeRequest({ ...query, ...change });
      assert.equal(checked.ok, false, JSON.stringify(change));
    }), { numRuns: 500 });
  });
});
