import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EPS_ERRORS } from '../../src/services/prescriptions/errors.js';
import type { ErrorSpec } from '../../src/platform/http/errors.js';
import { call, example, freshOrder, prescribe, shortFormIdOf, withProvenance, workerHeaders, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/**
 * Every code of the EPS catalogue (errors.ts) against the spec's own text, read from the repo's copy
 * (spec/nhs/eps): an example's coding where the spec has one (examples/**), else the row of the table
 * of the operation answering it, else of the general "Errors" tables, word for word, full stop included;
 * then the displays over HTTP. Where they disagree the example is followed: PRESCRIPTION_WITH_ANOTHER_DISPENSER
 * is "Prescription is with another dispenser" (with-another-dispenser-error.json), where the table says
 * "The requested prescription is with another dispenser.".
 */
const SPEC = new URL('../../spec/nhs/eps/', import.meta.url);
/** Every markdown table row of a spec file, as its cells. */
const rowsOf = (file: string) => readFileSync(new URL(file, SPEC), 'utf8').split('\n').map((l) => l.trim())
  .filter((l) => l.startsWith('|') && !l.startsWith('|--') && !l.startsWith('| --')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
const DISPENSING = rowsOf('fhir-dispensing.yaml');
const PRESCRIBING = rowsOf('fhir-prescribing.yaml');
/** A general table's row (its first cell the issue code): `| issue code | EPS code | description | endpoints |`. */
const generalRow = (rows: string[][], code: string) => {
  const found = rows.filter((r) => r[1] === code && !/^\d+$/.test(r[0]!));
  assert.equal(found.length, 1, `one general row for ${code}`);
  return { issueCode: found[0]![0]!, display: found[0]![2]! };
};
/** An operation's or the platform's table row: `| HTTP status | code | description |`. */
const statusRow = (rows: string[][], code: string) => {
  const found = rows.filter((r) => r[1] === code && /^\d+$/.test(r[0]!));
  assert.ok(found.length >= 1, `a status row for ${code}`);
  assert.equal(new Set(found.map((r) => `${r[0]} ${r[2]}`)).size, 1, `the status rows for ${code} agree`);
  return { status: Number(found[0]![0]), display: found[0]![2]! };
};
/** The first issue of an example OperationOutcome, as the catalogue's terms. */
const exampleIssue = (path: string) => {
  const issue = example(path).issue[0];
  const coding = issue.details?.coding[0] ?? {};
  return { issueCode: issue.code, system: coding.system, code: coding.code ?? '', display: coding.display ?? '', severity: issue.severity };
};
const asIssue = (spec: ErrorSpec) => ({ issueCode: spec.issueCode, system: spec.system, code: spec.code, display: spec.display, severity: spec.severity ?? 'error' });

describe('EPS error displays against the spec', () => {
  it('every code of the catalogue has the code, status, issue code and display the spec gives it', () => {
    const checked = new Set<string>();
    const check = (key: keyof typeof EPS_ERRORS, expected: Partial<ErrorSpec>) => {
      checked.add(key);
      const spec = EPS_ERRORS[key];
      assert.deepEqual(Object.fromEntries(Object.keys(expected).map((k) => [k, (spec as unknown as Record<string, unknown>)[k]])), expected, key);
    };
    for (const key of ['PRESCRIPTION_NOT_FOUND', 'ITEM_NOT_FOUND', 'PRESCRIPTION_INVALID_STATE_TRANSITION', 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION', 'INVALID_MESSAGE',
      'MISMATCH_AUTHORISED_REPEAT_COUNTS', 'DISPENSE_AMEND_IDENTIFIER_MISMATCH', 'CLAIM_AMEND_PERIOD_ISSUE'] as const) {
      check(key, { status: 400, code: key, ...generalRow(DISPENSING, key) });
    }
    // "Nominated Release Errors": informational, answered 200 (README: EPS answers an outcome of informational issues only).
    check('NO_MORE_PRESCRIPTIONS', { status: 200, code: 'NO_MORE_PRESCRIPTIONS', ...generalRow(DISPENSING, 'NO_MORE_PRESCRIPTIONS') });
    // The prescription-order's own table (both 400), its issue code from the general table where it has a row.
    check('DUPLICATE_PRESCRIPTION_ID', { ...statusRow(PRESCRIBING, 'DUPLICATE_PRESCRIPTION_ID'), issueCode: generalRow(PRESCRIBING, 'DUPLICATE_PRESCRIPTION_ID').issueCode });
    check('MISSING_DIGITAL_SIGNATURE', statusRow(PRESCRIBING, 'MISSING_DIGITAL_SIGNATURE'));
    // The return's own table (`/FHIR/R4/Task#return`), each issue code the general table's for the same refusal.
    check('MAX_REPEAT_MISMATCH', { ...statusRow(DISPENSING, 'MAX_REPEAT_MISMATCH'), issueCode: generalRow(DISPENSING, 'MISMATCH_AUTHORISED_REPEAT_COUNTS').issueCode });
    check('INVALID_STATE_TRANSITION', { code: 'INVALID_STATE_TRANSITION', ...statusRow(DISPENSING, 'INVALID_STATE_TRANSITION'),
      issueCode: generalRow(DISPENSING, 'PRESCRIPTION_INVALID_STATE_TRANSITION').issueCode });
    check('RETURN_PRESCRIPTION_NOT_FOUND', { code: 'PRESCRIPTION_NOT_FOUND', ...statusRow(DISPENSING, 'PRESCRIPTION_NOT_FOUND'),
      issueCode: generalRow(DISPENSING, 'PRESCRIPTION_NOT_FOUND').issueCode });
    check('RETURN_INVALID_MESSAGE', { code: 'INVALID_MESSAGE', ...statusRow(DISPENSING, 'INVALID_MESSAGE'), issueCode: generalRow(DISPENSING, 'INVALID_MESSAGE').issueCode });
    check('UNABLE_TO_PROCESS_MESSAGE', { code: 'UNABLE_TO_PROCESS_MESSAGE', ...statusRow(DISPENSING, 'UNABLE_TO_PROCESS_MESSAGE'),
      issueCode: generalRow(DISPENSING, 'FAILURE_TO_PROCESS_MESSAGE').issueCode });
    // "Platform wide errors", the same in both specs.
    for (const key of ['ACCESS_DENIED', 'FORBIDDEN', 'NOT_FOUND'] as const) {
      assert.deepEqual(statusRow(PRESCRIBING, key), statusRow(DISPENSING, key));
      check(key, { code: key, ...statusRow(DISPENSING, key) });
    }
    // The examples, which win over a table.
    const fromExample = (key: keyof typeof EPS_ERRORS, path: string) => { checked.add(key); assert.deepEqual(asIssue(EPS_ERRORS[key]), exampleIssue(path), key); };
    fromExample('RESOURCE_NOT_FOUND', 'spec/errors/release/not-found-error.json');
    fromExample('PRESCRIPTION_WITH_ANOTHER_DISPENSER', 'spec/errors/release/with-another-dispenser-error.json');
    fromExample('MISSING_FIELD', 'spec/errors/example-a-validation-error-missing-field/Response-FhirError.json');
    fromExample('COURSE_OF_THERAPY_MIXED', 'errors/2-Prepare-Response-400_Invalid_Course_of_Therapy_mixed.json');
    fromExample('INVALID_VALUE_INVALID', 'errors/3-Process-Response-Dispense-400_Invalid_Value.json');
    fromExample('VERIFICATION', 'errors/4-Process-Response-Send-400_invalid_intent.json');
    fromExample('QUERY_INVALID', 'spec/errors/task/query-error.json');
    fromExample('R-0008', 'spec/errors/prescription-order-update/R-0008-Cancellation.json');
    // Examples whose display is the catalogue's followed by " - " and the reason.
    const withReason = (key: keyof typeof EPS_ERRORS, path: string) => {
      checked.add(key);
      const { display, ...rest } = exampleIssue(path);
      const { display: ours, ...ourRest } = asIssue(EPS_ERRORS[key]);
      assert.deepEqual(ourRest, { ...rest, code: ourRest.code }, key);
      assert.ok(display.startsWith(`${ours} - `), `${key}: "${display}" is "${ours} - …"`);
    };
    withReason('FAILURE_TO_PROCESS_MESSAGE', 'errors/1-Process-Response-Send-400_INVALID_CHECKSUM.json');
    // A signature that does not verify: FAILURE_TO_PROCESS_MESSAGE with its reason, as the example gives a bad checksum's.
    checked.add('INVALID_DIGITAL_SIGNATURE');
    assert.deepEqual({ ...EPS_ERRORS.INVALID_DIGITAL_SIGNATURE, display: '' }, { ...EPS_ERRORS.FAILURE_TO_PROCESS_MESSAGE, display: '' });
    assert.equal(EPS_ERRORS.INVALID_DIGITAL_SIGNATURE.display, `${EPS_ERRORS.FAILURE_TO_PROCESS_MESSAGE.display} - digital signature is invalid`);
    withReason('R-5000', 'spec/errors/prescription-order-update/R-5000-Cancellation.json');
    // The prescription-order table's MISSING_VALUE row is one case (several dosage instructions without sequence
    // numbers), answered in its words; the door's MISSING_VALUE and INVALID_VALUE have Spine's generic words (no spec
    // display), and NHS England's implementation's for NOT_LAST_DISPENSE (errors.ts, README).
    check('MISSING_VALUE', { status: statusRow(PRESCRIBING, 'MISSING_VALUE').status });
    check('MISSING_DOSAGE_SEQUENCE', { code: 'MISSING_VALUE', ...statusRow(PRESCRIBING, 'MISSING_VALUE') });
    for (const key of ['INVALID_VALUE', 'NOT_LAST_DISPENSE'] as const) checked.add(key);
    assert.deepEqual(Object.keys(EPS_ERRORS).filter((k) => !checked.has(k)), [], 'every code of the catalogue is checked');
  });

  describe('over HTTP', () => {
    const rig = dispensingRig();
    const steps = dispensingSteps(rig);
    const { newPrescription, release, claim, task } = steps;
    const coding = (r: Response) => r.body.issue[0].details.coding[0];
    const answered = (r: Response, status: number, code: string, display: string) => {
      assert.equal(r.status, status, r.text);
      assert.deepEqual({ code: coding(r).code, display: coding(r).display }, { code, display });
    };

    it('PRESCRIPTION_NOT_FOUND, PRESCRIPTION_INVALID_STATE_TRANSITION and the platform codes carry the tables\' displays', async () => {
      const never = freshOrder({ pharmacy: 'FA565' });
      answered(await task('withdraw', never, 'FA565'), 400, 'PRESCRIPTION_NOT_FOUND', generalRow(DISPENSING, 'PRESCRIPTION_NOT_FOUND').display);
      // A return, in its own table's words.
      answered(await task('return', never, 'FA565'), 400, 'PRESCRIPTION_NOT_FOUND', statusRow(DISPENSING, 'PRESCRIPTION_NOT_FOUND').display);
      const order = await newPrescription('FA565');
      assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
      answered(await claim(order, 'FA565'), 400, 'PRESCRIPTION_INVALID_STATE_TRANSITION', generalRow(DISPENSING, 'PRESCRIPTION_INVALID_STATE_TRANSITION').display);
      answered(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Nothing', steps.gp, {}), 404, 'NOT_FOUND', statusRow(DISPENSING, 'NOT_FOUND').display);
      answered(await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', {}, freshOrder()), 401, 'ACCESS_DENIED', statusRow(PRESCRIBING, 'ACCESS_DENIED').display);
      answered(await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', await workerHeaders(rig.spine, 'FA565', 'R8003'), freshOrder()), 403, 'FORBIDDEN',
        statusRow(PRESCRIBING, 'FORBIDDEN').display);
    });

    it('a prescription-order sent twice, or without a signature, has its table\'s display', async () => {
      const order = await newPrescription('FA565');
      answered(await prescribe(rig.spine, steps.gp, order), 400, 'DUPLICATE_PRESCRIPTION_ID', statusRow(PRESCRIBING, 'DUPLICATE_PRESCRIPTION_ID').display);
      const unsigned = freshOrder({ pharmacy: 'FA565' });
      const prepared = await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', steps.gp, unsigned);
      const timestamp = prepared.body.parameter.find((p: Json) => p.name === 'timestamp').valueString;
      answered(await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', steps.gp, withProvenance(unsigned, undefined, timestamp)),
        400, 'MISSING_DIGITAL_SIGNATURE', statusRow(PRESCRIBING, 'MISSING_DIGITAL_SIGNATURE').display);
    });

    it('an order of several dosage instructions without their sequence numbers is MISSING_VALUE in the words of the prescription-order\'s table', async () => {
      const order = freshOrder({ pharmacy: 'FA565' });
      const request = order.entry.find((e: Json) => e.resource.resourceType === 'MedicationRequest').resource;
      request.dosageInstruction = [{ text: 'ONE tablet in the morning' }, { text: 'TWO tablets at night' }];
      for (const path of ['$prepare', '$process-message']) {
        const refused = await call(rig.spine, 'POST', `/fhir-prescribing/FHIR/R4/${path}`, steps.gp, order);
        answered(refused, 400, 'MISSING_VALUE', statusRow(PRESCRIBING, 'MISSING_VALUE').display);
        assert.deepEqual(refused.body.issue[0].expression, ['Bundle.entry.resource.ofType(MedicationRequest).dosageInstruction.sequence'], path);
      }
      request.dosageInstruction = [{ sequence: 1, text: 'ONE tablet in the morning' }, { sequence: 2, text: 'TWO tablets at night' }];
      assert.equal((await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', steps.gp, order)).status, 200);
    });
  });
});
