import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { startPds, call, outcomeOf, type PdsHarness } from './support/pds.js';
import { pdsResponseValidators } from './support/schemas.js';

const bundled = JSON.parse(readFileSync(new URL('../../spec/nhs/pds/personal-demographics.bundled.json', import.meta.url), 'utf8'));
/** The spec's own create example (`examples/requests/PatientCreate/Allocate_NHS_Number.json`). */
const allocateExample = () => structuredClone(bundled.paths['/Patient'].post.requestBody.content['application/json'].examples['create-patient'].value);
const mock = JSON.parse(readFileSync(new URL('../../spec/nhs/pds/sandbox/mocks/Patient.json', import.meta.url), 'utf8'));
const mockExtension = (suffix: string) => mock.extension.find((e: { url: string }) => e.url.endsWith(suffix));

let serial = 0;
/** A person nobody has created yet: the spec example under a fresh family name. */
function person(mutate: (body: any) => void = () => {}) {
  const body = allocateExample();
  body.name[0].family = `Doorcheck${String.fromCharCode(65 + (serial % 26))}${String.fromCharCode(65 + Math.floor(serial / 26) % 26)}`;
  serial += 1;
  mutate(body);
  return body;
}

describe('POST /Patient: the body is PatientCreateRequest.yaml, checked at the door', () => {
  let h: PdsHarness;
  const validators = pdsResponseValidators();
  const patientCount = async () => (await h.db.query('SELECT count(*)::int AS n FROM demographics.patients')).rows[0].n as number;
  before(async () => { h = await startPds(); });
  after(() => h.close());

  it('the spec example is created: 201, a Patient as Patient.yaml says, with server ids and no create-only extensions', async () => {
    const body = person((b) => b.extension.push(mockExtension('NHSCommunication'), mockExtension('ContactPreference'),
      { url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-BirthSex', valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-BirthSex', code: 'F', display: 'Female' }] } }));
    const res = await call(h, 'Patient', { method: 'POST', body });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    const created: any = res.json;
    assert.equal(validators.Patient(res.json), true, JSON.stringify(validators.Patient.errors?.slice(0, 3)));
    assert.deepEqual(res.json.extension.map((e: { url: string }) => e.url), [
      'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication',
      'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactPreference',
    ], 'Registering Authority and the "not persisted" extensions are not echoed');
    for (const field of ['name', 'address', 'telecom']) {
      assert.match(created[field][0].id, /^[0-9A-F]{8}$/, `${field} item has a server id`);
    }
    assert.deepEqual({ ...created.name[0], id: undefined }, { ...body.name[0], id: undefined });
    const read = await call(h, `Patient/${created.id}`);
    assert.deepEqual(read.json, created);
  });

  it('wrongly typed fields at any depth are 400 naming the field, and nothing is stored', async () => {
    const cases: Array<[(b: any) => void, string, string]> = [
      [(b) => { b.name[0].given = 'Jane'; }, 'INVALID_VALUE', "Invalid value - 'Jane' in field 'name/0/given'"],
      [(b) => { b.name[0].given = [7]; }, 'INVALID_VALUE', "Invalid value - '7' in field 'name/0/given/0'"],
      [(b) => { b.name[0].family = 12; }, 'INVALID_VALUE', "Invalid value - '12' in field 'name/0/family'"],
      [(b) => { b.name[0].prefix = 'Mrs'; }, 'INVALID_VALUE', "Invalid value - 'Mrs' in field 'name/0/prefix'"],
      [(b) => { b.name[0].period = '1986'; }, 'INVALID_VALUE', "Invalid value - '1986' in field 'name/0/period'"],
      [(b) => { b.telecom[0].value = 123342; }, 'INVALID_VALUE', "Invalid value - '123342' in field 'telecom/0/value'"],
      [(b) => { b.telecom[0].system = 'pigeon'; }, 'INVALID_VALUE', "Invalid value - 'pigeon' in field 'telecom/0/system'"],
      [(b) => { b.address[0].postalCode = 12345; }, 'INVALID_VALUE', "Invalid value - '12345' in field 'address/0/postalCode'"],
      [(b) => { b.address[0].line = [1, 2]; }, 'INVALID_VALUE', "Invalid value - '1' in field 'address/0/line/0'"],
      [(b) => { b.address = {}; }, 'INVALID_VALUE', "Invalid value - '{}' in field 'address'"],
      [(b) => { b.birthDate = 19820710; }, 'INVALID_VALUE', "Invalid value - '19820710' in field 'birthDate'"],
      [(b) => { b.birthDate = '1982-02-30'; }, 'INVALID_VALUE', "Invalid value - '1982-02-30' in field 'birthDate'"],
      [(b) => { b.gender = true; }, 'INVALID_VALUE', "Invalid value - 'true' in field 'gender'"],
      [(b) => { b.extension = [1, 'x', null]; }, 'INVALID_VALUE', "Invalid value - '1' in field 'extension/0'"],
      [(b) => { b.extension.push({ url: 'https://example.org/unknown', valueString: 'x' }); }, 'INVALID_VALUE', "Invalid value - 'https://example.org/unknown' in field 'extension/1/url'"],
      [(b) => { b.extension[0].extension[1].valueString = 5; }, 'INVALID_VALUE', "Invalid value - '5' in field 'extension/0/extension/1/valueString'"],
      [(b) => { b.name[0].use = 'usual'; b.name[0].text = 'Jane Edwards'; }, 'ADDITIONAL_PROPERTIES', "Invalid request with error - Additional properties are not allowed ('name/0/text' was unexpected)"],
      [(b) => { b.name.push({ ...b.name[0] }); }, 'TOO_MANY_VALUES_SUBMITTED', "in field 'name'"],
      [(b) => { delete b.name[0].family; }, 'MISSING_VALUE', "Missing value - 'name/0/family'"],
      [(b) => { delete b.extension; }, 'MISSING_VALUE', "Missing value - 'extension'"],
      [(b) => { b.resourceType = 'Practitioner'; }, 'INVALID_VALUE', "Invalid value - 'Practitioner' in field 'resourceType'"],
    ];
    const before = await patientCount();
    for (const [mutate, code, diagnostics] of cases) {
      const body = person(mutate);
      const res = await call(h, 'Patient', { method: 'POST', body });
      assert.equal(res.status, 400, `${diagnostics}: ${JSON.stringify(res.json)}`);
      const outcome = outcomeOf(res.json);
      assert.equal(outcome.code, code, diagnostics);
      if (code === 'TOO_MANY_VALUES_SUBMITTED') assert.ok(outcome.diagnostics.endsWith(diagnostics), outcome.diagnostics);
      else assert.equal(outcome.diagnostics, diagnostics);
      assert.ok(validators.OperationOutcome(res.json));
    }
    assert.equal(await patientCount(), before, 'nothing stored');
  });

  it('any field of the spec example given a value of the wrong type is 400 naming it (or the list it is in), and nothing is stored', async () => {
    const leaves: string[][] = [];
    const walk = (node: unknown, at: string[]) => {
      if (typeof node === 'string') leaves.push(at);
      else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, [...at, k]);
    };
    walk(allocateExample(), []);
    const before = await patientCount();
    await fc.assert(fc.asyncProperty(fc.constantFrom(...leaves), fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant(['x']), fc.constant({ x: 1 })), async (at, wrong) => {
      const body = person((b) => {
        let node = b;
        for (const key of at.slice(0, -1)) node = node[key];
        node[at[at.length - 1]!] = wrong;
      });
      const res = await call(h, 'Patient', { method: 'POST', body });
      assert.equal(res.status, 400, `${at.join('/')} = ${JSON.stringify(wrong)}: ${JSON.stringify(res.json)}`);
      const named = /in field '([^']*)'$|Missing value - '([^']*)'$/.exec(outcomeOf(res.json).diagnostics);
      const field = named?.[1] ?? named?.[2];
      assert.ok(field !== undefined && at.join('/').startsWith(field), `${at.join('/')}: ${outcomeOf(res.json).diagnostics}`);
    }), { numRuns: 120 });
    assert.equal(await patientCount(), before, 'nothing stored');
  });

  it('a lone surrogate in a name is 400 naming the field, and nothing is stored', async () => {
    const before = await patientCount();
    const text = JSON.stringify(person()).replace('"Jane"', '"Ja\\ud800ne"');
    const res = await fetch(`${h.spine.url}/personal-demographics/FHIR/R4/Patient`, {
      method: 'POST', body: text,
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${h.userBearer}`, 'x-request-id': crypto.randomUUID() },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(outcomeOf(await res.json()).diagnostics, "Invalid value - 'Ja\ufffdne' in field 'name/0/given/0'");
    assert.equal(await patientCount(), before);
  });

  it('a create with a junk extension list is refused, so searches that would match the person keep working', async () => {
    const body = person((b) => { b.extension = [1, 'x', null]; });
    assert.equal((await call(h, 'Patient', { method: 'POST', body })).status, 400);
    const search = await call(h, `Patient?family=${body.name[0].family}&birthdate=eq${body.birthDate}`);
    assert.equal(search.status, 200);
    assert.equal(search.json.total, 0);
  });

  it('address is required, checked before the duplicate search', async () => {
    const first = person();
    assert.equal((await call(h, 'Patient', { method: 'POST', body: first })).status, 201);
    const { address: _address, ...again } = first;
    const res = await call(h, 'Patient', { method: 'POST', body: again });
    assert.equal(res.status, 400, 'not 200 SINGLE_MATCH');
    assert.deepEqual(outcomeOf(res.json), { code: 'MISSING_VALUE', display: 'Required value is missing', issueCode: 'required', severity: 'error', diagnostics: "Missing value - 'address'" });
  });

  it("gender 'other' cannot be set on a new record", async () => {
    const res = await call(h, 'Patient', { method: 'POST', body: person((b) => { b.gender = 'other'; }) });
    assert.equal(res.status, 400);
    assert.deepEqual(outcomeOf(res.json), { code: 'INVALID_VALUE', display: 'Provided value is invalid', issueCode: 'value', severity: 'error', diagnostics: "Invalid value - 'other' in field 'gender'" });
  });

  it('X-Request-ID is checked before the body', async () => {
    const res = await call(h, 'Patient', { method: 'POST', body: { pets: 1 }, requestId: null });
    assert.equal(res.status, 400);
    assert.equal(outcomeOf(res.json).diagnostics, 'Invalid request with error - X-Request-ID header must be supplied to access this resource');
    const bad = await call(h, 'Patient', { method: 'POST', body: { pets: 1 }, requestId: '1234' });
    assert.equal(outcomeOf(bad.json).diagnostics, "Invalid value - '1234' in header 'X-Request-ID'");
  });
});
