import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { CLIENT_ASSERTION_TYPE } from './fixtures.js';

describe('identity: trusted-issuer body and token form checked at the door', () => {
  let spine: TestSpine;
  let adminToken: string;
  before(async () => {
    spine = await startTestSpine();
    adminToken = (await createAppAndToken(spine, { activities: ['identity:admin'] })).token;
  });
  after(async () => { await spine.close(); });

  const putIssuer = (body: unknown) => fetch(`${spine.url}/admin/identity/trusted-issuers`, {
    method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const good = { issuer: 'https://idp.door.test', jwks: { keys: [] as unknown[] }, clientIds: ['spine-client'] };

  it('a wrong type at any declared field of a trusted issuer is 400 INVALID_VALUE naming the field, and nothing is stored (property)', async () => {
    const wrong = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }));
    const at = fc.constantFrom(
      { field: 'issuer', path: 'issuer', set: (v: unknown) => ({ ...good, issuer: v }) },
      { field: 'jwks', path: 'jwks', set: (v: unknown) => ({ ...good, jwks: v }) },
      { field: 'jwks.keys', path: 'jwks/keys', set: (v: unknown) => ({ ...good, jwks: { keys: v } }) },
      { field: 'clientIds', path: 'clientIds', set: (v: unknown) => ({ ...good, clientIds: v }) },
      { field: 'clientIds[0]', path: 'clientIds/0', set: (v: unknown) => ({ ...good, clientIds: [v] }) },
    );
    await fc.assert(fc.asyncProperty(at, wrong, async ({ path, set }, value) => {
      if (path === 'jwks' && value !== null && typeof value === 'object') return; // an object is the right type
      const response = await putIssuer(set(value));
      const outcome = await response.json() as { issue: Array<{ details: { coding: Array<{ code: string }> }; diagnostics: string }> };
      assert.equal(response.status, 400, JSON.stringify(outcome));
      assert.ok(outcome.issue[0]!.diagnostics.includes(`'${path}'`) || outcome.issue[0]!.diagnostics.includes(`'${path}/`), outcome.issue[0]!.diagnostics);
    }), { numRuns: 40 });
    const list = await (await fetch(`${spine.url}/admin/identity/trusted-issuers`, { headers: { authorization: `Bearer ${adminToken}` } })).json() as { issuers: Array<{ issuer: string }> };
    assert.ok(!list.issuers.some((i) => i.issuer === good.issuer));
  });

  it('an unknown field, an empty or oversized client id list is refused naming the field', async () => {
    const extra = await putIssuer({ ...good, extra: 1 });
    assert.equal(extra.status, 400);
    assert.match((await extra.json() as { issue: Array<{ diagnostics: string }> }).issue[0]!.diagnostics, /'extra' was unexpected/);
    for (const clientIds of [[], Array.from({ length: 101 }, (_v, i) => `c${i}`), ['x'.repeat(201)]]) {
      const response = await putIssuer({ ...good, clientIds });
      assert.equal(response.status, 400);
      assert.match((await response.json() as { issue: Array<{ diagnostics: string }> }).issue[0]!.diagnostics, /'clientIds/);
    }
  });

  it("an application's CIS2 client id of the wrong type, oversized or with a control character is 400 naming it, and a demo ID token's too", async () => {
    const post = (path: string, body: unknown) => fetch(`${spine.url}/admin/identity${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    for (const cis2ClientId of [42, ['c'], '', 'x'.repeat(201), 'client\u0007id', 'client\u0085id']) {
      const response = await post('/applications', { name: 'Door app', odsCode: 'A83008', cis2ClientId });
      const outcome = await response.json() as { issue: Array<{ details: { coding: Array<{ code: string }> }; diagnostics: string }> };
      assert.equal(response.status, 400, JSON.stringify(cis2ClientId));
      assert.equal(outcome.issue[0]!.details.coding[0]!.code, 'INVALID_VALUE');
      assert.match(outcome.issue[0]!.diagnostics, /'cis2ClientId'/);
    }
    for (const clientId of [42, '', 'x'.repeat(201)]) {
      const response = await post('/demo-id-tokens', { userId: '555000000001', clientId });
      assert.equal(response.status, 400, JSON.stringify(clientId));
      assert.match((await response.json() as { issue: Array<{ diagnostics: string }> }).issue[0]!.diagnostics, /'clientId'/);
    }
  });

  it('a token request with an oversized parameter is invalid_request naming it, in the OAuth2 shape; an oversized grant_type is answered as any grant type it does not take, quoted clipped', async () => {
    const post = (body: string) => fetch(`${spine.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    // One over the door's 200 and one of 100,000: NHS England's words for a grant type it does not take, as for 'password'.
    for (const length of [201, 100_000]) {
      const longGrant = await post(new URLSearchParams({ grant_type: 'g'.repeat(length) }).toString());
      assert.equal(longGrant.status, 400);
      assert.deepEqual(await longGrant.json(), { error: 'invalid_request', error_description: `Unsupported grant_type '${'g'.repeat(100)}… (${length} characters)'` });
    }
    // An assertion or subject token type over the bound: NHS England's words for a wrong one, in the grant's order.
    const assertionType = "Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    const longAssertionType = await post(new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 't'.repeat(201), client_assertion: 'a.b.c' }).toString());
    assert.deepEqual([longAssertionType.status, await longAssertionType.json()], [400, { error: 'invalid_request', error_description: assertionType }]);
    const grantFirst = await post(new URLSearchParams({ grant_type: 'password', client_assertion_type: 't'.repeat(201) }).toString());
    assert.deepEqual(await grantFirst.json(), { error: 'invalid_request', error_description: "Unsupported grant_type 'password'" });
    const exchange = { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'a.b.c', subject_token: 'x.y.z' };
    const longSubjectType = await post(new URLSearchParams({ ...exchange, subject_token_type: 's'.repeat(201) }).toString());
    assert.deepEqual(await longSubjectType.json(), { error: 'invalid_request', error_description: "Missing or invalid subject_token_type - must be 'urn:ietf:params:oauth:token-type:id_token'" });
    // A type the grant does not read (client credentials): the door's refusal naming it.
    const unread = await post(new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'a.b.c', subject_token_type: 's'.repeat(201) }).toString());
    assert.deepEqual(await unread.json(), { error: 'invalid_request', error_description: 'Invalid subject_token_type' });
    // Under the door's bound, the grant's own check words it the same way.
    const underBound = await post(new URLSearchParams({ grant_type: 'h'.repeat(150) }).toString());
    assert.deepEqual(await underBound.json(), { error: 'invalid_request', error_description: `Unsupported grant_type '${'h'.repeat(100)}… (150 characters)'` });
    const oversized = await post(new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'a'.repeat(40_000) }).toString());
    assert.equal(oversized.status, 400);
    assert.deepEqual(await oversized.json(), { error: 'invalid_request', error_description: 'Invalid client_assertion' });
    // The NHS-worded checks still come from the grant: a missing grant_type.
    const missing = await post('client_assertion=x');
    assert.deepEqual(await missing.json(), { error: 'invalid_request', error_description: 'Missing grant_type' });
  });
});
