import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { registerApp } from '../identity/fixtures.js';

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const INTERACTION = 'https://fhir.nhs.uk/Id/nhsServiceInteractionId';

/** SDS authenticates applications with an `apikey` header (its spec); a client written for it works unchanged. */
describe('SDS: apikey header authentication', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine(); });
  after(async () => { await spine.close(); });

  const endpointSearch = () => `${spine.url}/spine-directory/FHIR/R4/Endpoint?organization=${encodeURIComponent(`${ODS}|YES`)}`
    + `&identifier=${encodeURIComponent(`${INTERACTION}|urn:nhs:names:services:psis:REPC_IN150016UK05`)}`;

  it('a registered application\'s API key is accepted', async () => {
    const app = await registerApp(spine, { activities: ['directory:read'] });
    const res = await fetch(endpointSearch(), { headers: { apikey: app.apiKey } });
    assert.equal(res.status, 200);
    const bundle = await res.json();
    assert.equal(bundle.resourceType, 'Bundle');
    assert.ok(bundle.entry.length >= 1);
    assert.equal(bundle.entry[0].resource.resourceType, 'Endpoint');
  });

  it('an API key is accepted beside an Authorization header that is no bearer token; a bearer token still decides', async () => {
    // Found by probing: a Basic header sent along with a valid key was 401 "Invalid or expired access token".
    const app = await registerApp(spine, { activities: ['directory:read'] });
    const basic = await fetch(endpointSearch(), { headers: { apikey: app.apiKey, authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 200, await basic.text());
    const bearer = await fetch(endpointSearch(), { headers: { apikey: app.apiKey, authorization: 'Bearer not-a-token' } });
    assert.equal(bearer.status, 401);
    assert.match((await bearer.json()).issue[0].diagnostics, /^Invalid or expired access token/);
  });

  it('an unknown API key is 401 ACCESS_DENIED, and the attempt is audited', async () => {
    const requestId = randomUUID();
    const res = await fetch(endpointSearch(), { headers: { apikey: 'not-a-registered-key', 'x-request-id': requestId } });
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.equal(body.issue[0].details.coding[0].code, 'ACCESS_DENIED');
    assert.match(body.issue[0].diagnostics, /^Invalid API key/);
    const { rows } = await spine.ctx.db.query('SELECT action, outcome FROM audit.events WHERE request_id = $1', [requestId]);
    assert.deepEqual(rows, [{ action: 'access.denied', outcome: 'denied' }]);
  });

  it('no apikey header (and no token) is 401 ACCESS_DENIED naming the apikey header, as the SDS spec requires one', async () => {
    // Found by probing: the refusal told an SDS client to fetch an OAuth access token, which the SDS spec never mentions.
    const res = await fetch(endpointSearch());
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.equal(body.issue[0].details.coding[0].code, 'ACCESS_DENIED');
    assert.equal(body.issue[0].diagnostics,
      'Missing apikey header: send the API key of a registered application in the apikey header (or "Authorization: Bearer <access token>")');
  });

  it('an application not registered for directory:read is 403', async () => {
    const app = await registerApp(spine, { activities: ['patient:read'] });
    const res = await fetch(endpointSearch(), { headers: { apikey: app.apiKey } });
    assert.equal(res.status, 403);
  });

  it('routes whose spec has no API-key scheme ignore the header (PDS needs a bearer token)', async () => {
    const app = await registerApp(spine, { activities: ['patient:read'] });
    const res = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/9000000009`, {
      headers: { apikey: app.apiKey, 'x-request-id': randomUUID() },
    });
    assert.equal(res.status, 401);
  });
});
