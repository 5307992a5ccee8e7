import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { createAppAndToken } from './support/identity.js';
import { registerApp } from './identity/fixtures.js';
import { meshAuthorization, MB1, MB2, V2 } from './messaging/support/mesh-client.js';

const PATIENT = '/personal-demographics/FHIR/R4/Patient/9000000009';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const INTERACTION = 'https://fhir.nhs.uk/Id/nhsServiceInteractionId';
const SDS_SEARCH = `/spine-directory/FHIR/R4/Endpoint?organization=${encodeURIComponent(`${ODS}|YES`)}`
  + `&identifier=${encodeURIComponent(`${INTERACTION}|urn:nhs:names:services:psis:REPC_IN150016UK05`)}`;

/** A GET with any Host header (fetch sets its own). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; }).on('end', () => resolve({ status: response.statusCode!, body }));
    });
    request.on('error', reject).end();
  });
}

describe('sandbox mode treats credentials as NHS England\'s sandboxes do', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine.close(); });

  async function readPatient(headers: Record<string, string>) {
    const requestId = randomUUID();
    const response = await fetch(`${spine.url}${PATIENT}`, { headers: { 'x-request-id': requestId, ...headers } });
    await response.arrayBuffer();
    const { rows } = await spine.ctx.db.query<{ app_id: string; outcome: string }>(
      `SELECT app_id, outcome FROM audit.events WHERE request_id = $1 ORDER BY seq`, [requestId]);
    return { status: response.status, audit: rows };
  }

  it('PDS: a dummy bearer token, a malformed Authorization header or none act as the sandbox caller', async () => {
    const cases: Array<Record<string, string>> = [{ authorization: 'Bearer dummy-token-from-the-nhs-examples' }, { authorization: 'Basic abc' }, {}];
    for (const headers of cases) {
      assert.deepEqual(await readPatient(headers), { status: 200, audit: [{ app_id: 'sandbox', outcome: 'success' }] }, JSON.stringify(headers));
    }
  });

  it('PDS: a valid token acts as its owner, with its owner\'s activities', async () => {
    const reader = await createAppAndToken(spine, { activities: ['patient:read'] });
    assert.deepEqual(await readPatient({ authorization: `Bearer ${reader.token}` }),
      { status: 200, audit: [{ app_id: reader.principal.appId, outcome: 'success' }] });
    const other = await createAppAndToken(spine, { activities: ['directory:read'] });
    assert.deepEqual(await readPatient({ authorization: `Bearer ${other.token}` }),
      { status: 403, audit: [{ app_id: other.principal.appId, outcome: 'denied' }] });
  });

  it('SDS: any apikey value is accepted; a registered key acts as its application', async () => {
    for (const apikey of ['any-value', 'x']) {
      const response = await fetch(`${spine.url}${SDS_SEARCH}`, { headers: { apikey } });
      assert.equal(response.status, 200, apikey);
      assert.equal((await response.json()).resourceType, 'Bundle');
    }
    const patientsOnly = await registerApp(spine, { activities: ['patient:read'] });
    const refused = await fetch(`${spine.url}${SDS_SEARCH}`, { headers: { apikey: patientsOnly.apiKey } });
    assert.equal(refused.status, 403);
    assert.match((await refused.json()).issue[0].diagnostics, /application Test GP system is not permitted 'directory:read'/);
    const reader = await registerApp(spine, { activities: ['directory:read'] });
    assert.equal((await fetch(`${spine.url}${SDS_SEARCH}`, { headers: { apikey: reader.apiKey } })).status, 200);
  });

  it('MESH still checks NHSMESH: bad, replayed and wrong-mailbox headers are 403', async () => {
    const inbox = (authorization?: string) => fetch(`${spine.url}/messageexchange/${MB1}/inbox`, {
      headers: { accept: V2, ...(authorization === undefined ? {} : { authorization }) },
    });
    assert.equal((await inbox()).status, 403);
    assert.equal((await inbox('NHSMESH garbage')).status, 403);
    assert.equal((await inbox('Bearer dummy')).status, 403);
    assert.equal((await inbox(meshAuthorization(MB1, { sharedKey: 'not-the-key' }))).status, 403);
    assert.equal((await inbox(meshAuthorization(MB2))).status, 403);
    const header = meshAuthorization(MB1);
    assert.equal((await inbox(header)).status, 200);
    const replay = await inbox(header);
    assert.equal(replay.status, 403);
    assert.equal((await replay.json()).detail[0].msg, 'Error Duplicated Authentication Token');
  });

  it('only loopback names are answered in Host (DNS rebinding)', async () => {
    const port = new URL(spine.url).port;
    for (const host of ['localhost', `localhost:${port}`, '127.0.0.1', `127.0.0.1:${port}`, '[::1]', `[::1]:${port}`, `LOCALHOST:${port}`]) {
      assert.equal((await getWithHost(`${spine.url}/_ping`, host)).status, 200, host);
    }
    for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.1', `127.0.0.1:${port}@evil.example`]) {
      const refused = await getWithHost(`${spine.url}${PATIENT}`, host);
      assert.equal(refused.status, 403, host);
      assert.match(JSON.parse(refused.body).issue[0].diagnostics, /is not a loopback name/);
    }
  });
});

describe('outside sandbox mode', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ demo: false, env: { MESH_SHARED_KEY: 'k3y-for-this-test' } }); });
  after(async () => { await spine.close(); });

  it('a dummy token and an unknown apikey are 401, and any Host is answered', async () => {
    const dummy = await fetch(`${spine.url}${PATIENT}`, { headers: { 'x-request-id': randomUUID(), authorization: 'Bearer dummy' } });
    assert.equal(dummy.status, 401);
    assert.equal((await fetch(`${spine.url}${SDS_SEARCH}`, { headers: { apikey: 'any-value' } })).status, 401);
    assert.equal((await getWithHost(`${spine.url}/_ping`, 'spine.example.org')).status, 200);
  });
});

describe('POST /oauth2/token is rate limited per client address', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { tokenRateLimit: 3 } }); });
  after(async () => { await spine.close(); });

  it('past the limit a request gets 429 with Retry-After, in the OAuth2 error shape', async () => {
    const post = () => fetch(`${spine.url}/oauth2/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials',
    });
    for (let i = 0; i < 3; i++) assert.equal((await post()).status, 400);
    const limited = await post();
    assert.equal(limited.status, 429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
    assert.equal(limited.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await limited.json(), {
      error: 'too_many_requests',
      error_description: `Too many token requests from this address: at most 3 a minute; retry after ${retryAfter} s`,
    });
    // Other routes are not counted against it.
    assert.equal((await fetch(`${spine.url}/_ping`)).status, 200);
  });
});
