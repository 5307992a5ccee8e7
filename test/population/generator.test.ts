import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { populationBatches, type GeneratedBatch } from '../../src/services/demographics/population/population.js';
import { isValidNhsNumber } from '../../src/platform/nhs-number.js';
import { pdsSchemaValidators } from './pds-schema.js';

function generate(patients: number, seed: number, batchSize?: number): GeneratedBatch[] {
  return [...populationBatches({ patients, seed, batchSize })];
}

const validators = pdsSchemaValidators();

describe('synthetic population generator', () => {
  it('gives every patient and every superseded record a valid, unique NHS number', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 400 }), (seed, patients) => {
      const batches = generate(patients, seed, 97);
      const numbers = batches.flatMap((b) => [...b.patients.map((p) => p.id), ...b.supersededBy.map(([old]) => old)]);
      assert.equal(batches.reduce((n, b) => n + b.patients.length, 0), patients);
      for (const n of numbers) assert.ok(isValidNhsNumber(n) && n.startsWith('99'), `${n} is a valid test-range NHS number`);
      assert.equal(new Set(numbers).size, numbers.length);
      for (const p of batches.flatMap((b) => b.patients)) assert.equal(p.identifier?.[0]?.value, p.id);
    }), { numRuns: 40 });
  });

  it('validates every Patient and RelatedPerson against the PDS OpenAPI schemas', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      for (const batch of generate(300, seed)) {
        for (const patient of batch.patients) {
          assert.ok(validators.patient(patient), `${patient.id}: ${JSON.stringify(validators.patient.errors)}`);
        }
        const bundle = { resourceType: 'Bundle', type: 'searchset', total: batch.relatedPersons.length,
          entry: batch.relatedPersons.map((r) => ({ fullUrl: `Patient/${r.nhsNumber}/RelatedPerson/${r.resource.id}`, resource: r.resource })) };
        assert.ok(validators.relatedPersonBundle(bundle), JSON.stringify(validators.relatedPersonBundle.errors));
      }
    }), { numRuns: 15 });
  });

  it('is deterministic for a seed, whatever the batch size, and differs between seeds', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 150 }), (seed, batchSize) => {
      const whole = generate(150, seed, 1000);
      const chunked = generate(150, seed, batchSize);
      assert.deepEqual(chunked.flatMap((b) => b.patients), whole.flatMap((b) => b.patients));
      assert.deepEqual(chunked.flatMap((b) => b.relatedPersons), whole.flatMap((b) => b.relatedPersons));
      const other = generate(150, seed + 1, 1000);
      assert.notDeepEqual(other.flatMap((b) => b.patients.map((p) => p.name)), whole.flatMap((b) => b.patients.map((p) => p.name)));
    }), { numRuns: 20 });
  });

  it('has the rare record states at about their intended rates, with PDS-shaped details', () => {
    const batches = generate(40_000, 11);
    const patients = batches.flatMap((b) => b.patients);
    const share = (n: number) => n / patients.length;
    const restricted = patients.filter((p) => p.meta?.security?.[0]?.code === 'R');
    const deceased = patients.filter((p) => p.deceasedDateTime);
    assert.ok(share(restricted.length) > 0.003 && share(restricted.length) < 0.008, `restricted ${restricted.length}`);
    assert.ok(share(deceased.length) > 0.006 && share(deceased.length) < 0.015, `deceased ${deceased.length}`);
    const superseded = batches.flatMap((b) => b.supersededBy).length;
    const invalidated = batches.flatMap((b) => b.invalidated).length;
    assert.ok(share(superseded) > 0.001 && share(superseded) < 0.0035, `superseded ${superseded}`);
    assert.ok(share(invalidated) > 0.0004 && share(invalidated) < 0.002, `invalidated ${invalidated}`);
    const related = new Set(batches.flatMap((b) => b.relatedPersons.map((r) => r.nhsNumber)));
    assert.ok(share(related.size) > 0.02 && share(related.size) < 0.1, `patients with related persons ${related.size}`);
    for (const p of deceased) {
      // PDS spec: a date of death always comes with a death notification status.
      assert.ok(p.extension?.some((e) => e.url.endsWith('DeathNotificationStatus')), `${p.id} has a death notification`);
      assert.ok(p.deceasedDateTime! > p.birthDate!);
    }
    for (const p of patients) {
      assert.equal(p.name?.filter((n) => n.use === 'usual').length, 1, `${p.id} has exactly one usual name`);
      assert.match(p.address![0]!.postalCode!, /^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][ABD-HJLNP-UW-Z]{2}$/);
      for (const old of [...p.name!, ...p.address!].filter((x) => x.period?.end)) assert.ok(old.period!.end! >= old.period!.start!);
    }
    const history = patients.filter((p) => p.name!.length > 1 || p.address!.filter((a) => a.use === 'home').length > 1);
    assert.ok(share(history.length) > 0.2, `patients with name or address history ${history.length}`);
  });

  it('draws surnames with realistic frequency: Smith is the commonest and about 1 in 75', () => {
    const patients = generate(30_000, 3).flatMap((b) => b.patients);
    const counts = new Map<string, number>();
    for (const p of patients) {
      const family = p.name![0]!.family!;
      counts.set(family, (counts.get(family) ?? 0) + 1);
    }
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    assert.equal(ranked[0]![0], 'Smith');
    const smith = counts.get('Smith')! / patients.length;
    assert.ok(smith > 0.008 && smith < 0.02, `Smith share ${smith}`);
    assert.ok(counts.size > 250, `distinct surnames ${counts.size}`);
  });
});
