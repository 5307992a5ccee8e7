import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { demographicsService } from '../../src/services/demographics/index.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { populationBatches, type GeneratedBatch } from '../../src/services/demographics/population/population.js';
import type { Patient } from '../../src/services/demographics/fhir-types.js';

const PATIENTS = 1000;
// Seed 1 (the CLI's default) gives every rare state at least once in the first 1,000 patients.
const SEED = 1;

describe('synthetic-patients dataset, read back over the PDS API', () => {
  let spine: TestSpine;
  let batches: GeneratedBatch[];
  let summary: string;
  const progress: Array<[number, number]> = [];

  const get = (path: string) => fetch(`${spine.url}/personal-demographics/FHIR/R4${path}`, { headers: { 'x-request-id': randomUUID() } });

  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true } });
    const dataset = demographicsService.datasets?.['synthetic-patients'];
    assert.ok(dataset, 'the demographics service offers the synthetic-patients dataset');
    summary = await dataset(spine.ctx, { patients: PATIENTS, seed: SEED, batchSize: 300, progress: (done, total) => progress.push([done, total]) });
    // The same population again, in memory: the generator is deterministic, and it draws the same practices.
    const practices = await directoryApi(spine.ctx.db).listOrganisations({ role: 'gp-practice', limit: 1000 });
    const pharmacies = await directoryApi(spine.ctx.db).listOrganisations({ role: 'pharmacy', limit: 1000 });
    const known = (orgs: typeof practices) => orgs.filter((o) => o.active).map((o) => ({ odsCode: o.odsCode, postcode: o.postcode }));
    batches = [...populationBatches({ patients: PATIENTS, seed: SEED, practices: known(practices), pharmacies: known(pharmacies) })];
  });
  after(() => spine?.close());

  it('reports its progress batch by batch and sums up what it loaded', () => {
    assert.deepEqual(progress, [[300, PATIENTS], [600, PATIENTS], [900, PATIENTS], [PATIENTS, PATIENTS]]);
    assert.match(summary, new RegExp(`^${PATIENTS} patients \\(\\d+ restricted, \\d+ deceased, \\d+ invalidated, \\d+ superseded numbers`));
  });

  it('serves an ordinary generated patient exactly as generated, with ETag W/"1"', async () => {
    const patients = batches.flatMap((b) => b.patients);
    const invalidated = new Set(batches.flatMap((b) => b.invalidated));
    const ordinary = patients.filter((p) => p.meta!.security![0]!.code === 'U' && !invalidated.has(p.id)).filter((_, i) => i % 97 === 0);
    assert.ok(ordinary.length >= 5);
    for (const expected of ordinary) {
      const response = await get(`/Patient/${expected.id}`);
      assert.equal(response.status, 200, expected.id);
      assert.equal(response.headers.get('etag'), 'W/"1"');
      const body = await response.json() as Patient;
      for (const field of ['id', 'identifier', 'name', 'gender', 'birthDate', 'address', 'telecom', 'generalPractitioner', 'deceasedDateTime'] as const) {
        assert.deepEqual(body[field], expected[field], `${expected.id} ${field}`);
      }
      assert.equal(body.meta?.versionId, '1');
    }
  });

  it('hides a restricted patient\'s address, telecom and GP', async () => {
    const restricted = batches.flatMap((b) => b.patients).find((p) => p.meta!.security![0]!.code === 'R')!;
    const response = await get(`/Patient/${restricted.id}`);
    assert.equal(response.status, 200);
    const body = await response.json() as Patient;
    assert.equal(body.meta?.security?.[0]?.code, 'R');
    assert.deepEqual(body.name, restricted.name);
    assert.equal(body.address, undefined);
    assert.equal(body.telecom, undefined);
    assert.equal(body.generalPractitioner, undefined);
  });

  it('follows a superseded NHS number to the surviving record and refuses an invalidated one', async () => {
    const [old, survivor] = batches.flatMap((b) => b.supersededBy)[0]!;
    const followed = await get(`/Patient/${old}`);
    assert.equal(followed.status, 200);
    assert.equal((await followed.json() as Patient).id, survivor);

    const invalidated = batches.flatMap((b) => b.invalidated)[0]!;
    const refused = await get(`/Patient/${invalidated}`);
    assert.equal(refused.status, 404);
    const outcome = await refused.json() as { issue: Array<{ details: { coding: Array<{ code: string }> } }> };
    assert.equal(outcome.issue[0]!.details.coding[0]!.code, 'INVALIDATED_RESOURCE');
  });

  it('serves the generated related persons of a patient', async () => {
    const related = batches.flatMap((b) => b.relatedPersons);
    const owner = related[0]!.nhsNumber;
    const expected = related.filter((r) => r.nhsNumber === owner).map((r) => r.resource);
    const response = await get(`/Patient/${owner}/RelatedPerson`);
    assert.equal(response.status, 200);
    const bundle = await response.json() as { total: number; entry: Array<{ resource: { id: string } }> };
    assert.equal(bundle.total, expected.length);
    assert.deepEqual(bundle.entry.map((e) => e.resource.id).sort(), expected.map((r) => r.id).sort());
  });

  it('finds a generated patient by an exact search on name, birth date and gender', async () => {
    const invalidated = new Set(batches.flatMap((b) => b.invalidated));
    const patient = batches.flatMap((b) => b.patients).find((p, i) => i > 500 && !invalidated.has(p.id) && !p.deceasedDateTime)!;
    const name = patient.name!.find((n) => n.use === 'usual')!;
    const query = new URLSearchParams({ family: name.family!, given: name.given![0]!, birthdate: `eq${patient.birthDate}`, gender: patient.gender!, '_exact-match': 'true' });
    const response = await get(`/Patient?${query}`);
    assert.equal(response.status, 200);
    const bundle = await response.json() as { resourceType: string; entry?: Array<{ resource: Patient }> };
    assert.equal(bundle.resourceType, 'Bundle');
    assert.ok(bundle.entry?.some((e) => e.resource.id === patient.id), `${patient.id} found by ${query}`);
  });
});
