import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { startTestSpine, type TestSpine } from './support/spine.js';
import type { ServiceModule } from '../src/platform/service.js';
import type { RouteEntry } from '../src/platform/http/server.js';
import { identityService } from '../src/services/identity/index.js';

/**
 * Every route declares the schema of what it reads, so the door checks it before the handler runs
 * (issue 8, "Input"). Walks every registered route and holds it to three rules:
 * - params: each parameter of its URL (`:name`, `*`) has a property in `schema.params`;
 * - body: a POST, PUT or PATCH declares `schema.body`, or says it streams opaque bytes
 *   (`config.body: 'stream'`) or reads none (`config.body: 'none'`, and its handler never
 *   touches `body`);
 * - query: a handler that reads `request.query` (its source names `query`; in this codebase
 *   handlers pass it on explicitly, `parseX(request.query)`) declares `schema.querystring`.
 * The query rule reads handler source, so a handler that passed the whole request to a helper
 * that read the query would escape it; none does today.
 */

const STATIC_ASSETS = ['/console/assets/'];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

interface Finding { route: string; part: 'params' | 'body' | 'querystring'; why: string }

function urlParameters(url: string): string[] {
  const names = [...url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  return url.endsWith('*') ? [...names, '*'] : names;
}

/** What a route reads without declaring it; `applies` counts the routes each rule had something to say about. */
export function undeclaredReads(routes: readonly RouteEntry[]) {
  const findings: Finding[] = [];
  const applies = { params: 0, body: 0, querystring: 0 };
  for (const entry of routes) {
    if (entry.method === 'HEAD') continue; // Fastify's copy of a GET route
    const route = `${entry.method} ${entry.url}`;
    const source = String(entry.handler ?? '');
    const parameters = urlParameters(entry.url);
    if (parameters.length > 0) {
      applies.params += 1;
      const declared = (entry.schema?.params as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
      for (const name of parameters) {
        // A wildcard of @fastify/static (the console's assets) is a file path it resolves inside its root.
        if (name === '*' && STATIC_ASSETS.some((prefix) => entry.url.startsWith(prefix))) continue;
        if (!(name in declared)) findings.push({ route, part: 'params', why: `path parameter '${name}' has no schema` });
      }
    }
    if (BODY_METHODS.has(entry.method)) {
      applies.body += 1;
      const says = entry.config?.body;
      if (!entry.schema?.body && says === undefined) findings.push({ route, part: 'body', why: 'no body schema, and no config.body saying it streams or ignores its body' });
      if (says === 'none' && /\bbody\b/.test(source)) findings.push({ route, part: 'body', why: "says config.body 'none' but its handler reads the body" });
    }
    // `request.query`, not a database call (`tx.query(…)`, `db.query<Row>(…)`).
    if (/\bquery\b(?!\s*[(<])/.test(source)) {
      applies.querystring += 1;
      if (!entry.schema?.querystring) findings.push({ route, part: 'querystring', why: 'its handler reads the query string, which has no schema' });
    }
  }
  return { findings, applies };
}

describe('every route declares the schema of what it reads', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine.close(); });

  it('no route reads params, a query or a body it has not declared', () => {
    const { findings, applies } = undeclaredReads(spine.app.routeTable);
    assert.deepEqual(findings, []);

    // The walk saw the whole Spine, and each rule had real routes to judge.
    const walked = spine.app.routeTable.filter((r) => r.method !== 'HEAD');
    assert.ok(walked.length >= 140, `walked ${walked.length} routes`);
    assert.ok(applies.params >= 40, `params rule applied to ${applies.params}`);
    assert.ok(applies.body >= 40, `body rule applied to ${applies.body}`);
    assert.ok(applies.querystring >= 12, `query rule applied to ${applies.querystring}`);
    const urls = new Set(walked.map((r) => `${r.method} ${r.url}`));
    for (const known of ['GET /admin/directory/organisations', 'GET /messageexchange/:mailbox/inbox', 'GET /messageexchange/:mailbox/outbox/rich',
      'PUT /admin/directory/devices/:id', 'POST /messageexchange/:mailbox', 'GET /personal-demographics/FHIR/R4/Patient']) {
      assert.ok(urls.has(known), known);
    }
    // Each kind of declaration is in use: the rules are not met by routes that read nothing.
    assert.ok(walked.filter((r) => r.schema?.querystring).length >= 12);
    assert.ok(walked.some((r) => r.config?.body === 'stream'));
    assert.ok(walked.some((r) => r.config?.body === 'none'));
  });

  it('every route MESH authenticates by its NHSMESH header declares that header', () => {
    const byNhsMesh = new Set(spine.app.routeProtection.filter((r) => r.protection === 'service:NHSMESH').map((r) => `${r.method} ${r.url}`));
    const mesh = spine.app.routeTable.filter((r) => r.method !== 'HEAD' && byNhsMesh.has(`${r.method} ${r.url}`));
    assert.ok(mesh.length >= 10, `${mesh.length} NHSMESH routes`);
    for (const route of mesh) {
      const headers = route.schema?.headers as { required?: string[]; properties?: Record<string, unknown> } | undefined;
      assert.ok(headers?.properties?.authorization && headers.required?.includes('authorization'), `${route.method} ${route.url}`);
    }
  });
});

describe('the walk finds a route that reads what it has not declared', () => {
  const withRoutes = (declared: boolean): ServiceModule => ({
    ...identityService,
    async routes(app, ctx) {
      await identityService.routes(app, ctx);
      const open = { config: { public: true as const } };
      app.get<{ Params: { id: string } }>('/extra/:id', declared ? { ...open, schema: { params: Type.Object({ id: Type.String() }) } } : open,
        async (request) => ({ id: request.params.id }));
      app.post('/extra', declared ? { ...open, schema: { body: Type.Object({ name: Type.String() }) } } : open, async (request) => request.body);
      app.get<{ Querystring: { q?: string } }>('/extra-list', declared ? { ...open, schema: { querystring: Type.Object({ q: Type.Optional(Type.String()) }) } } : open,
        async (request) => ({ q: request.query.q ?? null }));
      app.put('/extra-ignored', { config: { public: true, body: 'none' } }, async (request) => ({ got: request.body ?? null }));
    },
  });

  it('names each undeclared params, body and query read, and the route that claims to read no body but does', async () => {
    const spine = await startTestSpine({ flags: { services: 'identity' }, modules: [withRoutes(false)] });
    try {
      const extra = undeclaredReads(spine.app.routeTable).findings.filter((f) => f.route.includes('/extra'));
      assert.deepEqual(extra.map(({ route, part }) => `${route} ${part}`).sort(), [
        'GET /extra-list querystring', 'GET /extra/:id params', 'POST /extra body', "PUT /extra-ignored body",
      ]);
    } finally {
      await spine.close();
    }
  });

  it('passes the same routes once they declare their schemas', async () => {
    const spine = await startTestSpine({ flags: { services: 'identity' }, modules: [withRoutes(true)] });
    try {
      const extra = undeclaredReads(spine.app.routeTable).findings.filter((f) => f.route.includes('/extra'));
      assert.deepEqual(extra.map(({ route, part }) => `${route} ${part}`), ['PUT /extra-ignored body']);
      const refused = await fetch(`${spine.url}/extra`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": 1}' });
      assert.equal(refused.status, 400, 'the declared body is checked at the door');
    } finally {
      await spine.close();
    }
  });
});
