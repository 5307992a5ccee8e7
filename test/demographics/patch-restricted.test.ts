import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, call, type PdsHarness } from './support/pds.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import { testPopulation } from './support/population.js';
import type { Patient } from '../../src/services/demographics/fhir-types.js';

/**
 * PDS spec (retrieval): a restricted patient's address, telecom and GP are never returned. An
 * update answers with the record as a read returns it, so a PATCH (or its replay) cannot be used
 * to see them.
 */
describe('PATCH /Patient/{id} of a restricted patient', () => {
  let h: PdsHarness;
  const population = testPopulation(50, 960_000_000);
  const restricted = population[49]!;
  /** A restricted patient with all the spec withholds: contacts, a nominated pharmacy, a place of birth, a GP. */
  const PHARMACY = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy';
  const BIRTH_PLACE = 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace';
  const DEATH = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus';
  const sensitive: Patient = {
    ...population[48]!,
    meta: { ...population[48]!.meta, security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R', display: 'restricted' }] },
    telecom: [{ id: 'T1', system: 'phone', value: '01632960123', use: 'home' }],
    generalPractitioner: [{ id: 'G1', type: 'Organization', identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'Y12345' } }],
    contact: [{ id: 'C1', relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'C', display: 'Emergency Contact' }] }],
      telecom: [{ system: 'phone', value: '01632960999' }] }],
    extension: [
      { url: PHARMACY, valueReference: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'FA565' } } },
      { url: BIRTH_PLACE, valueAddress: { city: 'Leeds', district: 'West Yorkshire', country: 'GBR' } },
    ],
  };
  before(async () => {
    h = await startPds();
    await bulkInsertPatients(h.spine.ctx.db, {
      patients: [restricted, sensitive],
      // A next of kin at the patient's own home, as the synthetic population draws them.
      relatedPersons: [{ nhsNumber: sensitive.id!, resource: { resourceType: 'RelatedPerson', id: 'NOK1', patient: { type: 'Patient' }, active: true,
        telecom: [{ system: 'phone', value: '01632960777', use: 'home' }], address: sensitive.address ?? [{ use: 'home', line: ['1 Hidden Row'], postalCode: 'LS1 1AA' }] } }],
    });
  });
  after(() => h.close());

  it('answers without the location-sensitive fields, first time and on a retry', async () => {
    assert.equal(restricted.meta?.security?.[0]?.code, 'R');
    const options = {
      method: 'PATCH', requestId: '5b1c6d2e-8f3a-4b7c-9d0e-1f2a3b4c5d6e',
      headers: { 'content-type': 'application/json-patch+json', 'if-match': 'W/"1"' },
      body: { patches: [{ op: 'replace', path: '/gender', value: 'unknown' }] },
    };
    const read = await call(h, `Patient/${restricted.id}`);
    for (const res of [await call(h, `Patient/${restricted.id}`, options), await call(h, `Patient/${restricted.id}`, options)]) {
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.gender, 'unknown');
      for (const field of ['address', 'telecom', 'generalPractitioner']) assert.equal(res.json[field], undefined, field);
      assert.deepEqual(Object.keys(res.json).sort(), Object.keys(read.json).sort());
    }
    const { rows } = await h.db.query('SELECT resource FROM demographics.patients WHERE nhs_number = $1', [restricted.id]);
    assert.deepEqual(rows[0].resource.address, restricted.address, 'the stored record keeps them');
  });

  it('a read, a search and an update answer without its contacts, pharmacy and birth place either (PDS spec, retrieval); the store keeps them', async () => {
    const withheld = (r: Record<string, any>) => {
      for (const field of ['address', 'telecom', 'generalPractitioner', 'contact']) assert.equal(r[field], undefined, field);
      for (const url of [PHARMACY, BIRTH_PLACE]) assert.ok(!(r.extension ?? []).some((e: { url: string }) => e.url === url), url);
    };
    const read = await call(h, `Patient/${sensitive.id}`);
    assert.equal(read.status, 200, JSON.stringify(read.json));
    withheld(read.json);
    assert.equal(read.json.extension, undefined, 'no extension left: none sent, not an empty list');
    const name = sensitive.name!.find((n) => n.use === 'usual')!;
    const found = await call(h, `Patient?family=${encodeURIComponent(name.family!)}&birthdate=eq${sensitive.birthDate}`);
    assert.equal(found.status, 200, JSON.stringify(found.json));
    const result = found.json.entry.find((e: { resource: { id: string } }) => e.resource.id === sensitive.id);
    assert.ok(result, JSON.stringify(found.json));
    withheld(result.resource);
    const updated = await call(h, `Patient/${sensitive.id}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json-patch+json', 'if-match': `W/"${read.json.meta.versionId}"` },
      body: { patches: [{ op: 'replace', path: '/gender', value: 'unknown' }] },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.json));
    withheld(updated.json);
    const { rows } = await h.db.query('SELECT resource FROM demographics.patients WHERE nhs_number = $1', [sensitive.id]);
    assert.deepEqual([rows[0].resource.contact, rows[0].resource.extension], [sensitive.contact, sensitive.extension], 'the stored record keeps them');
  });

  it('its related people are not returned: an empty bundle (PDS spec), though the store holds a next of kin at its home', async () => {
    const res = await call(h, `Patient/${sensitive.id}/RelatedPerson`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.total, 0);
    assert.equal(res.json.entry, undefined);
    const { rows } = await h.db.query('SELECT count(*)::int AS n FROM demographics.related_persons WHERE nhs_number = $1', [sensitive.id]);
    assert.equal(rows[0].n, 1);
  });

  it('a patch touching its withheld data is 403 FORBIDDEN_UPDATE before anything is applied: a test of a hidden value answers the same whether it matches or not', async () => {
    const version = async () => (await call(h, `Patient/${sensitive.id}`)).json.meta.versionId as string;
    const patch = async (patches: unknown[]) => call(h, `Patient/${sensitive.id}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json-patch+json', 'if-match': `W/"${await version()}"` }, body: { patches },
    });
    const before = await version();
    const forbidden = (field: string) => ({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'forbidden',
        details: { coding: [{ system: 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode', version: '1', code: 'FORBIDDEN_UPDATE', display: 'Update is forbidden' }] },
        diagnostics: `Forbidden update with error - source not permitted to update '${field}' of a restricted patient` }],
    });
    const then = [{ op: 'replace', path: '/gender', value: 'female' }];
    for (const [field, right, wrong] of [
      ['/telecom/0/value', '01632960123', '01632960000'],
      ['/generalPractitioner/0/identifier/value', 'Y12345', 'A83008'],
      ['/contact/0/telecom/0/value', '01632960999', '0'],
      ['/extension/0/valueReference/identifier/value', 'FA565', 'VNE51'],
      ['/address/0/postalCode', sensitive.address?.[0]?.postalCode ?? 'LS1 1AA', 'ZZ9 9ZZ'],
    ] as const) {
      const top = field.split('/')[1]!;
      for (const value of [right, wrong]) {
        const res = await patch([{ op: 'test', path: field, value }, ...then]);
        assert.equal(res.status, 403, `${field} ${value}: ${JSON.stringify(res.json)}`);
        assert.deepEqual(res.json, forbidden(top), `${field} ${value}`);
      }
    }
    // Adding or replacing is refused alike (an add of a second pharmacy would tell whether there is one), and a death notice too.
    for (const op of [
      { op: 'add', path: '/extension/-', value: { url: PHARMACY, valueReference: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'VNE51' } } } },
      { op: 'add', path: '/extension/-', value: { url: DEATH, extension: [] } },
      { op: 'add', path: '/telecom/-', value: { system: 'phone', value: '01632960555', use: 'home' } },
      { op: 'replace', path: '/address/0/id', value: 'X' },
    ]) {
      const res = await patch([op]);
      assert.equal(res.status, 403, `${op.path}: ${JSON.stringify(res.json)}`);
      assert.deepEqual(res.json, forbidden(op.path.split('/')[1]!));
    }
    assert.equal(await version(), before, 'nothing was changed');
    // What a read shows may still be updated.
    const renamed = await patch([{ op: 'replace', path: '/birthDate', value: sensitive.birthDate }]);
    assert.equal(renamed.status, 200, JSON.stringify(renamed.json));
  });
});
