import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { DEMO_ISSUER } from '../../src/services/identity/demo-issuer.js';
import { assertionParts, CLIENT_ASSERTION_TYPE, json, registerApp, signRaw, type RegisteredApp } from './fixtures.js';

/** What the token-exchange tests (token-exchange-*.test.ts) share: a Spine, an app, an admin, and the exchange form. */

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

export interface ExchangeSpine {
  spine: TestSpine;
  /** An application that exchanges ID tokens, for patients and directory reads. */
  app: RegisteredApp;
  /** An `identity:admin` access token. */
  adminToken: string;
}

export async function startExchangeSpine(): Promise<ExchangeSpine> {
  const spine = await startTestSpine();
  const app = await registerApp(spine, { activities: ['patient:read', 'patient:search', 'patient:write', 'patient:create', 'directory:read'], rateLimit: 500 });
  const adminToken = (await createAppAndToken(spine, { activities: ['identity:admin'] })).token;
  return { spine, app, adminToken };
}

/** The token-exchange form for `idToken`, with a fresh client assertion of `by`. */
export function exchangeForm(idToken: string, by: RegisteredApp): Record<string, string> {
  const { header, claims } = assertionParts(by);
  return {
    grant_type: TOKEN_EXCHANGE,
    subject_token_type: ID_TOKEN_TYPE,
    subject_token: idToken,
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: signRaw(header, claims, by.key.privateKeyPem),
  };
}

/** A demo ID token addressed to `clientId`, minted through the admin API. */
export async function demoIdToken(setup: ExchangeSpine, userId: string, roleProfileId: string | undefined, clientId: string): Promise<string> {
  const response = await fetch(`${setup.spine.url}/admin/identity/demo-id-tokens`, {
    method: 'POST', headers: { authorization: `Bearer ${setup.adminToken}`, 'content-type': 'application/json' }, body: json({ userId, roleProfileId, clientId }),
  });
  assert.equal(response.status, 200);
  const body = await response.json() as { issuer: string; id_token: string };
  assert.equal(body.issuer, DEMO_ISSUER);
  return body.id_token;
}
