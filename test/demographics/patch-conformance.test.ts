import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { startPds, call, outcomeOf, type PdsHarness } from './support/pds.js';
import { pdsResponseValidators } from './support/schemas.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import { testPopulation } from './support/population.js';

const DEATH_NOTIFICATION = {
  url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus',
  extension: [{ url: 'deathNotificationStatus', valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus', code: '1', display: 'Informal - death notice received via an update from a local NHS Organisation such as GP or Trust' }] } }],
};

describe('PATCH /Patient/{id}: checks in PDS order, and the result conforms to Patient.yaml', () => {
  let h: PdsHarness;
  const validators = pdsResponseValidators();
  const people = testPopulation(10, 950_000_000);
  const send = (id: string, body: unknown, headers: Record<string, string>, requestId?: string | null) =>
    call(h, `Patient/${id}`, { method: 'PATCH', body, headers, requestId });
  const patch = (id: string, patches: unknown[], version = 1) =>
    send(id, { patches }, { 'content-type': 'application/json-patch+json', 'if-match': `W/"${version}"` });
  const stored = async (id: string) => (await h.db.query('SELECT version_id, resource FROM demographics.patients WHERE nhs_number = $1', [id])).rows[0];

  before(async () => {
    h = await startPds();
    await bulkInsertPatients(h.spine.ctx.db, { patients: people });
  });
  after(() => h.close());

  it('If-Match first (412), then X-Request-ID, then Content-Type, then the body, then the NHS number', async () => {
    const badBody = { patches: 'none' };
    const expectations: Array<[string, Record<string, string>, string | null | undefined, number, string, string]> = [
      [people[0]!.id, { 'content-type': 'text/plain' }, null, 412, 'PRECONDITION_FAILED', 'Invalid request with error - If-Match header must be supplied to update this resource'],
      [people[0]!.id, { 'content-type': 'application/json', 'if-match': '2' }, null, 412, 'PRECONDITION_FAILED', "Invalid value - '2' in header 'If-Match'"],
      [people[0]!.id, { 'content-type': 'application/json', 'if-match': 'W/"1"' }, null, 400, 'MISSING_VALUE', 'Invalid request with error - X-Request-ID header must be supplied to access this resource'],
      [people[0]!.id, { 'content-type': 'application/json', 'if-match': 'W/"1"' }, 'abc', 400, 'INVALID_VALUE', "Invalid value - 'abc' in header 'X-Request-ID'"],
      [people[0]!.id, { 'content-type': 'application/json', 'if-match': 'W/"1"' }, undefined, 400, 'INVALID_VALUE', "Invalid value - 'application/json' in header 'Content-Type'"],
      ['9000000000', { 'content-type': 'application/json-patch+json', 'if-match': 'W/"1"' }, undefined, 400, 'INVALID_UPDATE', 'Invalid update with error - No patches found'],
    ];
    for (const [id, headers, requestId, status, code, diagnostics] of expectations) {
      const res = await send(id, badBody, headers, requestId);
      assert.equal(res.status, status, diagnostics);
      assert.deepEqual([outcomeOf(res.json).code, outcomeOf(res.json).diagnostics], [code, diagnostics]);
      assert.equal(validators.OperationOutcome(res.json), true);
    }
    for (const headers of [{ 'if-match': 'W/"1"', 'content-type': 'application/xml' }, { 'if-match': 'W/"1"' }] as Array<Record<string, string>>) {
      // Bytes, so that fetch adds no Content-Type of its own.
      const res = await fetch(`${h.spine.url}/personal-demographics/FHIR/R4/Patient/${people[0]!.id}`, {
        method: 'PATCH', body: new TextEncoder().encode('<patches/>'),
        headers: { ...headers, authorization: `Bearer ${h.userBearer}`, 'x-request-id': crypto.randomUUID() },
      });
      assert.equal(res.status, 400, JSON.stringify(headers));
      const outcome = outcomeOf(await res.json());
      assert.equal(outcome.code, headers['content-type'] ? 'INVALID_VALUE' : 'MISSING_VALUE');
      assert.equal(outcome.diagnostics, headers['content-type'] ? "Invalid value - 'application/xml' in header 'Content-Type'" : "Missing value - 'Content-Type'");
    }
    const invalidNumber = await patch('9000000000', [{ op: 'replace', path: '/gender', value: 'male' }]);
    assert.equal(invalidNumber.status, 400);
    assert.equal(outcomeOf(invalidNumber.json).code, 'INVALID_RESOURCE_ID');
    assert.equal((await stored(people[0]!.id)).version_id, 1);
  });

  it('a PATCH whose result does not conform to Patient.yaml is 400 and nothing is stored', async () => {
    const id = people[1]!.id;
    // PDS spec error table: an invalid value in the body of a patch request is INVALID_VALUE; an
    // unknown property within an item ADDITIONAL_PROPERTIES, as in a new record.
    const cases: Array<[unknown[], string, string]> = [
      [[{ op: 'add', path: '/name/0/id', value: 'n1' }, { op: 'add', path: '/name/0/text', value: 'Jane Smith' }], 'ADDITIONAL_PROPERTIES', "Invalid request with error - Additional properties are not allowed ('name/0/text' was unexpected)"],
      [[{ op: 'add', path: '/name/0/id', value: 'n1' }, { op: 'replace', path: '/name/0/prefix', value: 'Mrs' }], 'INVALID_VALUE', "Invalid value - 'Mrs' in field 'name/0/prefix'"],
      [[{ op: 'add', path: '/extension/-', value: { url: 'https://example.org/unknown', valueString: 'x' } }], 'INVALID_VALUE', "Invalid value - 'https://example.org/unknown' in field 'extension/0/url'"],
      [[{ op: 'add', path: '/telecom/-', value: { system: 'email', value: 42 } }], 'INVALID_VALUE', "Invalid value - '42' in field 'telecom/2/value'"],
      [[{ op: 'add', path: '/multipleBirthInteger', value: 12 }], 'INVALID_VALUE', "Invalid value - '12' in field 'multipleBirthInteger'"],
      // DeceasedDateTime.yaml: a zero UTC offset only (NHS England's own test suite expects exactly this answer).
      [[{ op: 'add', path: '/deceasedDateTime', value: '2020-01-01T00:00:00+01:00' }, { op: 'add', path: '/extension/-', value: DEATH_NOTIFICATION }], 'INVALID_VALUE', "Invalid value - '2020-01-01T00:00:00+01:00' in field 'deceasedDateTime'"],
    ];
    for (const [patches, code, diagnostics] of cases) {
      const res = await patch(id, patches);
      assert.equal(res.status, 400, JSON.stringify(patches));
      assert.deepEqual([outcomeOf(res.json).code, outcomeOf(res.json).diagnostics], [code, diagnostics]);
    }
    const row = await stored(id);
    assert.equal(row.version_id, 1);
    assert.deepEqual(row.resource.name, people[1]!.name);
  });

  it('any field of a name, address or telecom replaced by a value of the wrong type is 400 naming it, and nothing is stored', async () => {
    const person = people[5]!;
    const leaves: string[][] = [];
    for (const [list, item] of [['name', person.name![0]], ['address', person.address![0]], ['telecom', person.telecom![0]]] as const) {
      for (const [key, value] of Object.entries(item as object)) {
        if (typeof value === 'string') leaves.push([list, '0', key]);
        else if (Array.isArray(value)) value.forEach((_v, i) => leaves.push([list, '0', key, String(i)]));
      }
    }
    await fc.assert(fc.asyncProperty(fc.constantFrom(...leaves), fc.oneof(fc.integer(), fc.constant(['x']), fc.constant({ x: 1 })), async (at, wrong) => {
      const item = (person[at[0] as 'name'] as Array<{ id: string }>)[0]!;
      const res = await patch(person.id, [{ op: 'test', path: `/${at[0]}/0/id`, value: item.id }, { op: 'replace', path: `/${at.join('/')}`, value: wrong }]);
      assert.equal(res.status, 400, `${at.join('/')} = ${JSON.stringify(wrong)}: ${JSON.stringify(res.json)}`);
      const { code, diagnostics } = outcomeOf(res.json);
      assert.ok(['INVALID_VALUE', 'MISSING_VALUE', 'ADDITIONAL_PROPERTIES'].includes(code), code);
      const named = /in field '([^']*)'$|Missing value - '([^']*)'$/.exec(diagnostics);
      const field = named?.[1] ?? named?.[2];
      assert.ok(field !== undefined && at.join('/').startsWith(field), `${at.join('/')}: ${diagnostics}`);
    }), { numRuns: 60 });
    assert.equal((await stored(person.id)).version_id, 1, 'nothing stored');
  });

  it("'add' at /extension/- and /telecom/- starts the list when the record has none", async () => {
    const id = people[2]!.id;
    await h.db.query(`UPDATE demographics.patients SET resource = resource - 'telecom' WHERE nhs_number = $1`, [id]);
    const nominated = { url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy', valueReference: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'Y12345' } } };
    const phone = { system: 'phone', value: '01632960587', use: 'mobile' };
    const res = await patch(id, [{ op: 'add', path: '/extension/-', value: nominated }, { op: 'add', path: '/telecom/-', value: phone }]);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json.extension, [nominated]);
    assert.deepEqual(res.json.telecom, [{ ...phone, id: res.json.telecom[0].id }]);
    assert.match(res.json.telecom[0].id, /^[0-9A-F]{8}$/, 'PDS gives a new telecom its id');
    assert.equal(validators.Patient(res.json), true, JSON.stringify(validators.Patient.errors?.slice(0, 3)));
  });

  it('a date of death sent as a date is stored and returned as a date-time (DeceasedDateTime.yaml)', async () => {
    const id = people[3]!.id;
    const res = await patch(id, [{ op: 'add', path: '/deceasedDateTime', value: '2020-01-01' }, { op: 'add', path: '/extension/-', value: DEATH_NOTIFICATION }]);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.deceasedDateTime, '2020-01-01T00:00:00+00:00');
    assert.equal((await stored(id)).resource.deceasedDateTime, '2020-01-01T00:00:00+00:00');
    assert.equal((await call(h, `Patient/${id}`)).json.deceasedDateTime, '2020-01-01T00:00:00+00:00');
    assert.equal(validators.Patient(res.json), true, JSON.stringify(validators.Patient.errors?.slice(0, 3)));
  });

  it("a field PDS does not update answers the PATCH error example of the spec ('pets')", async () => {
    const bundled = JSON.parse(readFileSync(new URL('../../spec/nhs/pds/personal-demographics.bundled.json', import.meta.url), 'utf8'));
    const res = await patch(people[4]!.id, [{ op: 'add', path: '/pets', value: 'dog' }]);
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, bundled.paths['/Patient/{id}'].patch.responses['4XX'].content['application/fhir+json'].example);
  });

  it('a malformed list of patches is INVALID_UPDATE naming what is wrong', async () => {
    const id = people[4]!.id;
    for (const [patches, diagnostics] of [
      [[{ op: 'move', path: '/gender', from: '/birthDate' }], "Invalid update with error - Invalid value - 'move' in field 'patches/0/op'"],
      [[{ op: 'replace', value: 'male' }], "Invalid update with error - Missing value - 'patches/0/path'"],
      [[{ op: 'replace', path: '/gender', value: true }], "Invalid update with error - Invalid value - 'true' in field 'patches/0/value'"],
    ] as const) {
      const res = await patch(id, [...patches]);
      assert.equal(res.status, 400);
      assert.deepEqual([outcomeOf(res.json).code, outcomeOf(res.json).diagnostics], ['INVALID_UPDATE', diagnostics]);
    }
  });
});
