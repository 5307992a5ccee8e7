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
import { PATIENT_DATA_ACTIVITIES } from '../src/platform/audit/route-audit.js';
import { setPointerTypes } from '../src/services/record-locator/api.js';
import { MENTAL_HEALTH_CRISIS_PLAN, pointerBody } from './record-locator/support.js';

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

describe('NRL is audited by construction', () => {
  let spine: TestSpine;
  let producer: { token: string; appId: string };
  let consumer: { token: string; appId: string };
  before(async () => {
    spine = await startTestSpine({ flags: { services: 'identity,record-locator' } });
    const made = async (activity: 'record-locator:produce' | 'record-locator:consume', ods: string) => {
      const { token, principal } = await createAppAndToken(spine, { activities: [activity], odsCode: ods });
      await setPointerTypes(spine.ctx.db, principal.appId, ods, [MENTAL_HEALTH_CRISIS_PLAN]);
      return { token, appId: principal.appId };
    };
    producer = await made('record-locator:produce', 'RAUD1');
    consumer = await made('record-locator:consume', 'RAUD2');
  });
  after(async () => { await spine.close(); });

  /** One NRL call and the audit entries of its request id. */
  async function nrl(method: string, path: string, as: { token: string }, body?: unknown, ods = as === producer ? 'RAUD1' : 'RAUD2') {
    const requestId = randomUUID();
    const response = await fetch(`${spine.url}/record-locator${path}`, {
      method, body: body === undefined ? undefined : JSON.stringify(body),
      headers: { authorization: `Bearer ${as.token}`, 'x-request-id': requestId, 'nhsd-end-user-organisation-ods': ods, ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }) },
    });
    const text = await response.text();
    // A write's entry commits with it and is chained just after: chain it now to read it.
    await spine.ctx.audit.chainPending();
    const { rows } = await spine.ctx.db.query(
      `SELECT action, resource, nhs_numbers, outcome, app_id, ods_code, detail FROM audit.events WHERE request_id = $1 ORDER BY seq`, [requestId]);
    return { status: response.status, text, headers: response.headers, audit: rows };
  }

  it('every pointer route declares its audit action, and the NRL activities are patient-data ones (a route without config.audit is refused)', () => {
    assert.ok(PATIENT_DATA_ACTIVITIES.has('record-locator:consume') && PATIENT_DATA_ACTIVITIES.has('record-locator:produce'));
    const pointerRoutes = spine.app.routeTable.filter((r) => r.url.startsWith('/record-locator/') && r.url.includes('/DocumentReference'));
    assert.ok(pointerRoutes.length >= 10, `${pointerRoutes.length} pointer routes`);
    assert.deepEqual(pointerRoutes.filter((r) => !r.config?.audit).map((r) => `${r.method} ${r.url}`), []);
  });

  it('a create, a read, a search and a count each get exactly one entry, naming the caller, its organisation and the patient', async () => {
    const nhsNumber = '9730675929';
    const created = await nrl('POST', '/producer/FHIR/R4/DocumentReference', producer, pointerBody('RAUD1', nhsNumber));
    assert.equal(created.status, 201, created.text);
    const id = created.headers.get('location')!.split('/').pop()!;
    assert.deepEqual(created.audit, [{ action: 'pointer.create', resource: `DocumentReference/${id}`, nhs_numbers: [nhsNumber], outcome: 'success', app_id: producer.appId, ods_code: 'RAUD1', detail: { api: 'producer' } }]);

    const read = await nrl('GET', `/consumer/FHIR/R4/DocumentReference/${id}`, consumer);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.audit, [{ action: 'pointer.read', resource: `DocumentReference/${id}`, nhs_numbers: [nhsNumber], outcome: 'success', app_id: consumer.appId, ods_code: 'RAUD2', detail: { api: 'consumer' } }]);

    const subject = encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`);
    const searched = await nrl('GET', `/consumer/FHIR/R4/DocumentReference?subject:identifier=${subject}`, consumer);
    assert.equal(searched.status, 200, searched.text);
    assert.deepEqual(searched.audit, [{ action: 'pointer.search', resource: 'DocumentReference', nhs_numbers: [nhsNumber], outcome: 'success', app_id: consumer.appId, ods_code: 'RAUD2', detail: { api: 'consumer', total: 1, returned: 1 } }]);

    const counted = await nrl('GET', `/consumer/FHIR/R4/DocumentReference/_count?subject:identifier=${subject}`, consumer);
    assert.equal(counted.status, 200, counted.text);
    assert.deepEqual(counted.audit, [{ action: 'pointer.count', resource: 'DocumentReference', nhs_numbers: [nhsNumber], outcome: 'success', app_id: consumer.appId, ods_code: 'RAUD2', detail: { api: 'consumer', total: 1 } }]);
  });

  it('a search refused after the handler began, and a caller without pointer types, are audited as failure and denied', async () => {
    const refused = await nrl('GET', `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent('https://fhir.nhs.uk/Id/nhs-number|9730675920')}`, consumer);
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(refused.audit, [{ action: 'pointer.search', resource: 'DocumentReference', nhs_numbers: [], outcome: 'failure', app_id: consumer.appId, ods_code: 'RAUD2', detail: { api: 'consumer', error: 'INVALID_NHS_NUMBER' } }]);
    const denied = await nrl('GET', '/consumer/FHIR/R4/DocumentReference/RAUD1-x', consumer, undefined, 'RAUD9');
    assert.equal(denied.status, 403, denied.text);
    assert.deepEqual(denied.audit, [{ action: 'pointer.access-denied', resource: null, nhs_numbers: [], outcome: 'denied', app_id: consumer.appId, ods_code: 'RAUD9', detail: { api: 'consumer', method: 'GET' } }]);
  });
});
