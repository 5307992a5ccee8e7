import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken, userToken } from '../support/identity.js';
import { ALL_SERVICES } from '../../src/services/registry.js';
import type { ServiceModule } from '../../src/platform/service.js';
import { createAuditWriter } from '../../src/platform/audit/writer.js';
import { verifyAuditChain } from '../../src/platform/audit/verify.js';
import { fixedClock } from '../../src/platform/clock.js';

// A stand-in for a patient-data service: reads "a patient" and is audited the way every such route must be.
const probeModule: ServiceModule = {
  name: 'audit',
  migrations: [],
  async routes(app) {
    app.get<{ Params: { nhs: string } }>('/audit-probe/Patient/:nhs', { config: { activity: 'patient:read', audit: { action: 'patient.read' } } }, async (request) => {
      request.audited = { resource: `Patient/${request.params.nhs}`, nhsNumbers: [request.params.nhs], detail: { probe: true } };
      return { read: request.params.nhs };
    });
  },
};

const PATIENT = '9000000009';
const OTHER_PATIENT = '9449305552';

describe('audit service: AuditEvent search over the audit trail', () => {
  let spine: TestSpine;
  let clinicianA: string;
  let clinicianB: string;
  let privacyOfficer: string;
  let appToken: string;
  let appId: string;

  const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
    fetch(`${spine.url}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  const search = async (query: string, token: string) => {
    const res = await get(`/audit/FHIR/R4/AuditEvent?${query}`, token);
    assert.equal(res.status, 200, await res.clone().text());
    return res.json();
  };
  const actionsOf = (bundle: any) => (bundle.entry ?? []).map((e: any) => e.resource.subtype[0].code);

  before(async () => {
    spine = await startTestSpine({ modules: [...ALL_SERVICES, probeModule] });
    clinicianA = (await userToken(spine, { roleCode: 'R8000', userId: '555000000011', roleProfileId: '555000000111', odsCode: 'A83008' })).token;
    clinicianB = (await userToken(spine, { roleCode: 'R8000', userId: '555000000022', roleProfileId: '555000000222' })).token;
    privacyOfficer = (await userToken(spine, { roleCode: 'R9901', userId: '555000000099' })).token;
    const app = await createAppAndToken(spine, { activities: ['patient:read', 'audit:read'], name: 'Audit test app' });
    appToken = app.token;
    appId = app.principal.appId;
    // Accesses to look for: A reads PATIENT twice, B reads PATIENT and OTHER_PATIENT, the app reads OTHER_PATIENT.
    for (const [token, nhs] of [[clinicianA, PATIENT], [clinicianB, PATIENT], [clinicianB, OTHER_PATIENT], [clinicianA, PATIENT], [appToken, OTHER_PATIENT]] as const) {
      assert.equal((await get(`/audit-probe/Patient/${nhs}`, token)).status, 200);
    }
  });
  after(async () => { await spine.close(); });

  it('an access to patient data is audited durably before the response arrives, with every field', async () => {
    const requestId = randomUUID();
    const { principal } = await userToken(spine, { roleCode: 'R8000', userId: '555000000033', roleProfileId: '555000000333', odsCode: 'B82033' });
    const token = (await spine.ctx.tokens.issue(principal)).token;
    const startedAt = Date.now();
    const res = await get(`/audit-probe/Patient/${PATIENT}`, token, { 'X-Request-ID': requestId });
    assert.equal(res.status, 200);
    // No waiting: the row must already be there when the response is.
    const { rows } = await spine.ctx.db.query('SELECT * FROM audit.events WHERE request_id = $1', [requestId]);
    assert.equal(rows.length, 1);
    const row = rows[0];
    assert.deepEqual(
      { action: row.action, resource: row.resource, nhs: row.nhs_numbers, outcome: row.outcome, app: row.app_id, appName: row.app_name,
        user: row.user_id, profile: row.role_profile_id, role: row.role_code, ods: row.ods_code, ip: row.client_address, detail: row.detail },
      { action: 'patient.read', resource: `Patient/${PATIENT}`, nhs: [PATIENT], outcome: 'success', app: principal.appId, appName: principal.appName,
        user: '555000000033', profile: '555000000333', role: 'R8000', ods: 'B82033', ip: '127.0.0.1', detail: { probe: true } },
    );
    assert.ok(row.recorded_at.getTime() >= startedAt - 5 && row.recorded_at.getTime() <= Date.now());
  });

  it('concurrent requests to two Spine processes on one database are all recorded in one unbroken chain', async () => {
    const second = await startTestSpine({ modules: [...ALL_SERVICES, probeModule], databaseUrl: spine.databaseUrl });
    const ids = Array.from({ length: 150 }, () => randomUUID());
    // As a client does, a request shed while the server is busy (503) is sent again after its Retry-After.
    const read = async (url: string, id: string): Promise<number> => {
      for (let attempt = 1; ; attempt++) {
        const response = await fetch(`${url}/audit-probe/Patient/${OTHER_PATIENT}`, { headers: { authorization: `Bearer ${clinicianB}`, 'X-Request-ID': id } });
        await response.arrayBuffer();
        const retryAfter = Number(response.headers.get('retry-after'));
        if (response.status !== 503 || !(retryAfter > 0) || attempt === 10) return response.status;
        await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      }
    };
    const statuses = await Promise.all(ids.map((id, i) => read(i % 2 ? spine.url : second.url, id)));
    await second.close();
    assert.deepEqual(new Set(statuses), new Set([200]));
    const { rows } = await spine.ctx.db.query('SELECT count(*)::int AS n FROM audit.events WHERE request_id = ANY($1)', [ids]);
    assert.equal(rows[0].n, ids.length);
    const verdict = await verifyAuditChain(spine.ctx.db);
    assert.equal(verdict.intact, true);
  });

  it('when the audit trail cannot be written the request fails with 503 and its data is not sent', async () => {
    // Simulate a failing trail (a full disk, say) with a test-only trigger that refuses inserts.
    await spine.ctx.db.query(`CREATE FUNCTION audit.simulated_failure() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'simulated audit failure'; END $$;
      CREATE TRIGGER simulated_failure BEFORE INSERT ON audit.events FOR EACH STATEMENT EXECUTE FUNCTION audit.simulated_failure()`);
    try {
      const res = await get(`/audit-probe/Patient/${PATIENT}`, clinicianA);
      assert.equal(res.status, 503);
      const body = await res.json();
      assert.equal(body.resourceType, 'OperationOutcome');
      assert.deepEqual([body.issue[0].details.coding[0].code, body.issue[0].diagnostics],
        ['SERVICE_UNAVAILABLE', 'The audit trail could not be written: the request was not completed']);
    } finally {
      await spine.ctx.db.query('DROP TRIGGER simulated_failure ON audit.events; DROP FUNCTION audit.simulated_failure()');
    }
    assert.equal((await get(`/audit-probe/Patient/${PATIENT}`, clinicianA)).status, 200);
    assert.equal((await verifyAuditChain(spine.ctx.db)).intact, true);
  });

  it("'who looked at my record': a privacy officer sees every access to a patient, newest first, as FHIR AuditEvents", async () => {
    const bundle = await search(`patient=${PATIENT}&_count=1000`, privacyOfficer);
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.type, 'searchset');
    const reads = bundle.entry.filter((e: any) => e.resource.subtype[0].code === 'patient.read').map((e: any) => e.resource);
    const users = reads.map((r: any) => r.agent.find((a: any) => a.who.type === 'Practitioner')?.who.identifier.value);
    assert.ok(users.includes('555000000011') && users.includes('555000000022'));
    assert.equal(bundle.total, bundle.entry.length);
    const ids = bundle.entry.map((e: any) => Number(e.resource.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    const event = reads.find((r: any) => r.agent.some((a: any) => a.who.identifier?.value === '555000000011'));
    assert.equal(event.resourceType, 'AuditEvent');
    assert.deepEqual(event.type, { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' });
    assert.deepEqual(event.subtype[1], { system: 'http://hl7.org/fhir/restful-interaction', code: 'read' });
    assert.equal(event.action, 'R');
    assert.equal(event.outcome, '0');
    assert.match(event.recorded, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const user = event.agent.find((a: any) => a.who.type === 'Practitioner');
    assert.deepEqual(user.who.identifier, { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: '555000000011' });
    assert.deepEqual(user.role, [{ coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/NHSDigital-SDS-JobRoleCode', code: 'R8000' }] }]);
    assert.deepEqual(user.network, { address: '127.0.0.1', type: '2' });
    assert.equal(user.requestor, true);
    assert.deepEqual(event.agent.find((a: any) => a.who.type === 'PractitionerRole').who.identifier,
      { system: 'https://fhir.nhs.uk/Id/sds-role-profile-id', value: '555000000111' });
    assert.deepEqual(event.agent.find((a: any) => a.who.type === 'Organization').who.identifier,
      { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'A83008' });
    assert.equal(event.agent.find((a: any) => a.who.type === 'Device').who.display, 'Test clinical system');
    assert.deepEqual(event.source.observer, { display: 'OpenSpine' });
    assert.deepEqual(event.entity[0].what, { type: 'Patient', identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: PATIENT } });
    assert.deepEqual(event.entity[1].what, { reference: `Patient/${PATIENT}` });
    assert.equal(bundle.entry[0].fullUrl, `${spine.config.publicBaseUrl}/audit/FHIR/R4/AuditEvent/${bundle.entry[0].resource.id}`);
  });

  it('with only audit:read a user sees their own accesses, and an application its own calls', async () => {
    const own = await search(`patient=${PATIENT}`, clinicianA);
    const who = own.entry.map((e: any) => e.resource.agent.find((a: any) => a.who.type === 'Practitioner').who.identifier.value);
    assert.ok(who.length >= 2);
    assert.deepEqual(new Set(who), new Set(['555000000011']));
    assert.equal((await search('agent=555000000022', clinicianA)).total, 0);

    const app = await search(`patient=${OTHER_PATIENT}`, appToken);
    assert.deepEqual(actionsOf(app), ['patient.read']);
    assert.equal(app.entry[0].resource.agent[0].who.identifier.value, appId);
    assert.equal(app.entry[0].resource.agent[0].requestor, true);
  });

  it('a user\'s own accesses are those through the application in use: the same user id through another application sees none of them', async () => {
    // Found by probing: an identity provider trusted for one application only issued a token whose sub was
    // another provider's user's id, and through that application read that user's accesses, patients and all.
    const sameIdElsewhere = (await userToken(spine, { roleCode: 'R8000', userId: '555000000011', roleProfileId: '555000000111', odsCode: 'A83008' })).token;
    assert.equal((await search(`patient=${PATIENT}`, sameIdElsewhere)).total, 0);
    // Only its own search just now, through its own application.
    assert.deepEqual(actionsOf(await search('agent=555000000011', sameIdElsewhere)), ['audit.search']);
    assert.ok((await search(`patient=${PATIENT}`, clinicianA)).total >= 2, 'through its own application the user still sees them');
  });

  it('a privacy officer searches by agent (user or application id)', async () => {
    const byUser = await search('agent=555000000011', privacyOfficer);
    assert.ok(byUser.total >= 2);
    for (const e of byUser.entry) assert.ok(e.resource.agent.some((a: any) => a.who.identifier?.value === '555000000011'));
    const byApp = await search(`agent=${appId}`, privacyOfficer);
    assert.ok(byApp.entry.some((e: any) => e.resource.subtype[0].code === 'patient.read'));
    for (const e of byApp.entry) assert.ok(e.resource.agent.some((a: any) => a.who.identifier?.value === appId));
  });

  it('date filters with FHIR prefixes select by when the access was recorded', async () => {
    const clock = fixedClock(new Date('2020-01-01T00:00:00.000Z'));
    const writer = createAuditWriter(spine.ctx.db, { clock });
    const agent = `dated-${randomUUID()}`;
    for (const at of ['2020-01-01T00:00:00.000Z', '2020-06-15T12:00:00.000Z', '2020-06-30T23:59:59.999Z', '2021-01-01T00:00:00.000Z']) {
      clock.set(new Date(at));
      await writer.record({ requestId: at, action: 'patient.read', nhsNumbers: [PATIENT], outcome: 'success', appId: agent });
    }
    await writer.close();
    const recorded = async (query: string) => (await search(`agent=${agent}&${query}`, privacyOfficer)).entry?.map((e: any) => e.resource.recorded) ?? [];
    assert.deepEqual(await recorded('date=2020-06'), ['2020-06-30T23:59:59.999Z', '2020-06-15T12:00:00.000Z']);
    assert.deepEqual(await recorded('date=ge2020-06-15&date=lt2021'), ['2020-06-30T23:59:59.999Z', '2020-06-15T12:00:00.000Z']);
    assert.deepEqual(await recorded('date=gt2020-06-15'), ['2021-01-01T00:00:00.000Z', '2020-06-30T23:59:59.999Z']);
    assert.deepEqual(await recorded('date=le2020-06-15T12:00:00Z'), ['2020-06-15T12:00:00.000Z', '2020-01-01T00:00:00.000Z']);
    assert.deepEqual(await recorded('date=ne2020'), ['2021-01-01T00:00:00.000Z']);
    assert.deepEqual(await recorded('date=eq2020-06-15T13:00:00%2B01:00'), ['2020-06-15T12:00:00.000Z']);
    assert.equal((await search(`agent=${agent}&date=ge2020&_count=1`, privacyOfficer)).entry.length, 1);
  });

  it('reading the audit trail is itself audited (audit.search, with the patient searched for)', async () => {
    const requestId = randomUUID();
    const res = await get(`/audit/FHIR/R4/AuditEvent?patient=${PATIENT}`, privacyOfficer, { 'X-Request-ID': requestId });
    assert.equal(res.status, 200);
    const { rows } = await spine.ctx.db.query('SELECT * FROM audit.events WHERE request_id = $1', [requestId]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].action, 'audit.search');
    assert.deepEqual(rows[0].nhs_numbers, [PATIENT]);
    assert.equal(rows[0].user_id, '555000000099');
    assert.deepEqual(rows[0].detail.query, { patient: PATIENT });
    assert.equal(rows[0].detail.scope, 'all');
    const next = await search(`patient=${PATIENT}&_count=1`, privacyOfficer);
    assert.equal(next.entry[0].resource.subtype[0].code, 'audit.search');
    assert.equal(next.entry[0].resource.action, 'E');
  });

  it("a search that shows other patients' accesses names those patients in its own audit entry", async () => {
    // Found by probing: a search by agent showed every patient the agent had read, but its entry named
    // none of them, so the privacy officer's look was missing from those patients' "who looked at my record".
    const requestId = randomUUID();
    const res = await get('/audit/FHIR/R4/AuditEvent?agent=555000000022&_count=1000', privacyOfficer, { 'X-Request-ID': requestId });
    assert.equal(res.status, 200);
    const shown = new Set((await res.json()).entry.flatMap((e: any) => e.resource.entity
      .filter((entity: any) => entity.what.type === 'Patient').map((entity: any) => entity.what.identifier.value)));
    assert.deepEqual(shown, new Set([PATIENT, OTHER_PATIENT]));
    const { rows } = await spine.ctx.db.query('SELECT nhs_numbers FROM audit.events WHERE request_id = $1', [requestId]);
    assert.deepEqual(new Set(rows[0].nhs_numbers), shown);
    const seen = await search(`patient=${OTHER_PATIENT}&agent=555000000099`, privacyOfficer);
    assert.ok(seen.entry.some((e: any) => e.resource.entity.some((entity: any) => entity.what.identifier?.value === requestId)));
  });

  it('a single AuditEvent is readable by its id, but not by a caller who may not see it', async () => {
    const mine = (await search(`patient=${PATIENT}&_count=1`, clinicianA)).entry[0].resource;
    const res = await get(`/audit/FHIR/R4/AuditEvent/${mine.id}`, clinicianA);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), mine);
    const denied = await get(`/audit/FHIR/R4/AuditEvent/${mine.id}`, clinicianB);
    assert.equal(denied.status, 404);
    assert.equal((await get('/audit/FHIR/R4/AuditEvent/not-a-number', privacyOfficer)).status, 404);
  });

  it('no token is 401, a caller without audit:read is 403', async () => {
    const none = await get(`/audit/FHIR/R4/AuditEvent?patient=${PATIENT}`);
    assert.equal(none.status, 401);
    assert.equal((await none.json()).issue[0].details.coding[0].code, 'ACCESS_DENIED');
    const nurse = (await userToken(spine, { roleCode: 'R8001' })).token;
    const forbidden = await get(`/audit/FHIR/R4/AuditEvent?patient=${PATIENT}`, nurse);
    assert.equal(forbidden.status, 403);
    assert.equal((await forbidden.json()).issue[0].details.coding[0].code, 'ACCESS_DENIED');
  });

  it('bad searches are 400 OperationOutcomes with a clear diagnostic', async () => {
    const cases: Array<[string, string, string]> = [
      ['', 'INVALID_SEARCH_DATA', "Invalid search data provided - give at least one of 'patient' (NHS number), 'agent' (user or application id) or 'date'"],
      ['_count=5', 'INVALID_SEARCH_DATA', "Invalid search data provided - give at least one of 'patient' (NHS number), 'agent' (user or application id) or 'date'"],
      ['patient=9000000000', 'INVALID_VALUE', "Invalid value - '9000000000' in field 'patient'"],
      ['patient=abc', 'INVALID_VALUE', "Invalid value - 'abc' in field 'patient'"],
      [`patient=${PATIENT}&patient=${OTHER_PATIENT}`, 'INVALID_SEARCH_DATA', "Invalid search data provided - 'patient' may be given only once"],
      ['date=2020-13-01', 'INVALID_VALUE', "Invalid value - '2020-13-01' in field 'date': use [eq|ne|gt|lt|ge|le|sa|eb]YYYY[-MM[-DD[Thh:mm[:ss[.sss]](Z|+hh:mm)]]]"],
      ['date=2020-01-01T10:00%2B14:30', 'INVALID_VALUE', "Invalid value - '2020-01-01T10:00+14:30' in field 'date': use [eq|ne|gt|lt|ge|le|sa|eb]YYYY[-MM[-DD[Thh:mm[:ss[.sss]](Z|+hh:mm)]]]"],
      ['date=ap2020', 'INVALID_VALUE', "Invalid value - 'ap2020' in field 'date': use [eq|ne|gt|lt|ge|le|sa|eb]YYYY[-MM[-DD[Thh:mm[:ss[.sss]](Z|+hh:mm)]]]"],
      [`patient=${PATIENT}&_count=0`, 'INVALID_VALUE', "Invalid value - '0' in field '_count': give a whole number from 1 to 1000"],
      [`patient=${PATIENT}&family=Smith`, 'ADDITIONAL_PROPERTIES', "Invalid search data provided - unknown parameter 'family'; known: patient, agent, date, _count, _before"],
      [`patient=${PATIENT}&_before=-1`, 'INVALID_VALUE', "Invalid value - '-1' in field '_before'"],
    ];
    for (const [query, code, diagnostics] of cases) {
      const res = await get(`/audit/FHIR/R4/AuditEvent?${query}`, privacyOfficer);
      assert.equal(res.status, 400, query);
      assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+json/);
      const body = await res.json();
      assert.equal(body.resourceType, 'OperationOutcome');
      assert.deepEqual([body.issue[0].details.coding[0].code, body.issue[0].diagnostics], [code, diagnostics], query);
    }
  });

  it('a long result pages newest first through next links, without gaps or repeats, total counting every match', async () => {
    const all = await search(`patient=${PATIENT}&_count=1000`, privacyOfficer);
    const expected = all.entry.map((e: any) => e.resource.id);
    assert.ok(expected.length >= 5);
    assert.equal(all.link.find((l: any) => l.relation === 'next'), undefined);
    const seen: string[] = [];
    let url: string | undefined = `${spine.url}/audit/FHIR/R4/AuditEvent?patient=${PATIENT}&_count=2`;
    for (let pages = 0; url && pages < 100; pages++) {
      const res: Response = await fetch(url, { headers: { authorization: `Bearer ${privacyOfficer}` } });
      assert.equal(res.status, 200);
      const page = await res.json();
      assert.ok(page.total >= expected.length);
      seen.push(...(page.entry ?? []).map((e: any) => e.resource.id));
      url = page.link.find((l: any) => l.relation === 'next')?.url;
    }
    // Each page read is itself audited (newer entries); paging by id keeps the older ones stable.
    assert.deepEqual(seen.filter((id) => Number(id) <= Number(expected[0])), expected);
  });

  it('the reference and token forms of patient and agent are accepted', async () => {
    assert.deepEqual((await search(`patient=Patient/${PATIENT}&agent=${encodeURIComponent('https://fhir.nhs.uk/Id/sds-user-id|555000000011')}`, privacyOfficer)).entry
      .map((e: any) => e.resource.id), (await search(`patient=${PATIENT}&agent=555000000011`, privacyOfficer)).entry.map((e: any) => e.resource.id));
    const bundle = await search(`patient=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${OTHER_PATIENT}`)}`, appToken);
    assert.ok(actionsOf(bundle).includes('patient.read'));
    for (const e of bundle.entry) assert.equal(e.resource.entity[0].what.identifier.value, OTHER_PATIENT);
  });

  it('a method the audit API does not offer on its paths is 405 with Allow and an OperationOutcome, not 404; without a token 401', async () => {
    const send = (method: string, path: string, token?: string) => fetch(`${spine.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(method === 'OPTIONS' ? {} : { 'content-type': 'application/fhir+json' }) },
      ...(method === 'OPTIONS' ? {} : { body: JSON.stringify({ resourceType: 'AuditEvent' }) }),
    });
    for (const path of ['/audit/FHIR/R4/AuditEvent', '/audit/FHIR/R4/AuditEvent/1', '/audit/FHIR/R4/metadata']) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        const res = await send(method, path, privacyOfficer);
        assert.equal(res.status, 405, `${method} ${path}: ${await res.clone().text()}`);
        assert.equal(res.headers.get('allow'), 'GET, HEAD');
        const body = await res.json();
        assert.equal(body.resourceType, 'OperationOutcome');
        assert.equal(body.issue[0].code, 'not-supported');
        assert.equal(body.issue[0].details.coding[0].code, 'NOT_IMPLEMENTED');
        assert.match(body.issue[0].diagnostics, new RegExp(`^${method} is not supported here`));
      }
    }
    // The trail's paths answer only a caller who may read it, as its reads do; metadata is public.
    assert.equal((await send('POST', '/audit/FHIR/R4/AuditEvent')).status, 401);
    assert.equal((await send('DELETE', '/audit/FHIR/R4/AuditEvent/1')).status, 401);
    assert.equal((await send('POST', '/audit/FHIR/R4/metadata')).status, 405);
    // A path the API does not serve is still 404.
    assert.equal((await get('/audit/FHIR/R4/nowhere', privacyOfficer)).status, 404);
  });

  it('metadata is a CapabilityStatement naming the AuditEvent search parameters', async () => {
    const res = await get('/audit/FHIR/R4/metadata');
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.resourceType, 'CapabilityStatement');
    assert.equal(body.fhirVersion, '4.0.1');
    assert.deepEqual(body.rest[0].resource[0].searchParam.map((p: any) => p.name), ['patient', 'agent', 'date', '_count', '_before']);
    // Found by probing: GET AuditEvent/{id} was served but only search-type was declared.
    assert.deepEqual(body.rest[0].resource[0].interaction.map((i: any) => i.code).sort(), ['read', 'search-type']);
  });
});
