import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, call, type PdsHarness } from './support/pds.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import { testPopulation } from './support/population.js';

/**
 * PDS spec (retrieval): a restricted patient's address, telecom and GP are never returned. An
 * update answers with the record as a read returns it, so a PATCH (or its replay) cannot be used
 * to see them.
 */
describe('PATCH /Patient/{id} of a restricted patient', () => {
  let h: PdsHarness;
  const restricted = testPopulation(50, 960_000_000)[49]!;
  before(async () => {
    h = await startPds();
    await bulkInsertPatients(h.spine.ctx.db, { patients: [restricted] });
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
});
