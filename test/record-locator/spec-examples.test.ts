import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { call, errorIssue, issueOf, MENTAL_HEALTH_CRISIS_PLAN, pointerBody, RESPONSE_SYSTEM } from './support.js';

/**
 * The examples the NRL specs embed, sent to the sandbox as "Try this API" sends them: each
 * parameter's "valid" and "invalid" (Unknown) example, and the producer's request-body example.
 * The specs document no error responses per operation (only the unreferenced Error component): the
 * answers are NRLF's codes and words.
 */
const specOf = (side: 'producer' | 'consumer') => JSON.parse(readFileSync(
  fileURLToPath(new URL(`../../spec/nhs/nrl/api/${side}/swagger.json`, import.meta.url)), 'utf8')) as {
  components: { parameters: Record<string, { examples?: Record<string, { value: string }> }>; requestBodies: Record<string, any> };
};
const consumerSpec = specOf('consumer');
const specPaths = (side: 'producer' | 'consumer') => (JSON.parse(readFileSync(
  fileURLToPath(new URL(`../../spec/nhs/nrl/api/${side}/swagger.json`, import.meta.url)), 'utf8')) as { paths: Record<string, Record<string, any>> }).paths;
const producerSpec = specOf('producer');
const example = (name: string, which: string) => consumerSpec.components.parameters[name]!.examples![which]!.value;

