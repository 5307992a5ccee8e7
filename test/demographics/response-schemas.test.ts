import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, call, type PdsHarness } from './support/pds.js';
import { pdsResponseValidators, type PdsSchema } from './support/schemas.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import { testPopulation } from './support/population.js';

describe('PDS responses validate against the spec schemas', () => {
  let h: PdsHarness;
  const validators = pdsResponseValidators();
  const people = testPopulation(60, 930_000_000);
  const check = (schema: PdsSchema, body: unknown, what: string) => {
    const ok = validators[schema](body);
    assert.ok(ok, `${what}: ${JSON.stringify(validators[schema].errors?.slice(0, 3))}`);
  };
  before(async () => {
    h = await startPds();
    await bulkInsertPatients(h.spine.ctx.db, { patients: people });
  });
  after(() => h.close());

  it('reads of sandbox and bulk-loaded patients are Patients', async () => {
    for (const id of ['9000000009', '9000000017', '9000000025', '9000000033', people[0]!.id, people[49]!.id]) {
      const res = await call(h, `Patient/${id}`);
      assert.equal(res.status, 200);
      check('Patient', res.json, id);
    }
  });

  it('search results are PatientSearch bundles', async () => {
    for (const path of [
      'Patient?family=Smith&gender=female&birthdate=eq2010-10-22',
      'Patient?family=Sm*&birthdate=eq2010-10-22',
      `Patient?family=${people[3]!.name![0]!.family}&given=${people[3]!.name![0]!.given![0]}&birthdate=eq${people[3]!.birthDate}&_fuzzy-match=true`,
      'Patient?family=Nobody&birthdate=eq2010-10-22',
    ]) {
      const res = await call(h, path);
      assert.equal(res.status, 200);
      check('PatientSearch', res.json, path);
    }
  });

  it('RelatedPerson bundles and error outcomes match their schemas', async () => {
    check('RelatedPersonBundle', (await call(h, 'Patient/9000000009/RelatedPerson')).json, 'RelatedPerson');
    for (const path of ['Patient/9111231130', 'Patient/9000000000', 'Patient?family=Smith', 'Patient?family=Sm*&birthdate=ge1900-01-01&_max-results=1']) {
      check('OperationOutcome', (await call(h, path)).json, path);
    }
  });
});
