import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { call, example, freshOrder, withoutMeta, type Json } from './support.js';

/**
 * Conformance with the EPS specs' error tables and error examples, over HTTP on PostgreSQL
 * (deployment rules, demo data): what a prescribing or dispensing system written for NHS England's
 * EPS is told when it sends something wrong.
 */
describe('EPS answers wrong requests as the spec does', () => {
  let spine: TestSpine;
  let gp: Record<string, string>;
  let pharmacy: Record<string, string>;
  const P = '/fhir-prescribing/FHIR/R4';
  const D = '/fhir-dispensing/FHIR/R4';

  before(async () => {
    spine = await startTestSpine();
    gp = { authorization: `Bearer ${(await createAppAndToken(spine, { activities: ['prescription:prescribe', 'prescription:track'], odsCode: 'A83008' })).token}` };
    pharmacy = { authorization: `Bearer ${(await createAppAndToken(spine, { activities: ['prescription:dispense', 'prescription:track'], odsCode: 'FA565' })).token}` };
  });
  after(async () => { await spine?.close(); });

  /** A verification error as the spec's tables and examples/errors/4-…invalid_intent write it: `value`, no coding. */
  const verification = (diagnostics: string, expression?: string[]) =>
    ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'value', diagnostics, ...(expression ? { expression } : {}) }] });

  it("a body of another resourceType, or none, is 400 'Incorrect FHIR resource type' on every operation", async () => {
    const order = freshOrder();
    const { resourceType: _bundle, ...untyped } = order;
    const cases: Array<[string, Record<string, string>, unknown, string]> = [
      [`${P}/$prepare`, gp, { ...order, resourceType: 'Patient' }, 'Bundle'],
      [`${P}/$prepare`, gp, untyped, 'Bundle'],
      [`${P}/$process-message`, gp, { ...order, resourceType: 'Parameters' }, 'Bundle'],
      [`${P}/$validate`, gp, { ...order, resourceType: 'Claim' }, 'Bundle'],
      [`${D}/$process-message`, pharmacy, { ...example('spec/dispensing/dispense-notification/acute-primary-example-01-req.json'), resourceType: 'Task' }, 'Bundle'],
      [`${D}/Task/$release`, pharmacy, { ...example('spec/dispensing/release/acute-primary-example-req.json'), resourceType: 'Bundle' }, 'Parameters'],
      [`${D}/Task`, pharmacy, { ...example('spec/dispensing/return/acute-primary-example-req.json'), resourceType: 'Claim' }, 'Task'],
      [`${D}/Claim`, pharmacy, { resourceType: 'Task' }, 'Claim'],
    ];
    for (const [path, headers, body, expected] of cases) {
      const answer = await call(spine, 'POST', path, headers, body);
      assert.equal(answer.status, 400, `${path}: ${answer.text}`);
      assert.equal(answer.headers.get('content-type'), 'application/fhir+json; fhirVersion=4.0');
      assert.deepEqual(withoutMeta(answer.body), verification(`Incorrect FHIR resource type. Expected ${expected}.`), path);
    }
  });
});