describe('NRL: the specs\' own examples, in sandbox mode', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine?.close(); });

  const sandboxCaller = { 'nhsd-end-user-organisation-ods': example('odsCode', 'valid') };
  const search = (query: Record<string, string>, identity = sandboxCaller) =>
    call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference?${new URLSearchParams(query).toString()}`, identity);

  it('subject: the valid examples search (200 searchset); the unknown one (3495456001) fails its check digit: 400 INVALID_NHS_NUMBER', async () => {
    for (const which of ['valid_1', 'valid_2']) {
      const found = await search({ 'subject:identifier': example('subject', which) });
      assert.equal(found.status, 200, JSON.stringify(found.body));
      assert.equal(found.body.type, 'searchset');
    }
    const unknown = await search({ 'subject:identifier': example('subject', 'invalid') });
    assert.equal(unknown.status, 400);
    assert.deepEqual(issueOf(unknown.body), errorIssue('INVALID_NHS_NUMBER', 'Invalid NHS number', 'invalid',
      'A valid NHS number is required to search for document references', 'subject:identifier'));
  });

  it('custodian: the valid example filters; the unknown one (another-code|XYZ) is 400 INVALID_PARAMETER quoting the spec\'s pattern', async () => {
    const subject = example('subject', 'valid_1');
    const found = await search({ 'subject:identifier': subject, 'custodian:identifier': example('custodian', 'valid') });
    assert.equal(found.status, 200);
    const unknown = await search({ 'subject:identifier': subject, 'custodian:identifier': example('custodian', 'invalid') });
    assert.equal(unknown.status, 400);
    assert.deepEqual(issueOf(unknown.body), errorIssue('INVALID_PARAMETER', 'Invalid parameter', 'invalid',
      'Invalid query parameter (custodian:identifier: string does not match regex "^https\\:\\/\\/fhir\\.nhs\\.uk\\/Id\\/ods-organization-code\\|(\\w+)$")',
      'custodian:identifier'));
  });

  it('type: every named example searches; the unknown SNOMED code (410970009) finds nothing (200, total 0), as its system is allowed', async () => {
    const subject = 'https://fhir.nhs.uk/Id/nhs-number|6700028191';
    const examples = consumerSpec.components.parameters.type!.examples!;
    for (const [which, { value }] of Object.entries(examples)) {
      if (which === 'none') continue;
      const found = await search({ 'subject:identifier': subject, type: value });
      assert.equal(found.status, 200, `${which}: ${JSON.stringify(found.body)}`);
      if (which === 'invalid') assert.equal(found.body.total, 0);
    }
    const crisisPlans = await search({ 'subject:identifier': subject, type: examples.SNOMED_CODES_MENTAL_HEALTH_CRISIS_PLAN!.value });
    assert.equal(crisisPlans.body.total, 6);
  });

  it('id: the unknown example (Y05861-1234567800) is 404 NO_RECORD_FOUND to a consumer, 403 AUTHOR_CREDENTIALS_ERROR to producer Y05868', async () => {
    const id = example('id', 'invalid');
    const consumed = await call(spine, 'GET', `/consumer/FHIR/R4/DocumentReference/${id}`, sandboxCaller);
    assert.equal(consumed.status, 404);
    assert.deepEqual(issueOf(consumed.body), errorIssue('NO_RECORD_FOUND', 'No record found', 'not-found', 'The requested DocumentReference could not be found'));
    const produced = await call(spine, 'GET', `/producer/FHIR/R4/DocumentReference/${id}`, sandboxCaller);
    assert.equal(produced.status, 403);
    assert.deepEqual(issueOf(produced.body), errorIssue('AUTHOR_CREDENTIALS_ERROR', 'Author credentials error', 'forbidden',
      'The requested DocumentReference cannot be read because it belongs to another organisation'));
  });

  it('NHSD-End-User-Organisation-ODS: the unknown example (XYZ) has no pointer types: 403 ACCESS DENIED naming it', async () => {
    const refused = await search({ 'subject:identifier': example('subject', 'valid_1') }, { 'nhsd-end-user-organisation-ods': example('odsCode', 'invalid') });
    assert.equal(refused.status, 403);
    assert.deepEqual(issueOf(refused.body), errorIssue('ACCESS DENIED', 'Access has been denied to process this request', 'forbidden',
      "Your organisation 'XYZ' does not have permission to access this resource. Contact the onboarding team."));
  });

  it('the producer\'s request-body example, whose context.related item is no Reference as its YAML has it (identifier null, system and value beside it), is refused whole; as intended it is upserted, 201 RESOURCE_CREATED at its Location', async () => {
    const body = producerSpec.components.requestBodies.DocumentReference.content['application/fhir+json'].example;
    // The spec pairs this body with its 201 examples only; as written it fails the spec's own schema
    // (a Reference's identifier is an object, never null), so the answer is the door's, pinned whole.
    assert.deepEqual(body.context.related, [{ identifier: null, system: 'https://fhir.nhs.uk/Id/nhsSpineASID', value: 12345678910 }]);
    const extraField = (field: string) => errorIssue('INVALID_RESOURCE', 'Invalid validation of resource', 'invalid', 'The resource contains extra fields', field);
    for (const method of ['POST', 'PUT']) {
      const response = await call(spine, method, '/producer/FHIR/R4/DocumentReference', sandboxCaller, { body });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.deepEqual(response.body.issue, [
        errorIssue('MESSAGE_NOT_WELL_FORMED', 'Message not well formed', 'invalid', 'Request body could not be parsed (context: value is not a valid dict)', 'context'),
        extraField('context.related[0].system'),
        extraField('context.related[0].value'),
      ], method);
    }
    // Made the Reference it was meant to be, it is the spec's pointer: upserted, 201 RESOURCE_CREATED at its Location.
    const fixed = { ...body, context: { ...body.context, related: [{ identifier: { system: 'https://fhir.nhs.uk/Id/nhsSpineASID', value: '123456789101' } }] } };
    const created = await call(spine, 'PUT', '/producer/FHIR/R4/DocumentReference', sandboxCaller, { body: fixed });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get('location'), `/producer/FHIR/R4/DocumentReference/${body.id}`);
    assert.deepEqual(issueOf(created.body), {
      severity: 'information', code: 'informational',
      details: { coding: [{ system: RESPONSE_SYSTEM, code: 'RESOURCE_CREATED', display: 'Resource created' }] },
      diagnostics: 'The document has been created',
    });
  });

  /** The FHIR interaction each of the spec's operations is; the rest (upsert, _count, _status) are the resource's documentation. */
  const INTERACTIONS: Record<string, string | undefined> = {
    'post /DocumentReference': 'create', 'get /DocumentReference': 'search-type', 'post /DocumentReference/_search': 'search-type',
    'get /DocumentReference/{id}': 'read', 'put /DocumentReference/{id}': 'update', 'delete /DocumentReference/{id}': 'delete',
  };

  it('metadata: each API\'s CapabilityStatement has exactly the spec\'s operations and search parameters, and no update-as-create at an id (a PUT to an unknown id is 404)', async () => {
    for (const side of ['producer', 'consumer'] as const) {
      // _status: 200 {"message":"OK"} as application/json, as both specs declare it (call checks the answer).
      assert.equal((await call(spine, 'GET', `/${side}/FHIR/R4/_status`, {})).status, 200);
      const response = await fetch(`${spine.url}/record-locator/${side}/FHIR/R4/metadata`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/fhir\+json/);
      const capability = await response.json();
      assert.equal(capability.resourceType, 'CapabilityStatement');
      assert.equal(capability.fhirVersion, '4.0.1');
      assert.deepEqual(capability.format, ['application/fhir+json']);
      assert.equal(capability.implementation.url, `${spine.url}/record-locator/${side}/FHIR/R4`);
      const [resource, ...others] = capability.rest[0].resource;
      assert.equal(others.length, 0);
      assert.equal(resource.type, 'DocumentReference');
      assert.equal(resource.profile, 'http://hl7.org/fhir/StructureDefinition/DocumentReference');
      const operations = Object.entries(specPaths(side)).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
      const expected = [...new Set(operations.map((operation) => INTERACTIONS[operation]).filter((code) => code !== undefined))].sort();
      assert.deepEqual(resource.interaction.map((i: { code: string }) => i.code).sort(), expected, side);
      assert.equal(resource.updateCreate ?? false, false);
      // The spec's query parameters (and category, which NRL's newer API has), by the names a client sends.
      const specParams = Object.values(specOf(side).components.parameters as Record<string, { in?: string; name?: string }>)
        .filter((p) => p.in === 'query').map((p) => p.name!);
      assert.deepEqual(resource.searchParam.map((p: { name: string }) => p.name).sort(), [...specParams, 'category'].sort(), side);
      // The operations that are no FHIR interaction are documented where a client looks for them.
      for (const operation of operations.filter((o) => INTERACTIONS[o] === undefined)) {
        const [method, path] = operation.split(' ');
        assert.ok(String(resource.documentation).includes(`${method!.toUpperCase()} ${path!.replace(/^\//, '')}`), `${side}: ${operation} in ${resource.documentation}`);
      }
    }
    const id = 'Y05868-no-such-pointer';
    const missing = await call(spine, 'PUT', `/producer/FHIR/R4/DocumentReference/${id}`, sandboxCaller,
      { body: pointerBody('Y05868', '6700028191', MENTAL_HEALTH_CRISIS_PLAN, { id }) });
    assert.equal(missing.status, 404, JSON.stringify(missing.body));
  });
});
