import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from './support/spine.js';
import type { ServiceModule } from '../src/platform/service.js';
import { identityService } from '../src/services/identity/index.js';

/** Sample values for path parameters, so every route can be called. */
const SAMPLE_PARAMS: Record<string, string> = {
  id: '9000000009', mailbox: 'X26ABC1', messageId: '20200101000000000000_ABCDEF', chunk: '1',
  apiKey: 'x', userId: '555000000001', odsCode: 'A83008', workflowId: 'WF', mailboxId: 'X26ABC1',
};

const concrete = (url: string) => url.replace(/:(\w+)/g, (_, name: string) => SAMPLE_PARAMS[name] ?? 'x').replace(/\*$/, 'x');

/**
 * The routes anyone may call: health, metrics, FHIR capability statements, the OAuth2 token
 * endpoint and the demo issuer's public keys, the SDS methods it answers 405 to (and the audit API's
 * on its capability statement), and the MESH routes its spec leaves without an NHSMESH header. Adding one to this list is a security decision.
 */
const EXPECTED_PUBLIC = [
  'GET /console/assets/console/*',
  'GET /console/assets/nhsuk-frontend.css',
  'GET /console/assets/nhsuk/*',
  'GET /console/auth/callback',
  'GET /console/auth/start',
  'GET /console/login',
  'GET /identity/demo-cis2/.well-known/openid-configuration',
  'GET /identity/demo-cis2/authorize',
  'POST /identity/demo-cis2/authorize',
  'POST /identity/demo-cis2/token',
  'DELETE /spine-directory/FHIR/R4/Device',
  'DELETE /spine-directory/FHIR/R4/Endpoint',
  'DELETE /spine-directory/FHIR/R4/_ping',
  'DELETE /spine-directory/FHIR/R4/_status',
  'DELETE /spine-directory/FHIR/R4/healthcheck',
  'DELETE /spine-directory/FHIR/R4/healthcheck/deep',
  'DELETE /spine-directory/FHIR/R4/metadata',
  'GET /_ping',
  'GET /_status',
  'GET /admin/identity/openapi.json',
  'DELETE /audit/FHIR/R4/metadata',
  'DELETE /oauth2/token',
  'GET /audit/FHIR/R4/metadata',
  'GET /audit/FHIR/R4/openapi.json',
  'GET /consent/STU3/metadata',
  'GET /consent/STU3/openapi.json',
  'GET /export/FHIR/R4/metadata',
  'GET /export/FHIR/R4/openapi.json',
  'GET /fhir-dispensing/FHIR/R4/metadata',
  'GET /fhir-dispensing/metadata',
  'GET /fhir-prescribing/FHIR/R4/metadata',
  'GET /fhir-prescribing/metadata',
  'GET /identity/demo-cis2/jwks',
  'GET /messageexchange/_ping',
  'GET /messageexchange/endpointlookup/:odsCode/:workflowId',
  'GET /messageexchange/openapi.json',
  'GET /messageexchange/workflowsearch/:workflowId',
  'GET /metrics',
  'GET /oauth2/token',
  'GET /personal-demographics/FHIR/R4/metadata',
  'GET /personal-demographics/FHIR/R4/openapi.json',
  'GET /personal-demographics/_ping',
  'GET /personal-demographics/_status',
  'GET /record-locator/consumer/FHIR/R4/_status',
  'GET /record-locator/consumer/FHIR/R4/metadata',
  'GET /record-locator/consumer/FHIR/R4/openapi.json',
  'GET /record-locator/producer/FHIR/R4/_status',
  'GET /record-locator/producer/FHIR/R4/metadata',
  'GET /record-locator/producer/FHIR/R4/openapi.json',
  'GET /spine-directory/FHIR/R4/_ping',
  'GET /spine-directory/FHIR/R4/healthcheck',
  'GET /spine-directory/FHIR/R4/healthcheck/deep',
  'GET /spine-directory/FHIR/R4/metadata',
  'GET /spine-directory/FHIR/R4/openapi.json',
  'OPTIONS /audit/FHIR/R4/metadata',
  'OPTIONS /oauth2/token',
  'OPTIONS /spine-directory/FHIR/R4/Device',
  'OPTIONS /spine-directory/FHIR/R4/Endpoint',
  'OPTIONS /spine-directory/FHIR/R4/_ping',
  'OPTIONS /spine-directory/FHIR/R4/_status',
  'OPTIONS /spine-directory/FHIR/R4/healthcheck',
  'OPTIONS /spine-directory/FHIR/R4/healthcheck/deep',
  'OPTIONS /spine-directory/FHIR/R4/metadata',
  'PATCH /audit/FHIR/R4/metadata',
  'PATCH /oauth2/token',
  'PATCH /spine-directory/FHIR/R4/Device',
  'PATCH /spine-directory/FHIR/R4/Endpoint',
  'PATCH /spine-directory/FHIR/R4/_ping',
  'PATCH /spine-directory/FHIR/R4/_status',
  'PATCH /spine-directory/FHIR/R4/healthcheck',
  'PATCH /spine-directory/FHIR/R4/healthcheck/deep',
  'PATCH /spine-directory/FHIR/R4/metadata',
  'POST /audit/FHIR/R4/metadata',
  'POST /oauth2/token',
  'POST /spine-directory/FHIR/R4/Device',
  'POST /spine-directory/FHIR/R4/Endpoint',
  'POST /spine-directory/FHIR/R4/_ping',
  'POST /spine-directory/FHIR/R4/_status',
  'POST /spine-directory/FHIR/R4/healthcheck',
  'POST /spine-directory/FHIR/R4/healthcheck/deep',
  'POST /spine-directory/FHIR/R4/metadata',
  'PUT /audit/FHIR/R4/metadata',
  'PUT /oauth2/token',
  'PUT /spine-directory/FHIR/R4/Device',
  'PUT /spine-directory/FHIR/R4/Endpoint',
  'PUT /spine-directory/FHIR/R4/_ping',
  'PUT /spine-directory/FHIR/R4/_status',
  'PUT /spine-directory/FHIR/R4/healthcheck',
  'PUT /spine-directory/FHIR/R4/healthcheck/deep',
  'PUT /spine-directory/FHIR/R4/metadata',
];

