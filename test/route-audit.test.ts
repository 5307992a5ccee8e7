import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { createAppAndToken } from './support/identity.js';
import type { ServiceModule } from '../src/platform/service.js';
import { identityService } from '../src/services/identity/index.js';
import { auditContext } from '../src/platform/audit/entry.js';
import { SpineError, PLATFORM_ERRORS } from '../src/platform/http/errors.js';

/** Routes that declare their audit (succeeding and failing), one audited by hand, and one with no patient data. */
const probe: ServiceModule = {
  ...identityService,
  async routes(app: FastifyInstance, ctx) {
    await identityService.routes(app, ctx);
    // Declares its audit action; says what it touched; makes no audit call.
    app.get<{ Params: { id: string } }>('/probe/declared/:id', { config: { activity: 'patient:read', audit: { action: 'patient.probe' } } }, async (request) => {
      request.audited = { resource: `Patient/${request.params.id}`, nhsNumbers: [request.params.id], detail: { why: 'test' } };
      return { id: request.params.id };
    });
    // Audits by hand (as the admin APIs do): the platform adds no second entry.
    app.get('/probe/by-hand', { config: { activity: 'directory:read', audit: { action: 'directory.probe' } } }, async (request) => {
      await ctx.audit.record({ ...auditContext(request), action: 'directory.by-hand', nhsNumbers: [], outcome: 'success' });
      return { ok: true };
    });
    // Refused before it says what it is about: nothing touched, nothing audited.
    app.get('/probe/fails', { config: { activity: 'patient:read', audit: { action: 'patient.fails' } } }, async (_request, reply) => reply.code(404).send({ none: true }));
    // Says what it is about, then fails: a failure entry with the error's code.
    app.get<{ Params: { id: string } }>('/probe/refused/:id', { config: { activity: 'patient:write', audit: { action: 'patient.refused' } } }, async (request) => {
      request.audited = { resource: `Patient/${request.params.id}`, nhsNumbers: [request.params.id] };
      throw new SpineError(PLATFORM_ERRORS.INVALID_VALUE, 'no');
    });
    // Decides its own failure entry.
    app.get('/probe/not-found', { config: { activity: 'patient:read', audit: { action: 'patient.probe' } } }, async (request) => {
      request.audited = { resource: 'Patient/9000000009', nhsNumbers: ['9000000009'], outcome: 'failure', detail: { reason: 'not-found' } };
      throw new SpineError(PLATFORM_ERRORS.NOT_FOUND, 'none');
    });
    app.get('/probe/directory', { config: { activity: 'directory:read' } }, async () => ({ ok: true }));
  },
};

describe('patient-data responses are audited by the platform', () => {
  let spine: TestSpine;
  let token: string;
  let appId: string;
  before(async () => {
    spine = await startTestSpine({ flags: { services: 'identity' }, modules: [probe] });
    ({ token, principal: { appId } } = await createAppAndToken(spine, { activities: ['patient:read', 'patient:write', 'directory:read'] }));
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

  it('a route that audits by hand gets exactly its own entry', async () => {
    const { status, audit } = await call('/probe/by-hand');
    assert.equal(status, 200);
    assert.deepEqual(audit.map((r) => r.action), ['directory.by-hand']);
  });

  it('a request that fails after saying what it was about is audited as a failure with the error code, or as the handler says', async () => {
    assert.deepEqual(await call('/probe/refused/9000000009'), { status: 400, audit: [{
      action: 'patient.refused', resource: 'Patient/9000000009', nhs_numbers: ['9000000009'], outcome: 'failure', app_id: appId, detail: { error: 'INVALID_VALUE' },
    }] });
    assert.deepEqual(await call('/probe/not-found'), { status: 404, audit: [{
      action: 'patient.probe', resource: 'Patient/9000000009', nhs_numbers: ['9000000009'], outcome: 'failure', app_id: appId, detail: { reason: 'not-found' },
    }] });
  });

  it('a request refused before it said what it was about gets no entry; nor does a route without patient data', async () => {
    assert.deepEqual(await call('/probe/fails'), { status: 404, audit: [] });
    assert.deepEqual(await call('/probe/directory'), { status: 200, audit: [] });
  });
});

describe('a patient-data route without config.audit', () => {
  it('is refused at registration, naming the route', async () => {
    const forgetful: ServiceModule = {
      ...identityService,
      async routes(app: FastifyInstance, ctx) {
        await identityService.routes(app, ctx);
        app.get('/probe/forgot', { config: { activity: 'patient:search' } }, async () => ({ patients: [] }));
      },
    };
    await assert.rejects(startTestSpine({ flags: { services: 'identity' }, modules: [forgetful] }), /GET \/probe\/forgot serves patient data \('patient:search'\) but declares no config.audit/);
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
