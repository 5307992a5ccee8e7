import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, freshOrder, withoutMeta, workerHeaders, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';

/**
 * `$prepare` of an order whose Practitioner has not exactly one professional code (GMC, NMC, GPhC, HCPC number or
 * professional-code): fhir-prescribing.yaml "Errors", 400 `value`, "Bundle resource Practitioner.identifier expected
 * exactly one professional code from GMC/NMC/GPhC/HCPC/professional-code." ("Practitioner contains a gmp-number
 * identifier, which is invalid."), `/$prepare` only (domain/professional-code.ts).
 */
describe('EPS $prepare: the prescriber\'s professional code', () => {
  const rig = dispensingRig();
  const GMC = 'https://fhir.hl7.org.uk/Id/gmc-number';
  const prepare = async (order: Json) => call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', await workerHeaders(rig.spine, 'A83008', 'R8000'), order);
  /** The acute example (its Practitioner: sds-user-id, gmc-number, din-number) with the Practitioner's identifiers changed. */
  const withIdentifiers = (change: (identifiers: Json[]) => Json[]) => {
    const order = freshOrder({ pharmacy: 'FA565' });
    const practitioner = order.entry.find((e: Json) => e.resource.resourceType === 'Practitioner').resource;
    assert.deepEqual(practitioner.identifier.filter((i: Json) => i.system === GMC).length, 1, 'the example has one GMC number');
    practitioner.identifier = change(practitioner.identifier);
    return order;
  };
  const refused = (answer: Response) => {
    assert.equal(answer.status, 400, answer.text);
    assert.deepEqual(withoutMeta(answer.body), { resourceType: 'OperationOutcome', issue: [{
      severity: 'error', code: 'value', expression: ['Bundle.entry.resource.ofType(Practitioner).identifier'],
      diagnostics: 'Bundle resource Practitioner.identifier expected exactly one professional code from GMC/NMC/GPhC/HCPC/professional-code.',
    }] });
  };

  it('a Practitioner with a GMP number in place of its GMC number, or with none, is refused in the spec\'s words', async () => {
    refused(await prepare(withIdentifiers((ids) => ids.map((i) => (i.system === GMC ? { system: 'https://fhir.hl7.org.uk/Id/gmp-number', value: 'G1234567' } : i)))));
    refused(await prepare(withIdentifiers((ids) => ids.filter((i) => i.system !== GMC))));
  });

  it('a Practitioner with two professional codes (a GMC and an NMC number) is refused', async () => {
    refused(await prepare(withIdentifiers((ids) => [...ids, { system: 'https://fhir.hl7.org.uk/Id/nmc-number', value: '71A2998E' }])));
  });

  it('exactly one, of each system the row names, beside SDS ids and a DIN number, is prepared', async () => {
    for (const system of ['gmc-number', 'nmc-number', 'gphc-number', 'hcpc-number', 'professional-code']) {
      const answer = await prepare(withIdentifiers((ids) => ids.map((i) => (i.system === GMC ? { system: `https://fhir.hl7.org.uk/Id/${system}`, value: 'C6095103' } : i))));
      assert.equal(answer.status, 200, `${system}: ${answer.text}`);
      assert.equal(answer.body.resourceType, 'Parameters');
    }
  });
});