describe('every route is protected by construction', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  it('every registered route is in the protection table, and the public ones are exactly the expected list', () => {
    const table = spine.app.routeProtection;
    assert.equal(table.length, spine.app.routeTable.length);
    const publicRoutes = [...new Set(table.filter((r) => r.protection === 'public' && r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`))].sort();
    assert.deepEqual(publicRoutes, [...EXPECTED_PUBLIC].sort());
    const serviceAuthenticated = table.filter((r) => r.protection.startsWith('service:'));
    assert.ok(serviceAuthenticated.length > 10);
    for (const route of serviceAuthenticated) {
      // The console's pages check its own session cookie (and each page's roles).
      if (route.url.startsWith('/console')) {
        assert.equal(route.protection, 'service:console-session', `${route.method} ${route.url}`);
        continue;
      }
      assert.ok(route.url.startsWith('/messageexchange/'), `${route.method} ${route.url}`);
      assert.equal(route.protection, 'service:NHSMESH');
    }
  });

  it('without credentials every route that declares an activity answers 401, and every MESH route that needs NHSMESH 403', async () => {
    const checked: string[] = [];
    for (const route of spine.app.routeProtection) {
      if (route.protection === 'public') continue;
      const headers: Record<string, string> = { 'x-request-id': crypto.randomUUID() };
      if (route.url.startsWith('/messageexchange')) headers.accept = 'application/vnd.mesh.v2+json';
      const hasBody = !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(route.method);
      const response = await fetch(`${spine.url}${concrete(route.url)}`, {
        method: route.method, headers: hasBody ? { ...headers, 'content-type': 'application/json' } : headers, body: hasBody ? '{}' : undefined, redirect: 'manual',
      });
      await response.arrayBuffer();
      // The console sends a browser without a session to sign in, and refuses a form post 401.
      const expected = route.protection.startsWith('activity:') ? 401
        : route.protection === 'service:console-session' ? (route.method === 'GET' ? 303 : 401) : 403;
      assert.equal(response.status, expected, `${route.method} ${route.url} (${route.protection}) answered ${response.status}`);
      checked.push(`${route.method} ${route.url}`);
    }
    assert.ok(checked.some((r) => r === 'GET /personal-demographics/FHIR/R4/Patient/:id'));
    assert.ok(checked.some((r) => r === 'GET /messageexchange/:mailbox/inbox'));
    assert.ok(checked.length > 40);
  });
});

describe('a route that declares no protection', () => {
  const withRoute = (config: Record<string, unknown> | undefined): ServiceModule => ({
    ...identityService,
    async routes(app, ctx) {
      await identityService.routes(app, ctx);
      app.get('/extra/thing', config ? { config } : {}, async () => ({ secret: true }));
    },
  });

  it('stops the server from starting, naming the route', async () => {
    await assert.rejects(startTestSpine({ flags: { services: 'identity' }, modules: [withRoute(undefined)] }),
      /routes without a declared activity, public flag or service authentication: GET \/extra\/thing, HEAD \/extra\/thing/);
  });

  it('starts once it is declared public, or given an activity', async () => {
    for (const config of [{ public: true }, { activity: 'identity:admin' }]) {
      const spine = await startTestSpine({ flags: { services: 'identity' }, modules: [withRoute(config)] });
      try {
        const response = await fetch(`${spine.url}/extra/thing`);
        assert.equal(response.status, config.public ? 200 : 401);
      } finally {
        await spine.close();
      }
    }
  });
});
