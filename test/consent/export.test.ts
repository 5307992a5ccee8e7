import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { demographicsService } from '../../src/services/demographics/index.js';
import { recordLocatorService } from '../../src/services/record-locator/index.js';
import { SyntheticNhsNumbers } from '../../src/services/demographics/api.js';
import { call, consentFor, optOutInStore, waitForExport } from './support.js';
import { freshOrder, itemIdsOf, prescribe, workerHeaders } from '../prescriptions/support.js';

/** FHIR Bulk Data $export of patients and pointers, opted-out patients removed, over HTTP on PostgreSQL. */

describe('bulk export ($export)', () => {
  let spine: TestSpine;
  let exporter: string;
  let exporterAppId: string;
  const PATIENTS = 3_000;
  const synthetic: string[] = [];
  let optedOut: string[] = [];

  before(async () => {
    // Seeding is a CLI job, which runs without the serving statement timeout.
    spine = await startTestSpine({ env: { OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '0' } });
    await demographicsService.datasets!['synthetic-patients']!(spine.ctx, { patients: PATIENTS, batchSize: 1_000 });
    await recordLocatorService.datasets!['synthetic-patients']!(spine.ctx, { patients: PATIENTS });
    const numbers = new SyntheticNhsNumbers();
    for (let i = 0; i < PATIENTS; i++) synthetic.push(numbers.next());
    optedOut = synthetic.filter((_, i) => i % 10 === 3);
    await optOutInStore(spine, optedOut);
    const writer = (await createAppAndToken(spine, { activities: ['consent:write', 'consent:read'] })).token;
    assert.equal((await call(spine, 'POST', '/consent/STU3/Consent', writer, consentFor('9000000009'))).status, 201);
    optedOut.push('9000000009');
    const app = await createAppAndToken(spine, { activities: ['export:bulk'], name: 'Research data service' });
    exporter = app.token;
    exporterAppId = app.principal.appId;
  });
  after(async () => { await spine?.close(); });

  const kickoff = (query = '', headers: Record<string, string> = { prefer: 'respond-async', accept: 'application/fhir+json' }, token = exporter) =>
    fetch(`${spine.url}/export/FHIR/R4/$export${query}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

  async function ndjson(url: string, token = exporter): Promise<any[]> {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/fhir+ndjson');
    return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line));
  }

  let statusUrl = '';
  it('kick-off is 202 with Content-Location; polling gives 202 with X-Progress, then the manifest', async () => {
    const response = await kickoff();
    assert.equal(response.status, 202, await response.clone().text());
    statusUrl = response.headers.get('content-location')!;
    assert.match(statusUrl, new RegExp(`^${spine.ctx.config.publicBaseUrl}/export/FHIR/R4/\\$export-status/[0-9a-f-]{36}$`));
    const manifest = await waitForExport(statusUrl, exporter);
    assert.deepEqual(Object.keys(manifest).sort(), ['error', 'output', 'request', 'requiresAccessToken', 'transactionTime']);
    assert.equal(manifest.requiresAccessToken, true);
    assert.equal(manifest.request, `${spine.ctx.config.publicBaseUrl}/export/FHIR/R4/$export`);
    assert.deepEqual(manifest.error, []);
    assert.deepEqual(manifest.output.map((o: any) => o.type), ['Patient', 'DocumentReference']);

    const patients = await ndjson(manifest.output[0].url);
    assert.equal(patients.length, manifest.output[0].count);
    const exported = new Set(patients.map((p) => p.id));
    for (const nhsNumber of optedOut) assert.ok(!exported.has(nhsNumber), `${nhsNumber} has opted out`);
    // Exactly PDS's current records less the opted-out patients.
    const active = await spine.ctx.db.query(`SELECT nhs_number FROM demographics.patients WHERE status = 'active' ORDER BY nhs_number`);
    const optedOutSet = new Set(optedOut);
    assert.deepEqual([...exported].sort(), active.rows.map((r) => r.nhs_number).filter((n: string) => !optedOutSet.has(n)));
    assert.ok(exported.size > PATIENTS * 0.8);
    assert.ok(patients.every((p) => p.resourceType === 'Patient'));

    const pointers = await ndjson(manifest.output[1].url);
    assert.equal(pointers.length, manifest.output[1].count);
    assert.ok(pointers.length > 100);
    for (const pointer of pointers) {
      assert.equal(pointer.resourceType, 'DocumentReference');
      assert.ok(!optedOutSet.has(pointer.subject.identifier.value), `pointer ${pointer.id} is about a patient who opted out`);
    }
    const audit = await spine.ctx.db.query(`SELECT action, detail FROM audit.events WHERE action LIKE 'export.%' ORDER BY seq`);
    assert.deepEqual(audit.rows.map((r) => r.action).filter((a) => a !== 'export.status'), ['export.kick-off', 'export.complete', 'export.download', 'export.download']);
    assert.ok(audit.rows.some((r) => r.action === 'export.status'));
    const complete = audit.rows.find((r) => r.action === 'export.complete')!.detail;
    assert.equal(complete.Patient, patients.length);
    assert.equal(complete.PatientOptedOut, optedOut.length);
    assert.equal(complete.DocumentReference, pointers.length);
  });

  it('_type and _since narrow the export', async () => {
    const response = await kickoff(`?_type=DocumentReference&_since=${encodeURIComponent('2000-01-01T00:00:00Z')}&_outputFormat=application%2Ffhir%2Bndjson`);
    assert.equal(response.status, 202);
    const manifest = await waitForExport(response.headers.get('content-location')!, exporter);
    assert.deepEqual(manifest.output.map((o: any) => o.type), ['DocumentReference']);
    const later = await kickoff(`?_type=Patient&_since=${encodeURIComponent(new Date().toISOString())}`);
    const none = await waitForExport(later.headers.get('content-location')!, exporter);
    assert.deepEqual(none.output, []);
  });

  it('prescriptions are exported as EPS\'s MedicationRequests, one per item, with opted-out patients\' removed', async () => {
    const gp = await workerHeaders(spine, 'A83008', 'R8000');
    const kept = [synthetic[0]!, synthetic[1]!];
    const orders = [];
    for (const nhsNumber of [...kept, optedOut[0]!]) {
      const order = freshOrder({ nhsNumber });
      const sent = await prescribe(spine, gp, order);
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      orders.push(order);
    }
    const response = await kickoff('?_type=MedicationRequest');
    assert.equal(response.status, 202, await response.clone().text());
    const manifest = await waitForExport(response.headers.get('content-location')!, exporter);
    assert.deepEqual(manifest.output.map((o: any) => o.type), ['MedicationRequest']);
    const requests = await ndjson(manifest.output[0].url);
    assert.equal(requests.length, manifest.output[0].count);
    const expectedItems = orders.slice(0, 2).flatMap((o) => itemIdsOf(o)).sort();
    assert.deepEqual(requests.map((r) => r.id).sort(), expectedItems, 'every item of the two kept prescriptions, none of the opted-out patient\'s');
    for (const request of requests) {
      assert.equal(request.resourceType, 'MedicationRequest');
      assert.equal(request.status, 'active');
      assert.equal(request.intent, 'order');
      assert.equal(request.subject.identifier.system, 'https://fhir.nhs.uk/Id/nhs-number');
      assert.ok(kept.includes(request.subject.identifier.value));
      assert.ok(request.groupIdentifier.value, 'the prescription\'s short-form id');
    }
    const complete = await spine.ctx.db.query(`SELECT detail FROM audit.events WHERE action = 'export.complete' ORDER BY seq DESC LIMIT 1`);
    assert.equal(complete.rows[0].detail.MedicationRequest, requests.length);
    assert.equal(complete.rows[0].detail.MedicationRequestOptedOut, itemIdsOf(orders[2]!).length);
  });

  it('a kick-off without Prefer: respond-async, or with a parameter it does not serve, is 400 naming it', async () => {
    const cases: Array<[string, Record<string, string> | undefined, RegExp]> = [
      ['', { accept: 'application/fhir+json' }, /Prefer: respond-async/],
      ['?_type=Observation', undefined, /'_type': 'Observation' is not exported here/],
      ['?_since=yesterday', undefined, /'_since': must be a FHIR instant/],
      // Found by probing: a day that does not exist rolled over to 1 March and was taken; year 0000 to 1 BC.
      [`?_since=${encodeURIComponent('2024-02-30T00:00:00Z')}`, undefined, /'_since': must be a FHIR instant/],
      [`?_since=${encodeURIComponent('0000-01-01T00:00:00Z')}`, undefined, /'_since': must be a FHIR instant/],
      ['?_outputFormat=text%2Fcsv', undefined, /'_outputFormat'/],
      ['?_typeFilter=Patient%3Fgender%3Dfemale', undefined, /'_typeFilter' is not supported/],
      ['?colour=blue', undefined, /colour/],
    ];
    for (const [query, headers, diagnostics] of cases) {
      const response = await kickoff(query, headers);
      assert.equal(response.status, 400, query);
      const body = await response.json() as any;
      assert.equal(body.resourceType, 'OperationOutcome');
      assert.match(body.issue[0].diagnostics, diagnostics);
    }
  });

  it('a job is its application\'s own: another gets 404; without export:bulk 403; without a token 401', async () => {
    const other = (await createAppAndToken(spine, { activities: ['export:bulk'] })).token;
    assert.equal((await fetch(statusUrl, { headers: { authorization: `Bearer ${other}` } })).status, 404);
    const reader = (await createAppAndToken(spine, { activities: ['consent:read'] })).token;
    assert.equal((await kickoff('', undefined, reader)).status, 403);
    assert.equal((await fetch(statusUrl)).status, 401);
    const manifest = await waitForExport(statusUrl, exporter);
    assert.equal((await fetch(manifest.output[0].url, { headers: { authorization: `Bearer ${other}` } })).status, 404);
    const audited = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM audit.events WHERE action = 'export.kick-off' AND app_id = $1`, [exporterAppId]);
    assert.ok(audited.rows[0].n >= 3);
  });

  it('DELETE on the status URL cancels the export and removes its files', async () => {
    const response = await kickoff('?_type=Patient');
    const url = response.headers.get('content-location')!;
    const manifest = await waitForExport(url, exporter);
    const deleted = await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${exporter}` } });
    assert.equal(deleted.status, 202);
    assert.equal((await fetch(url, { headers: { authorization: `Bearer ${exporter}` } })).status, 404);
    assert.equal((await fetch(manifest.output[0].url, { headers: { authorization: `Bearer ${exporter}` } })).status, 404);
    const id = url.split('/').pop();
    const left = await spine.ctx.db.query('SELECT count(*)::int AS n FROM export.segments WHERE job_id = $1', [id]);
    assert.equal(left.rows[0].n, 0);
  });
});
