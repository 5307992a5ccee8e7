import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, call, newPerson, stubErrorWith, type PdsHarness } from './support/pds.js';

const NHS_COMMUNICATION = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication';
const communication = (code: string) => ({
  url: NHS_COMMUNICATION,
  extension: [
    { url: 'language', valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-HumanLanguage', code, display: code }] } },
    { url: 'interpreterRequired', valueBoolean: true },
  ],
});
const tempAddress = { use: 'temp', line: ['Flat 2', 'Hall Road'], postalCode: 'LS2 7AE', text: 'Student Accommodation', period: { start: '2026-10-01', end: '2026-12-01' } };

let serial = 0;
/** A person nobody has created yet. */
const person = (mutate: (body: any) => void) => {
  const body: any = newPerson(`Createrule${String.fromCharCode(65 + (serial % 26))}${String.fromCharCode(65 + Math.floor(serial / 26))}`);
  serial += 1;
  mutate(body);
  return body;
};

/**
 * PDS spec: the business rules on what a record gains ("Address": one address of each use, a temp
 * or billing address with a bounded period, a temp address with its description; "Communication":
 * one NHSCommunication extension, its language from the accepted list and not English) hold for a
 * new record as for a PATCH: a create adds every item it sends. A create sent all of these and got 201.
 */
describe('POST /Patient: the address and communication rules of an update hold for a new record', () => {
  let h: PdsHarness;
  const patientCount = async () => (await h.db.query('SELECT count(*)::int AS n FROM demographics.patients')).rows[0].n as number;
  before(async () => { h = await startPds(); });
  after(() => h.close());

  it('a create breaking them is refused as a PATCH is, in words for a create, and nothing is stored', async () => {
    const refusals: Array<[(b: any) => void, ReturnType<typeof stubErrorWith>]> = [
      [(b) => b.address.push(structuredClone(b.address[0])), stubErrorWith('INVALID_CREATE', "Invalid create with error - multiple 'home' addresses cannot be added")],
      [(b) => b.address.push({ ...tempAddress, period: { start: '2026-10-01' } }), stubErrorWith('INVALID_CREATE', "Invalid create with error - a 'temp' address must have a period with a start and an end date ('address/1')")],
      [(b) => b.address.push({ ...tempAddress, period: { start: '2026-01-01', end: '2026-12-01' } }), stubErrorWith('INVALID_CREATE', "Invalid create with error - the period of a 'temp' address cannot be longer than 90 days ('address/1')")],
      [(b) => b.address.push({ ...tempAddress, text: undefined }), stubErrorWith('MISSING_VALUE', "Missing value - 'address/1/text'")],
      [(b) => b.extension.push(communication('en')), stubErrorWith('INVALID_CREATE', "Invalid create with error - preferred language must not be supplied where it is English ('en')")],
      [(b) => b.extension.push(communication('qa')), stubErrorWith('INVALID_VALUE', "Invalid value - 'qa' in field 'extension/1/extension/0/valueCodeableConcept/coding/0/code'")],
      [(b) => b.extension.push(communication('fr'), communication('de')), stubErrorWith('INVALID_CREATE', 'Invalid create with error - multiple NHSCommunication extensions cannot be added')],
    ];
    const before = await patientCount();
    for (const [mutate, expected] of refusals) {
      const body = JSON.parse(JSON.stringify(person(mutate)));
      const res = await call(h, 'Patient', { method: 'POST', body });
      assert.equal(res.status, 400, `${JSON.stringify(body.address)} ${JSON.stringify(body.extension)}: ${JSON.stringify(res.json)}`);
      assert.deepEqual(res.json, expected);
    }
    assert.equal(await patientCount(), before, 'nothing stored');
  });

  it('a new record with a temp address as the spec describes it and a language of the list is created', async () => {
    const res = await call(h, 'Patient', { method: 'POST', body: person((b) => { b.address.push(tempAddress); b.extension.push(communication('fr')); }) });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.deepEqual(res.json.address.map((a: { use: string }) => a.use), ['home', 'temp']);
    assert.equal(res.json.extension[0].url, NHS_COMMUNICATION);
  });
});
