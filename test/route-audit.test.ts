import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { createAppAndToken } from './support/identity.js';
import type { ServiceModule } from '../src/platform/service.js';
import { identityService } from '../src/services/identity/index.js';
import { auditContext } from '../src/platform/audit/entry.js';

/** Routes written the three ways a service might, plus one that fails, and one with no patient data. */
const probe: ServiceModule = {
  ...identityService,
  async routes(app: FastifyInstance, ctx) {
    await identityService.routes(app, ctx);
    // Declares its audit action; says what it touched; makes no audit call.
    app.get<{ Params: { id: string } }>('/probe/declared/:id', { config: { activity: 'patient:read', audit: { action: 'patient.probe' } } }, async (request) => {
      request.audited = { resource: `Patient/${request.params.id}`, nhsNumbers: [request.params.id], detail: { why: 'test' } };
      return { id: request.params.id };
    });
    // A patient-data route that forgot to audit.
    app.get('/probe/forgot', { config: { activity: 'patient:search' } }, async () => ({ patients: [] }));
    // Audits by hand, as the existing routes do.
    app.get('/probe/by-hand', { config: { activity: 'patient:read' } }, async (request) => {
      await ctx.audit.record({ ...auditContext(request), action: 'patient.by-hand', nhsNumbers: ['9000000009'], outcome: 'success' });
      return { ok: true };
    });
    app.get('/probe/fails', { config: { activity: 'patient:read', audit: { action: 'patient.fails' } } }, async (_request, reply) => reply.code(404).send({ none: true }));
    app.get('/probe/directory', { config: { activity: 'directory:read' } }, async () => ({ ok: true }));
  },
};

describe('patient-data responses are audited by the platform', () => {
  let spine: TestSpine;
  let token: string;
  let appId: string;
  before(async () => {
    spine = await startTestSpine({ flags: { services: 'identity' }, modules: [probe] });
    ({ token, principal: { appId } } = await createAppAndToken(spine, { activities: ['patient:read', 'patient:search', 'directory:read'] }));
  });
  after(async () => { await spine.close(); });

  async function call(path: string) {
    const requestId = randomUUID();
    const response = await fetch(`${spine.url}${path}`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId } });
    await response.arrayBuffer();
    const { rows } = await spine.ctx.db.query(
      `SELECT action, resource, nhs_numbers, outcome, app_id, detail FROM audit.events WHERE request_id = $1 ORDER BY seq`, [requestId]);
    return { status: response.status, audit: rows };
  }

  it('a route that declares config.audit gets its entry with what the handler touched, without an audit call', async () => {
    assert.deepEqual(await call('/probe/declared/9000000009'), { status: 200, audit: [{
      action: 'patient.probe', resource: 'Patient/9000000009', nhs_numbers: ['9000000009'], outcome: 'success', app_id: appId,
      detail: { why: 'test' },
    }] });
  });

  it('a patient-data route that forgot to audit is still audited, under its activity', async () => {
    assert.deepEqual(await call('/probe/forgot'), { status: 200, audit: [{
      action: 'patient.search', resource: '/probe/forgot', nhs_numbers: [], outcome: 'success', app_id: appId, detail: { method: 'GET', status: 200 },
    }] });
  });

  it('a route that audits by hand gets exactly its own entry', async () => {
    const { status, audit } = await call('/probe/by-hand');
    assert.equal(status, 200);
    assert.deepEqual(audit.map((r) => r.action), ['patient.by-hand']);
  });

  it('error responses carry no patient data and get no platform entry; non-patient routes neither', async () => {
    assert.deepEqual(await call('/probe/fails'), { status: 404, audit: [] });
    assert.deepEqual(await call('/probe/directory'), { status: 200, audit: [] });
  });
});

describe('when the audit trail cannot be written', () => {
  it('a route audited by the platform answers 503 and sends no patient data', async () => {
    const spine = await startTestSpine({ flags: { services: 'identity' }, modules: [probe] });
    try {
      const { token } = await createAppAndToken(spine, { activities: ['patient:read'] });
      await spine.ctx.audit.close();
      const response = await fetch(`${spine.url}/probe/declared/9000000009`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status, 503);
      const body = await response.text();
      assert.doesNotMatch(body, /"id":"9000000009"/);
      assert.match(body, /SERVICE_UNAVAILABLE/);
    } finally {
      await spine.close();
    }
  });
});
