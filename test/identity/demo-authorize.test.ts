import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { startTestSpine, type TestSpine } from '../support/spine.js';

const CALLBACK = (base: string) => `${base}/console/auth/callback`;
const verifier = () => randomBytes(32).toString('base64url');
const challengeOf = (v: string) => createHash('sha256').update(v).digest('base64url');

function authorizeParams(base: string, codeVerifier: string, extra: Record<string, string> = {}) {
  return new URLSearchParams({
    response_type: 'code', client_id: 'openspine-console', redirect_uri: CALLBACK(base), state: 'state-1', nonce: 'nonce-1',
    code_challenge: challengeOf(codeVerifier), code_challenge_method: 'S256', ...extra,
  });
}

/** Picks an identity on the demo issuer's page and returns the code it sends back. */
async function codeFor(base: string, codeVerifier: string, identity: string): Promise<string> {
  const form = authorizeParams(base, codeVerifier);
  form.set('identity', identity);
  const response = await fetch(`${base}/identity/demo-cis2/authorize`, { method: 'POST', body: form, redirect: 'manual' });
  assert.equal(response.status, 303);
  const location = new URL(response.headers.get('location')!);
  assert.equal(`${location.origin}${location.pathname}`, CALLBACK(base));
  assert.equal(location.searchParams.get('state'), 'state-1');
  return location.searchParams.get('code')!;
}

const redeem = (base: string, form: Record<string, string>) =>
  fetch(`${base}/identity/demo-cis2/token`, { method: 'POST', body: new URLSearchParams(form) });

describe('the demo issuer\'s authorization-code flow (OIDC with PKCE)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('the sign-in page lists the demo staff in each role profile and the demo patient', async () => {
    const page = await fetch(`${spine.url}/identity/demo-cis2/authorize?${authorizeParams(spine.url, verifier())}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /value="user:555000000005:555000000105"/);
    assert.match(html, /Jo Demo-Operator: Spine Operator at X26/);
    assert.match(html, /value="patient:9000000009"/);
  });

  it('a code is redeemed once, for an ID token addressed to the console with the nonce and the chosen role', async () => {
    const codeVerifier = verifier();
    const code = await codeFor(spine.url, codeVerifier, 'user:555000000003:555000000103');
    const form = { grant_type: 'authorization_code', code, client_id: 'openspine-console', redirect_uri: CALLBACK(spine.url), code_verifier: codeVerifier };
    const first = await redeem(spine.url, form);
    assert.equal(first.status, 200);
    const body = await first.json() as { id_token: string; token_type: string };
    assert.equal(body.token_type, 'Bearer');
    const claims = decodeJwt(body.id_token);
    assert.equal(claims.iss, 'urn:openspine:demo-cis2');
    assert.equal(claims.aud, 'openspine-console');
    assert.equal(claims.sub, '555000000003');
    assert.equal(claims.nonce, 'nonce-1');
    assert.equal(claims.selected_roleid, '555000000103');
    const again = await redeem(spine.url, form);
    assert.equal(again.status, 400);
    assert.equal((await again.json() as { error: string }).error, 'invalid_grant');
  });

  it('a code is refused with another verifier, redirect URI or client, and is spent by the attempt', async () => {
    for (const wrong of [{ code_verifier: verifier() }, { redirect_uri: `${spine.url}/elsewhere` }, { client_id: 'someone-else' }]) {
      const codeVerifier = verifier();
      const code = await codeFor(spine.url, codeVerifier, 'patient:9000000009');
      const form = { grant_type: 'authorization_code', code, client_id: 'openspine-console', redirect_uri: CALLBACK(spine.url), code_verifier: codeVerifier };
      assert.equal((await redeem(spine.url, { ...form, ...wrong })).status, 400, JSON.stringify(wrong));
      assert.equal((await redeem(spine.url, form)).status, 400, 'the code was spent by the refused attempt');
    }
  });

  it('a patient\'s ID token carries the NHS number at proofing level P9', async () => {
    const codeVerifier = verifier();
    const code = await codeFor(spine.url, codeVerifier, 'patient:9000000009');
    const response = await redeem(spine.url, { grant_type: 'authorization_code', code, client_id: 'openspine-console', redirect_uri: CALLBACK(spine.url), code_verifier: codeVerifier });
    const claims = decodeJwt((await response.json() as { id_token: string }).id_token);
    assert.equal(claims.nhs_number, '9000000009');
    assert.equal(claims.identity_proofing_level, 'P9');
  });

  it('an authorize request with a redirect URI off loopback, without PKCE or for another client is refused on the page, never redirected', async () => {
    const refusals: Array<Record<string, string>> = [{ redirect_uri: 'https://evil.example/console/auth/callback' }, { code_challenge_method: 'plain' }, { client_id: 'x' }, { response_type: 'token' }];
    for (const wrong of refusals) {
      const response = await fetch(`${spine.url}/identity/demo-cis2/authorize?${authorizeParams(spine.url, verifier(), wrong)}`, { redirect: 'manual' });
      assert.equal(response.status, 400, JSON.stringify(wrong));
      assert.equal(response.headers.get('location'), null);
    }
  });

  it('an identity that is not on the list signs nobody in', async () => {
    const form = authorizeParams(spine.url, verifier());
    form.set('identity', 'user:555000000003:555000000101');
    const response = await fetch(`${spine.url}/identity/demo-cis2/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    assert.equal(response.status, 400);
  });

  it('the discovery document names the endpoints', async () => {
    const discovery = await (await fetch(`${spine.url}/identity/demo-cis2/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.equal(discovery.issuer, 'urn:openspine:demo-cis2');
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
  });
});

describe('outside demo mode', () => {
  it('the code flow is not served', async () => {
    const spine = await startTestSpine({ demo: false, flags: { services: 'identity' } });
    try {
      const page = await fetch(`${spine.url}/identity/demo-cis2/authorize?${authorizeParams(spine.url, verifier())}`);
      assert.equal(page.status, 404);
      assert.equal((await redeem(spine.url, { grant_type: 'authorization_code', code: 'x' })).status, 404);
    } finally {
      await spine.close();
    }
  });
});
