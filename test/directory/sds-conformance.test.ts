import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { registerApp } from '../identity/fixtures.js';
import { sdsMediaTypeFor } from '../../src/services/directory/sds/wire.js';
import { INTERACTION, ODS, PARTY_KEY, sdsBundleValidators, sdsQuery, REPC, UPPER_UUID, sdsReader } from './sds-support.js';

const CORRELATION_ID = '6d3d3674-7ce5-11ec-90d6-0242ac120003';
const DEVICE_QUERY = sdsQuery([['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC}`],
  ['identifier', `${PARTY_KEY}|YES-0000806`]]);
const ENDPOINT_QUERY = sdsQuery([['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC}`]]);

describe('SDS: Content-Type as the SDS sends it', () => {
  const sds = sdsReader();
  const { get } = sds;
  const validate = sdsBundleValidators();

  it('answers application/fhir+json exactly (no charset), unless the Accept header asks only for application/json', async () => {
    for (const [accept, expected] of [
      [undefined, 'application/fhir+json'],
      ['*/*', 'application/fhir+json'],
      ['application/fhir+json', 'application/fhir+json'],
      ['application/json, application/fhir+json', 'application/fhir+json'],
      ['application/*', 'application/fhir+json'],
      ['application/json', 'application/json'],
      ['application/json;q=0.9, text/html', 'application/json'],
      ['application/json, application/fhir+json;q=0', 'application/json'],
    ] as Array<[string | undefined, string]>) {
      const headers: Record<string, string> = accept === undefined ? {} : { accept };
      const device = await get(`Device?${DEVICE_QUERY}`, headers);
      assert.equal(device.status, 200, String(accept));
      assert.equal(device.headers.get('content-type'), expected, String(accept));
      validate.deviceBundle(await device.json());
      const endpoint = await get(`Endpoint?${ENDPOINT_QUERY}`, headers);
      assert.equal(endpoint.headers.get('content-type'), expected, String(accept));
      validate.endpointBundle(await endpoint.json());
    }
  });

  it('errors are application/fhir+json exactly, whatever the Accept header; no JSON at all is 406', async () => {
    for (const [path, status] of [['Device', 400], ['nowhere', 404], ['Device?x=1', 400]] as const) {
      const response = await get(path, { accept: 'application/json' });
      assert.equal(response.status, status);
      assert.equal(response.headers.get('content-type'), 'application/fhir+json');
    }
    const refused = await get(`Device?${DEVICE_QUERY}`, { accept: 'application/fhir+json;q=0' });
    assert.equal(refused.status, 406);
    assert.equal(refused.headers.get('content-type'), 'application/fhir+json');
    const anonymous = await fetch(`${sds.spine.url}/spine-directory/FHIR/R4/Device?${DEVICE_QUERY}`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('content-type'), 'application/fhir+json');
  });

  it('the Accept negotiation: JSON types only, FHIR JSON preferred, q=0 refuses a type', () => {
    const type = fc.constantFrom('application/json', 'application/fhir+json', '*/*', 'application/*', 'text/html', 'application/xml',
      'APPLICATION/JSON', 'Application/Fhir+Json');
    const q = fc.constantFrom('', ';q=0', ';q=0.0', ';q=0.5', ';q=1', '; q=0', ';level=1');
    fc.assert(fc.property(fc.array(fc.tuple(type, q), { minLength: 1, maxLength: 5 }), (ranges) => {
      const header = ranges.map(([t, p]) => `${t}${p}`).join(', ');
      const accepted = ranges.filter(([, p]) => !/q=0(\.0)?$/.test(p.replace(/\s/g, ''))).map(([t]) => t.toLowerCase());
      const fhir = accepted.some((t) => ['application/fhir+json', '*/*', 'application/*'].includes(t));
      const expected = fhir ? 'application/fhir+json' : accepted.includes('application/json') ? 'application/json' : undefined;
      assert.equal(sdsMediaTypeFor(header), expected, header);
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.string(), (header) => {
      assert.ok([undefined, 'application/json', 'application/fhir+json'].includes(sdsMediaTypeFor(header)));
    }), { numRuns: 500 });
    assert.equal(sdsMediaTypeFor(undefined), 'application/fhir+json');
    assert.equal(sdsMediaTypeFor(''), 'application/fhir+json');
  });
});

describe('SDS: the advertised base URL is a setting (a deployment behind a gateway)', () => {
  const PUBLIC_BASE = 'https://api.example.nhs.uk/spine-directory/FHIR/R4';
  const sds = sdsReader({ env: { OPENSPINE_SDS_BASE_URL: `${PUBLIC_BASE}/` } });
  const { get } = sds;

  it('Bundles advertise OPENSPINE_SDS_BASE_URL in every fullUrl and the self link', async () => {
    for (const [resource, query] of [['Device', DEVICE_QUERY], ['Endpoint', ENDPOINT_QUERY]] as const) {
      const response = await fetch(`${sds.spine.url}/spine-directory/FHIR/R4/${resource}?${query}`, { headers: { authorization: `Bearer ${sds.token}` } });
      assert.equal(response.status, 200);
      const bundle = await response.json();
      assert.ok(bundle.entry.length >= 1);
      assert.equal(bundle.link[0].url, `${PUBLIC_BASE}/${resource}?${decodeURIComponent(query)}`);
      for (const entry of bundle.entry) assert.equal(entry.fullUrl, `${PUBLIC_BASE}/${resource}/${entry.resource.id}`);
    }
    const metadata = await (await fetch(`${sds.spine.url}/spine-directory/FHIR/R4/metadata`)).json();
    assert.equal(metadata.implementation.url, PUBLIC_BASE);
  });
});

describe('SDS: healthcheck, _ping and _status under the SDS base', () => {
  let spine: TestSpine;
  let sandbox: TestSpine;
  before(async () => {
    spine = await startTestSpine();
    sandbox = await startTestSpine({ flags: { sandbox: true } });
  });
  after(async () => {
    await spine?.close();
    await sandbox?.close();
  });

  const base = (s: TestSpine) => `${s.url}/spine-directory/FHIR/R4`;

  it('/healthcheck answers 200 without credentials: empty as the SDS, {"status":"OK"} as its sandbox', async () => {
    const live = await fetch(`${base(spine)}/healthcheck`);
    assert.equal(live.status, 200);
    assert.equal(await live.text(), '');
    const sandboxed = await fetch(`${base(sandbox)}/healthcheck`);
    assert.equal(sandboxed.status, 200);
    assert.equal(sandboxed.headers.get('content-type'), 'application/json');
    assert.deepEqual(await sandboxed.json(), { status: 'OK' });
  });

  it('/healthcheck/deep looks the directory up: pass, with the caller\'s X-Correlation-ID mirrored', async () => {
    const response = await fetch(`${base(spine)}/healthcheck/deep`, { headers: { 'x-correlation-id': CORRELATION_ID } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(response.headers.get('x-correlation-id'), CORRELATION_ID);
    const body = await response.json();
    // Anyone may call it: the store's kind, never its host, port or database name.
    assert.deepEqual(body, { status: 'pass', details: { ldap: { status: 'pass', links: { ldap: 'postgresql:' }, output: '' } } });
    const minted = await fetch(`${base(spine)}/healthcheck/deep`);
    assert.match(minted.headers.get('x-correlation-id') ?? '', UPPER_UUID);
  });

  it('/healthcheck/deep is 503 fail when the directory cannot be read, saying so without the database\'s words; pass again once it can', async () => {
    const statusKey = (await registerApp(spine, { activities: ['directory:read'] })).apiKey;
    const admin = new pg.Client({ connectionString: spine.databaseUrl });
    await admin.connect();
    try {
      await admin.query('ALTER TABLE directory.endpoints RENAME TO endpoints_away');
      const response = await fetch(`${base(spine)}/healthcheck/deep`, { headers: { 'x-correlation-id': CORRELATION_ID } });
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('x-correlation-id'), CORRELATION_ID);
      const body = await response.json();
      assert.equal(body.status, 'fail');
      assert.equal(body.details.ldap.status, 'fail');
      // Anyone may call it: the database's error (here naming a relation) stays in the server log.
      assert.equal(body.details.ldap.output, 'the directory look-up failed');
      const status = await fetch(`${base(spine)}/_status`, { headers: { apikey: statusKey } });
      assert.equal(status.status, 503);
      const statusText = await status.text();
      assert.doesNotMatch(statusText, /endpoints|relation|does not exist/);
      assert.match(statusText, /the directory look-up failed/);
    } finally {
      await admin.query('ALTER TABLE directory.endpoints_away RENAME TO endpoints');
      await admin.end();
    }
    assert.equal((await fetch(`${base(spine)}/healthcheck/deep`)).status, 200);
  });

  it('an invalid X-Correlation-ID is 400 with a fresh id in the answer, never the invalid value', async () => {
    for (const path of ['healthcheck/deep', `Endpoint?${ENDPOINT_QUERY}`, 'nowhere']) {
      const response = await fetch(`${base(sandbox)}/${path}`, { headers: { 'x-correlation-id': 'not-a-uuid<script>' } });
      assert.equal(response.status, 400, path);
      const fresh = response.headers.get('x-correlation-id') ?? '';
      assert.match(fresh, UPPER_UUID);
      const text = await response.text();
      assert.ok(!text.includes('not-a-uuid'), text);
      const body = JSON.parse(text);
      assert.equal(body.id, fresh);
      assert.equal(body.issue[0].details.coding[0].code, 'BAD_REQUEST');
    }
    // Refused before the SDS looks at it (no credentials outside sandbox mode): still a fresh id.
    const anonymous = await fetch(`${base(spine)}/Endpoint?${ENDPOINT_QUERY}`, { headers: { 'x-correlation-id': 'not-a-uuid' } });
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('x-correlation-id') ?? '', UPPER_UUID);
  });

  it('_ping answers without credentials, in and out of sandbox mode', async () => {
    for (const s of [spine, sandbox]) {
      const response = await fetch(`${base(s)}/_ping`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/json');
      const body = await response.json();
      assert.deepEqual(Object.keys(body), ['version', 'revision', 'releaseId', 'commitId']);
    }
  });

  it('_status without an apikey is a 401 OperationOutcome, also in sandbox mode (where no key otherwise acts as the sandbox app)', async () => {
    for (const s of [spine, sandbox]) {
      for (const headers of [{}, { apikey: '' }, { apikey: '  ' }] as Array<Record<string, string>>) {
        const response = await fetch(`${base(s)}/_status`, { headers });
        assert.equal(response.status, 401, `${s.config.sandbox} ${JSON.stringify(headers)}`);
        assert.equal(response.headers.get('content-type'), 'application/fhir+json');
        const body = await response.json();
        assert.equal(body.resourceType, 'OperationOutcome');
        assert.equal(body.issue[0].details.coding[0].code, 'ACCESS_DENIED');
      }
    }
    const unknown = await fetch(`${base(spine)}/_status`, { headers: { apikey: 'not-a-registered-key' } });
    assert.equal(unknown.status, 401);
    // A bearer token alone is not the key _status asks for.
    const { token } = await createAppAndToken(spine, { activities: ['directory:read'] });
    assert.equal((await fetch(`${base(spine)}/_status`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
  });

  it('_status with a registered application\'s key reports the deep healthcheck, as the API platform\'s status does', async () => {
    const app = await registerApp(spine, { activities: ['directory:read'] });
    const response = await fetch(`${base(spine)}/_status`, { headers: { apikey: app.apiKey } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    const body = await response.json();
    assert.equal(body.status, 'pass');
    const [check] = body.checks['healthcheckService:status'];
    assert.deepEqual({ ...check, outcome: JSON.parse(check.outcome) }, {
      status: 'pass', timeout: 'false', responseCode: 200,
      outcome: { status: 'pass', details: { ldap: { status: 'pass', links: { ldap: JSON.parse(check.outcome).details.ldap.links.ldap }, output: '' } } },
      links: { self: `${spine.config.publicBaseUrl}/spine-directory/FHIR/R4/healthcheck/deep` },
    });
    const noActivity = await registerApp(spine, { activities: ['patient:read'] });
    assert.equal((await fetch(`${base(spine)}/_status`, { headers: { apikey: noActivity.apiKey } })).status, 403);
  });
});
