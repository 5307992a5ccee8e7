import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createAppAndToken } from '../support/identity.js';
import { INTERACTION, ODS, PARTY_KEY, readSdsJson, sdsBundleValidators, sdsQuery, withGeneratedIds, REPC, UPPER_UUID, sdsReader } from './sds-support.js';

const SDS_SYSTEM = 'https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1';

describe('SDS FHIR API: Device and Endpoint searches', () => {
  const sds = sdsReader();
  const { get } = sds;
  const validate = sdsBundleValidators();

  async function search(resource: 'Device' | 'Endpoint', params: Array<[string, string]>) {
    const response = await get(`${resource}?${sdsQuery(params)}`);
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('content-type'), 'application/fhir+json');
    const body = await response.json();
    (resource === 'Device' ? validate.deviceBundle : validate.endpointBundle)(body);
    return body;
  }

  it('finds the OpenTest Device exactly as the SDS integration test data shows it', async () => {
    const body = await search('Device', [['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC}`],
      ['identifier', `${PARTY_KEY}|YES-0000806`]]);
    assert.deepEqual(body, withGeneratedIds(readSdsJson('test_data/device.json'), body));
    assert.match(body.id, UPPER_UUID);
    assert.match(body.entry[0].resource.id, UPPER_UUID);
    assert.equal(body.entry[0].fullUrl, `${sds.spine.config.publicBaseUrl}/spine-directory/FHIR/R4/Device/${body.entry[0].resource.id}`);
    assert.equal(body.link[0].url,
      `${sds.spine.config.publicBaseUrl}/spine-directory/FHIR/R4/Device?organization=${ODS}|YES&identifier=${INTERACTION}|${REPC}&identifier=${PARTY_KEY}|YES-0000806`);
  });

  it('finds the spec example Device by organisation, interaction, party key and manufacturer', async () => {
    const body = await search('Device', [
      ['organization', `${ODS}|A20047`],
      ['identifier', `${INTERACTION}|urn:nhs:names:services:gpconnect:fhir:rest:read:location`],
      ['identifier', `${PARTY_KEY}|A20047-821870`],
      ['manufacturing-organization', `${ODS}|A20047`],
    ]);
    assert.equal(body.total, 1);
    // The spec example bundle's entry is a $ref to Device.json; the resource is that file, id included.
    const expected = readSdsJson('specification/components/examples/DeviceBundle.json');
    expected.entry[0].resource = readSdsJson('specification/components/examples/Device.json');
    assert.deepEqual(body, withGeneratedIds(expected, body));
    assert.equal(body.entry[0].resource.id, '0E512499-E65C-4AE9-BEEC-224917FCDE94');
  });

  it('answers an empty searchset (entry: []) when no Device matches, including another manufacturer or party key', async () => {
    for (const params of [
      [['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|non-existing`]],
      [['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC}`], ['manufacturing-organization', `${ODS}|X26`]],
      [['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC}`], ['identifier', `${PARTY_KEY}|YES-1`]],
      [['organization', `${ODS}|NOPE`], ['identifier', `${INTERACTION}|${REPC}`]],
    ] as Array<Array<[string, string]>>) {
      const body = await search('Device', params);
      assert.equal(body.total, 0);
      assert.deepEqual(body.entry, []);
    }
  });

  it('finds the OpenTest Endpoint exactly as the SDS integration test data shows it, for every allowed combination', async () => {
    const expected = readSdsJson('test_data/endpoint.json');
    for (const params of [
      [['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC}`], ['identifier', `${PARTY_KEY}|YES-0000806`]],
      [['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC}`]],
      [['organization', `${ODS}|YES`], ['identifier', `${PARTY_KEY}|YES-0000806`]],
      [['identifier', `${INTERACTION}|${REPC}`], ['identifier', `${PARTY_KEY}|YES-0000806`]],
    ] as Array<Array<[string, string]>>) {
      const body = await search('Endpoint', params);
      assert.deepEqual(body, withGeneratedIds(expected, body), JSON.stringify(params));
    }
  });

  it('matches ODS codes and party keys in any case, interaction ids exactly', async () => {
    const lower = await search('Endpoint', [['organization', `${ODS}|yes`], ['identifier', `${PARTY_KEY}|yes-0000806`]]);
    assert.equal(lower.total, 1);
    const wrongCaseInteraction = await search('Endpoint', [['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC.toUpperCase()}`]]);
    assert.equal(wrongCaseInteraction.total, 0);
  });

  it('finds a value sent with spaces around it, as the SDS\'s LDAP look-up does (never a silent empty result)', async () => {
    const padded = await search('Device', [['organization', `${ODS}| YES `], ['identifier', `${INTERACTION}|  ${REPC} `],
      ['identifier', `${PARTY_KEY}|YES-0000806\t`], ['manufacturing-organization', `${ODS}|YES `]]);
    const plain = await search('Device', [['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC}`],
      ['identifier', `${PARTY_KEY}|YES-0000806`], ['manufacturing-organization', `${ODS}|YES`]]);
    assert.equal(plain.total, 1);
    assert.deepEqual(padded.entry.map((e: any) => e.resource), plain.entry.map((e: any) => e.resource));
    const endpoint = await search('Endpoint', [['organization', `${ODS}|yes `], ['identifier', `${PARTY_KEY}| YES-0000806`]]);
    assert.equal(endpoint.total, 1);
    // A value of spaces alone is no value: the parameter is missing, and the refusal names it.
    const blank = await get(`Device?${sdsQuery([['organization', `${ODS}|   `], ['identifier', `${INTERACTION}|${REPC}`]])}`);
    assert.equal(blank.status, 400);
    assert.match((await blank.json()).issue[0].diagnostics, /'organization'/);
  });

  it('answers up to 1,000 matches whole, with total the true count; a search matching more is 400 in the SDS shape saying how to narrow it (the spec has no paging and no limit: the bound is ours)', async () => {
    const insertDevices = (from: number, to: number) => sds.spine.ctx.db.query(
      `INSERT INTO directory.devices (id, asid, party_key, owner_ods_code, interactions)
       SELECT gen_random_uuid(), (880000000000 + g)::text, 'MANY1-' || g, 'MANY1', ARRAY['urn:nhs:names:services:test:MANY']
         FROM generate_series($1::int, $2::int) g`, [from, to]);
    const insertEndpoints = (from: number, to: number) => sds.spine.ctx.db.query(
      `INSERT INTO directory.endpoints (id, party_key, managing_ods_code, address, fqdn, cpa_id, mhs_id, interactions)
       SELECT gen_random_uuid(), 'MANY1-' || g, 'MANY1', 'https://many.example/' || g, 'many.example', 'CPA' || g, 'CPA' || g,
              ARRAY['urn:nhs:names:services:test:MANY']
         FROM generate_series($1::int, $2::int) g`, [from, to]);
    const deviceQuery: Array<[string, string]> = [['organization', `${ODS}|MANY1`], ['identifier', `${INTERACTION}|urn:nhs:names:services:test:MANY`]];
    const endpointQuery: Array<[string, string]> = [['organization', `${ODS}|MANY1`], ['identifier', `${INTERACTION}|urn:nhs:names:services:test:MANY`]];
    assert.equal((await insertDevices(1, 1_000)).rowCount, 1_000);
    await insertEndpoints(1, 1_000);
    const devices = await search('Device', deviceQuery);
    assert.deepEqual([devices.total, devices.entry.length, new Set(devices.entry.map((e: any) => e.resource.id)).size], [1_000, 1_000, 1_000]);
    const endpoints = await search('Endpoint', endpointQuery);
    assert.deepEqual([endpoints.total, endpoints.entry.length], [1_000, 1_000]);

    await insertDevices(1_001, 1_001);
    await insertEndpoints(1_001, 1_001);
    const correlationId = '6D3D3674-7CE5-41EC-90D6-0242AC120003';
    const tooMany = await get(`Device?${sdsQuery(deviceQuery)}`, { 'x-correlation-id': correlationId });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.headers.get('content-type'), 'application/fhir+json');
    assert.deepEqual(await tooMany.json(), {
      resourceType: 'OperationOutcome',
      id: correlationId,
      issue: [{
        severity: 'error',
        code: 'too-costly',
        details: { coding: [{ system: 'https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1', code: 'BAD_REQUEST', display: 'Bad request' }] },
        diagnostics: 'HTTP 400: Bad Request (Too many matches: the search matches more than 1000 records, the most one answer carries; '
          + `narrow it (add identifier=${PARTY_KEY}|value or manufacturing-organization=${ODS}|value))`,
      }],
    });
    const tooManyEndpoints = await get(`Endpoint?${sdsQuery(endpointQuery)}`);
    assert.equal(tooManyEndpoints.status, 400);
    const outcome = await tooManyEndpoints.json();
    assert.equal(outcome.issue[0].code, 'too-costly');
    assert.match(outcome.issue[0].diagnostics, /more than 1000 records/);
    // A narrower search over the same records still answers.
    const narrowed = await search('Device', [...deviceQuery, ['identifier', `${PARTY_KEY}|MANY1-1001`]]);
    assert.equal(narrowed.total, 1);
  });

  it('a search whose records list more than 100,000 interactions between them is the same 400, however few the records (a record lists up to 5,000)', async () => {
    // Found by review: the bound counted records, so 1,000 records of 5,000 interactions each made an
    // answer of about a gigabyte, built whole in memory; here 21 records of 5,000 (105,000) were 200.
    const fat = (kind: string) => `ARRAY['urn:nhs:names:services:test:FAT'] || ARRAY(SELECT 'urn:nhs:names:services:test:${kind}' || i FROM generate_series(2, 5000) i)`;
    const insertDevices = (from: number, to: number) => sds.spine.ctx.db.query(
      `INSERT INTO directory.devices (id, asid, party_key, owner_ods_code, interactions)
       SELECT gen_random_uuid(), (890000000000 + g)::text, 'FAT1-' || g, 'FAT1', ${fat('D')} FROM generate_series($1::int, $2::int) g`, [from, to]);
    const insertEndpoints = (from: number, to: number) => sds.spine.ctx.db.query(
      `INSERT INTO directory.endpoints (id, party_key, managing_ods_code, address, fqdn, cpa_id, mhs_id, interactions)
       SELECT gen_random_uuid(), 'FAT1-' || g, 'FAT1', 'https://fat.example/' || g, 'fat.example', 'CPA' || g, 'CPA' || g, ${fat('E')}
         FROM generate_series($1::int, $2::int) g`, [from, to]);
    const query: Array<[string, string]> = [['organization', `${ODS}|FAT1`], ['identifier', `${INTERACTION}|urn:nhs:names:services:test:FAT`]];
    await insertDevices(1, 20);
    await insertEndpoints(1, 20);
    // 20 records of 5,000: 100,000 interactions, the most one answer lists.
    const devices = await search('Device', query);
    assert.deepEqual([devices.total, JSON.stringify(devices.entry[19].resource).includes('urn:nhs:names:services:test:D5000')], [20, true]);
    assert.equal((await search('Endpoint', query)).total, 20);

    await insertDevices(21, 21);
    await insertEndpoints(21, 21);
    for (const [resource, narrower] of [['Device', `add identifier=${PARTY_KEY}|value or manufacturing-organization=${ODS}|value`],
      ['Endpoint', `give all three of organization=${ODS}|value, identifier=${INTERACTION}|value and identifier=${PARTY_KEY}|value`]] as const) {
      const refused = await get(`${resource}?${sdsQuery(query)}`);
      assert.equal(refused.status, 400, resource);
      const outcome = await refused.json();
      assert.deepEqual([outcome.issue[0].code, outcome.issue[0].details.coding[0].code, outcome.issue[0].diagnostics], ['too-costly', 'BAD_REQUEST',
        `HTTP 400: Bad Request (Too many matches: the records the search matches list more than 100000 interactions, the most one answer carries; narrow it (${narrower}))`]);
    }
    const narrowed = await search('Device', [...query, ['identifier', `${PARTY_KEY}|FAT1-21`]]);
    assert.equal(narrowed.total, 1);
  });

  it('finds the forward-reliable and forward-express Endpoints of the test data', async () => {
    const reliable = await search('Endpoint', [['organization', `${ODS}|X26`],
      ['identifier', `${INTERACTION}|urn:nhs:names:services:gp2gp:COPC_IN000001UK01`]]);
    assert.deepEqual(reliable, withGeneratedIds(readSdsJson('test_data/endpoint_forward_reliable.json'), reliable));
    const express = await search('Endpoint', [['identifier', `${PARTY_KEY}|X26-200150`],
      ['identifier', `${INTERACTION}|urn:nhs:names:services:ebs:PRSC_IN080000UK03`]]);
    assert.deepEqual(express, withGeneratedIds(readSdsJson('test_data/endpoint_forward_express.json'), express));
    const none = await search('Endpoint', [['organization', `${ODS}|X26`], ['identifier', `${INTERACTION}|${REPC}`]]);
    assert.deepEqual([none.total, none.entry], [0, []]);
  });

  it('echoes the caller\'s X-Correlation-ID, or mints one', async () => {
    const correlationId = '6d3d3674-7ce5-11ec-90d6-0242ac120003';
    const query = sdsQuery([['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC}`]]);
    const echoed = await get(`Endpoint?${query}`, { 'x-correlation-id': correlationId });
    assert.equal(echoed.headers.get('x-correlation-id'), correlationId);
    const minted = await get(`Endpoint?${query}`);
    assert.match(minted.headers.get('x-correlation-id') ?? '', UPPER_UUID);
  });
});

describe('SDS FHIR API: errors', () => {
  const sds = sdsReader();
  const { get } = sds;

  async function expectSdsError(path: string, expected: { status: number; code: string; display: string; issueCode: string; diagnostics: string },
    init: RequestInit & { headers?: Record<string, string> } = {}) {
    const correlationId = 'F0F0E921-92CA-4A88-A550-2DBB36F703AF';
    const response = await fetch(`${sds.spine.url}/spine-directory${path}`, {
      ...init, headers: { authorization: `Bearer ${sds.token}`, 'x-correlation-id': correlationId, ...init.headers },
    });
    assert.equal(response.status, expected.status, path);
    assert.equal(response.headers.get('content-type'), 'application/fhir+json');
    const id = init.headers?.['x-correlation-id'] ?? correlationId;
    const body = await response.json();
    assert.deepEqual(body, {
      resourceType: 'OperationOutcome',
      ...(/^[0-9a-f-]{36}$/i.test(id) ? { id } : { id: body.id }),
      issue: [{
        severity: 'error', code: expected.issueCode,
        details: { coding: [{ system: SDS_SYSTEM, code: expected.code, display: expected.display }] },
        diagnostics: expected.diagnostics,
      }],
    }, path);
    assert.equal(body.id, response.headers.get('x-correlation-id'), 'the OperationOutcome id is the X-Correlation-ID answered');
    return response;
  }

  // The SDS wraps its messages as its web framework renders a 400 (upstream sds-api on Tornado).
  const bad = (message: string) => ({ status: 400, code: 'BAD_REQUEST', display: 'Bad request', issueCode: 'required',
    diagnostics: `HTTP 400: Bad Request (${message})` });
  const orgMessage = `Missing or invalid 'organization' query parameter. Should be 'organization=${ODS}|value'`;
  const identifierShape = `Missing or invalid 'identifier' query parameter. Should be one or both of: ['identifier=${INTERACTION}|value', 'identifier=${PARTY_KEY}|value'`;
  const combos = 'Missing or invalid query parameters. Should one of following combinations: ['
    + `'organization=${ODS}|value&identifier=${INTERACTION}|value&identifier=${PARTY_KEY}|value'`
    + `'organization=${ODS}|value&identifier=${INTERACTION}|value'`
    + `'organization=${ODS}|value&identifier=${PARTY_KEY}|value'`
    + `'identifier=${INTERACTION}|value&identifier=${PARTY_KEY}|value']`;

  it('Device: organization and a service interaction are mandatory, in system|value form', async () => {
    const svc = `identifier=${INTERACTION}|${REPC}`;
    await expectSdsError(`/FHIR/R4/Device?${svc}`, bad(orgMessage));
    await expectSdsError(`/FHIR/R4/Device?organization=&${svc}`, bad(orgMessage));
    await expectSdsError(`/FHIR/R4/Device?organization=${ODS}|&${svc}`, bad(orgMessage));
    await expectSdsError(`/FHIR/R4/Device?organization=YES&${svc}`, bad(orgMessage));
    await expectSdsError(`/FHIR/R4/Device?organization=${ODS}|YES`,
      bad(`Missing or invalid 'identifier' query parameter. Should be 'identifier=${INTERACTION}|value'`));
    await expectSdsError(`/FHIR/R4/Device?organization=${ODS}|YES&identifier=${PARTY_KEY}|YES-0000806`,
      bad(`Missing or invalid 'identifier' query parameter. Should be 'identifier=${INTERACTION}|value'`));
    await expectSdsError(`/FHIR/R4/Device?organization=${ODS}|YES&identifier=${REPC}`, bad(identifierShape));
    await expectSdsError(`/FHIR/R4/Device?organization=${ODS}|YES&${svc}&manufacturing-organization=YES`,
      bad(`Missing or invalid 'manufacturing-organization' query parameter. Should be 'manufacturing-organization=${ODS}|value'`));
    await expectSdsError(`/FHIR/R4/Device?organization=${ODS}|YES&${svc}&_count=5`, bad("Illegal query parameter '_count'"));
    await expectSdsError('/FHIR/R4/Device', bad(orgMessage));
  });

  it('Endpoint: only the spec\'s four combinations of organisation, interaction and party key are accepted', async () => {
    await expectSdsError('/FHIR/R4/Endpoint', bad(combos));
    await expectSdsError(`/FHIR/R4/Endpoint?organization=${ODS}|YES`, bad(combos));
    await expectSdsError(`/FHIR/R4/Endpoint?identifier=${INTERACTION}|${REPC}`, bad(combos));
    await expectSdsError(`/FHIR/R4/Endpoint?identifier=${PARTY_KEY}|YES-0000806`, bad(combos));
    await expectSdsError(`/FHIR/R4/Endpoint?organization=${ODS}|YES&identifier=${INTERACTION}|`, bad(combos));
    await expectSdsError(`/FHIR/R4/Endpoint?organization=X&identifier=${INTERACTION}|${REPC}`, bad(orgMessage));
    await expectSdsError(`/FHIR/R4/Endpoint?organization=${ODS}|YES&identifier=foo|bar`, bad(identifierShape));
    await expectSdsError(`/FHIR/R4/Endpoint?organization=${ODS}|YES&identifier=${INTERACTION}|${REPC}&manufacturing-organization=${ODS}|YES`,
      bad("Illegal query parameter 'manufacturing-organization'"));
  });

  it('a malformed X-Correlation-ID is refused', async () => {
    const response = await expectSdsError(`/FHIR/R4/Endpoint?organization=${ODS}|YES&identifier=${INTERACTION}|${REPC}`,
      { ...bad(''), diagnostics: "HTTP 400: Invalid X-Correlation-ID header. Should be an UUIDv4 matching regex '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'" },
      { headers: { 'x-correlation-id': 'not-a-uuid' } });
    // A fresh id answers: the invalid value is never echoed.
    const fresh = response.headers.get('x-correlation-id') ?? '';
    assert.match(fresh, UPPER_UUID);
  });

  it('only GET is allowed (405 with Allow: GET); unknown paths get 404; non-JSON Accept gets 406', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const response = await expectSdsError('/FHIR/R4/Device', { status: 405, code: 'NOT_IMPLEMENTED', display: 'Not implemented',
        issueCode: 'not-supported', diagnostics: 'HTTP operation not supported' }, { method });
      assert.equal(response.headers.get('allow'), 'GET');
    }
    await expectSdsError('/FHIR/R4/Endpoint', { status: 405, code: 'NOT_IMPLEMENTED', display: 'Not implemented',
      issueCode: 'not-supported', diagnostics: 'HTTP operation not supported' }, { method: 'DELETE' });
    // Any other path, paths in the wrong case included, is the SDS sandbox's 404 (stubs/404.json).
    for (const path of ['/FHIR/R4/something', '/FHIR/R4/device', '/FHIR/R4/ENDPOINT', '/fhir/r4/Device', '/FHIR/R4/Device/x',
      '/FHIR/R4/Device/', '/FHIR/R4', '/FHIR/R4/Healthcheck', '/_ping', '/x']) {
      await expectSdsError(path, { status: 404, code: 'NO_RECORD_FOUND', display: 'No record found',
        issueCode: 'not-found', diagnostics: 'HTTP endpoint not found' });
    }
    for (const path of ['/FHIR/R4/metadata', '/FHIR/R4/healthcheck/deep', '/FHIR/R4/_ping']) {
      const response = await expectSdsError(path, { status: 405, code: 'NOT_IMPLEMENTED', display: 'Not implemented',
        issueCode: 'not-supported', diagnostics: 'HTTP operation not supported' }, { method: 'POST' });
      assert.equal(response.headers.get('allow'), 'GET');
    }
    await expectSdsError(`/FHIR/R4/Device?organization=${ODS}|YES&identifier=${INTERACTION}|${REPC}`, { status: 406,
      code: 'MISSING_OR_INVALID_HEADER', display: 'There is a required header missing or invalid', issueCode: 'not-supported',
      diagnostics: 'Accept type not supported' }, { headers: { accept: 'application/xml' } });
  });

  it('needs a token (401) carrying directory:read (403)', async () => {
    const url = `${sds.spine.url}/spine-directory/FHIR/R4/Device?organization=${ODS}|YES&identifier=${INTERACTION}|${REPC}`;
    const anonymous = await fetch(url);
    assert.equal(anonymous.status, 401);
    const outcome = await anonymous.json();
    assert.equal(outcome.issue[0].details.coding[0].code, 'ACCESS_DENIED');
    const forged = await fetch(url, { headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(forged.status, 401);
    const { token: adminOnly } = await createAppAndToken(sds.spine, { activities: ['patient:read'] });
    const forbidden = await fetch(url, { headers: { authorization: `Bearer ${adminOnly}` } });
    assert.equal(forbidden.status, 403);
    assert.match((await forbidden.json()).issue[0].diagnostics, /directory:read/);
  });

  it('serves metadata without a token', async () => {
    const metadata = await fetch(`${sds.spine.url}/spine-directory/FHIR/R4/metadata`);
    assert.equal(metadata.status, 200);
    assert.equal(metadata.headers.get('content-type'), 'application/fhir+json');
    const capability = await metadata.json();
    assert.equal(capability.resourceType, 'CapabilityStatement');
    assert.deepEqual(capability.rest[0].resource.map((r: any) => r.type), ['Device', 'Endpoint']);
  });

  it('never answers 5xx to arbitrary query strings, paths and headers', async () => {
    const piece = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('organization', 'identifier', 'manufacturing-organization',
      `${ODS}|YES`, `${INTERACTION}|${REPC}`, `${PARTY_KEY}|YES-0000806`, '%ZZ', '%00', '&&', '==', '[]', '|'));
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('Device', 'Endpoint', 'device', 'Device/x', 'metadata'),
      fc.array(fc.tuple(piece, piece), { maxLength: 4 }),
      fc.constantFrom(undefined, 'application/fhir+json', 'text/html', '*/*;q=0.1', ''),
      async (resource, pairs, accept) => {
        const query = pairs.map(([k, v]) => `${k}=${v}`).join('&');
        const response = await fetch(`${sds.spine.url}/spine-directory/FHIR/R4/${resource}?${query}`,
          { headers: { authorization: `Bearer ${sds.token}`, ...(accept === undefined ? {} : { accept }) } });
        assert.ok(response.status < 500, `${response.status} for ${resource}?${query}`);
        const body = await response.json();
        assert.ok(['Bundle', 'OperationOutcome', 'CapabilityStatement'].includes(body.resourceType));
      }), { numRuns: 150 });
  });
});

