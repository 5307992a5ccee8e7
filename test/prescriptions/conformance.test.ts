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

  it("a Task that is neither a return nor a withdrawal is refused with the spec's own diagnostics", async () => {
    const ret = example('spec/dispensing/return/acute-primary-example-req.json');
    const withdraw = example('spec/dispensing/withdraw/acute-primary-example-req.json');
    const reasons = 'https://fhir.nhs.uk/CodeSystem/EPS-task-dispense-return-status-reason';
    const { code: _code, ...withdrawWithoutCode } = withdraw;
    const cases: Array<[unknown, ReturnType<typeof verification>]> = [
      [{ ...ret, status: 'completed' }, verification("Task.status must be one of: 'in-progress', 'rejected'", ['Task.status'])],
      [{ ...withdrawWithoutCode }, verification("Task.code is required when Task.status is 'in-progress'.", ['Task.code'])],
      [{ ...ret, statusReason: { coding: [{ system: 'http://snomed.info/sct', code: '0003' }] } },
        verification(`Task.reasonCode must have a system of '${reasons}' and a value from that system.`, ['Task.statusReason'])],
    ];
    for (const [body, expected] of cases) {
      const answer = await call(spine, 'POST', `${D}/Task`, pharmacy, body);
      assert.equal(answer.status, 400, answer.text);
      assert.deepEqual(withoutMeta(answer.body), expected);
    }
  });

  it('tracking with no search parameter or an unknown one is 400 invalid, as examples/spec/errors/task/query-error.json', async () => {
    const shape = withoutMeta(example('spec/errors/task/query-error.json'));
    for (const query of ['', '?foo=bar', '?identifier=24F5DA-A83008-7EFE6Z&focus:identifier=24F5DA-A83008-7EFE6Z']) {
      for (const [base, headers] of [[P, gp], [D, pharmacy]] as const) {
        const answer = await call(spine, 'GET', `${base}/Task${query}`, headers);
        assert.equal(answer.status, 400, answer.text);
        assert.deepEqual(withoutMeta(answer.body),
          { ...shape, issue: [{ ...shape.issue[0], diagnostics: 'Query parameter must be one of: identifier, focus:identifier, patient:identifier.' }] });
      }
    }
  });
});
