import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from './support/spine.js';

/**
 * A query whose percent-encoding is not UTF-8 (an encoded lone surrogate %ED%A0%80, a byte no UTF-8
 * starts with %FF, a sequence cut short %E2%82) is the door's 400 in the API's own shape naming the
 * parameter, as the same bytes in a path are (platform-framework-errors.test.ts). Fastify's parser
 * kept such text as it came and the route searched for it: 200 with no results.
 */
describe('a query that is not valid percent-encoded UTF-8', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine.close(); });

  const get = async (path: string) => {
    const response = await fetch(`${spine.url}${path}`, { headers: { 'x-request-id': randomUUID(), authorization: 'Bearer sandbox', accept: 'application/fhir+json' } });
    return { status: response.status, text: await response.text() };
  };

  // Each API, a parameter it reads, and how its 400 for that parameter reads.
  const APIS = [
    { api: 'PDS', path: (v: string) => `/personal-demographics/FHIR/R4/Patient?family=${v}&birthdate=eq2010-10-22`, refusal: (v: string) => new RegExp(`"code":"INVALID_VALUE".*"diagnostics":"Invalid value - '${v}' in field 'family'"`) },
    { api: 'SDS', path: (v: string) => `/spine-directory/FHIR/R4/Endpoint?organization=https://fhir.nhs.uk/Id/ods-organization-code|${v}`, refusal: () => /"code":"BAD_REQUEST".*Missing or invalid 'organization' query parameter/ },
    { api: 'NRL', path: (v: string) => `/record-locator/consumer/FHIR/R4/DocumentReference?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|9278693472&type=${v}`, refusal: () => /"code":"INVALID_PARAMETER".*"diagnostics":"Invalid query parameter \(type: [^"]*\)","expression":\["type"\]/ },
    { api: 'MESH', path: (v: string) => `/messageexchange/X26ABC1/inbox?max_results=${v}`, refusal: () => /^\{"detail":\[\{"loc":\["query","max_results"\],"msg":"max_results is not valid \(encoding\)"/ },
    { api: 'audit', path: (v: string) => `/audit/FHIR/R4/AuditEvent?agent=${v}`, refusal: (v: string) => new RegExp(`"code":"INVALID_VALUE".*"diagnostics":"Invalid value - '${v}' in field 'agent'"`) },
  ];
  // Not UTF-8, or a NUL (which decodes, but to nothing a field takes or PostgreSQL text holds).
  const BAD = ['%ED%A0%80', '%FF', '%E2%82', '%C0%AF', 'a%', '%00', 'a%00b'];

  it('is the API\'s 400 naming the parameter: PDS, SDS, NRL, MESH, audit', async () => {
    for (const { api, path, refusal } of APIS) {
      for (const bad of BAD) {
        const { status, text } = await get(path(bad));
        assert.equal(status, 400, `${api} ${bad}: ${text}`);
        assert.match(text, refusal(bad), `${api} ${bad}`);
      }
    }
  });

  it('and on the other APIs, in their shapes: EPS, NEMS, MNS, consent, console, the admin APIs, an unknown path', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/fhir-dispensing/FHIR/R4/Task?x=%FF', /"code":"INVALID_VALUE".*"diagnostics":"Invalid value - '%FF' in field 'x'"/],
      ['/nems/STU3/Subscription/abc?x=%ED%A0%80', /"code":"INVALID_VALUE".*"diagnostics":"Invalid value - '%ED%A0%80' in field 'x'"/],
      // MNS's subscription list takes no parameter x: refused as such, as x=1 is.
      ['/multicast-notification-service/subscriptions?x=%FF', /^\{"validationErrors":\{"x":"Invalid request with error - Additional properties are not allowed \('x' was unexpected\)"\}\}$/],
      ['/consent/STU3/Consent?patient=%E2%82', /"code":"INVALID_VALUE".*'patient'/],
      ['/console/audit?from=%FF', /Check the field &#39;from&#39;|Check the field 'from'/],
      ['/admin/directory/devices?x=%FF', /"diagnostics":"Invalid value - '%FF' in field 'x'"/],
      ['/nothing/here?x=%FF', /"diagnostics":"Invalid value - '%FF' in field 'x'"/],
    ];
    for (const [path, expected] of cases) {
      const { status, text } = await get(path);
      assert.equal(status, 400, `${path}: ${text.slice(0, 300)}`);
      assert.match(text, expected, path);
    }
  });

  it('the OAuth2 token endpoint answers it in the OAuth2 shape, naming the parameter', async () => {
    const response = await fetch(`${spine.url}/oauth2/token?grant_type=%FF`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials',
    });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: 'Invalid grant_type' });
  });

  it('the SDS\'s refusal carries the request\'s correlation id as its id, as its other refusals do, though it comes before the SDS\'s own hooks', async () => {
    const correlationId = randomUUID().toUpperCase();
    for (const path of ['/spine-directory/FHIR/R4/Endpoint?organization=%FF', '/spine-directory/FHIR/R4/Device?organization=%E2%82', '/spine-directory/FHIR/R4/Device?organization=a%00b']) {
      const response = await fetch(`${spine.url}${path}`, { headers: { 'x-correlation-id': correlationId, authorization: 'Bearer sandbox' } });
      const body = await response.json() as { id?: string; issue: Array<{ details: { coding: Array<{ code: string }> } }> };
      assert.equal(response.status, 400, path);
      assert.equal(response.headers.get('x-correlation-id'), correlationId, path);
      assert.equal(body.id, correlationId, path);
    }
  });

  it('a parameter name that does not decode is one the API does not take', async () => {
    const pds = await get('/personal-demographics/FHIR/R4/Patient?family=Smith&%FF=1');
    assert.equal(pds.status, 400);
    assert.match(pds.text, /Additional properties are not allowed \('%FF' was unexpected\)/);
    const sds = await get('/spine-directory/FHIR/R4/Endpoint?x=%FF');
    assert.equal(sds.status, 400);
    assert.match(sds.text, /Illegal query parameter 'x'/);
  });

  it('+ and %2B are taken as before (a space and a plus), and %00 in the path is the resource id\'s refusal', async () => {
    const search = (family: string) => get(`/personal-demographics/FHIR/R4/Patient?family=${family}&birthdate=eq2010-10-22`);
    const [plus, space, encodedPlus] = await Promise.all([search('Smith+Jones'), search('Smith%20Jones'), search('Smith%2BJones')]);
    assert.equal(plus.status, 200, plus.text);
    assert.equal(encodedPlus.status, 200, encodedPlus.text);
    assert.equal(strip(plus.text), strip(space.text));
    const nul = await get('/personal-demographics/FHIR/R4/Patient/90000%0000009');
    assert.equal(nul.status, 400);
    assert.equal(JSON.parse(nul.text).issue[0].details.coding[0].code, 'INVALID_RESOURCE_ID');
  });

  // The parts of an answer that differ between two identical calls (ids, times), and its links, which echo the URL as sent.
  const strip = (text: string) => text
    .replace(/"url":"[^"]*"/g, '"url":"URL"')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, 'UUID')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)/g, 'TIME');
  const percentEncoded = (bytes: Uint8Array) => [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  const utf8 = (bytes: Uint8Array) => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return undefined;
    }
  };

  it('any bytes percent-encoded into a value: UTF-8 is answered as its usual encoding is, anything else is the API\'s 400', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }).map((s) => new TextEncoder().encode(s)),
    );
    await fc.assert(fc.asyncProperty(fc.constantFrom(...APIS), bytes, async ({ api, path, refusal }, value) => {
      const sent = percentEncoded(value);
      const answer = await get(path(sent));
      const text = utf8(value);
      if (text === undefined || value.includes(0)) {
        assert.equal(answer.status, 400, `${api} ${sent}: ${answer.text}`);
        assert.match(answer.text, refusal(sent), `${api} ${sent}`);
      } else {
        const usual = await get(path(encodeURIComponent(text)));
        assert.equal(answer.status, usual.status, `${api} ${sent}: ${answer.text}`);
        assert.equal(strip(answer.text), strip(usual.text), `${api} ${sent}`);
      }
    }), { numRuns: 150 });
  });
});
