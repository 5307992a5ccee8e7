import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { ACUTE, call, example, freshOrder, itemIdsOf, nhsNumberOf, prescribe, shortFormIdOf, withProvenance, withoutMeta, type Json, workerHeaders } from './support.js';

/**
 * Conformance with the EPS specs' error tables and error examples, over HTTP on PostgreSQL
 * (deployment rules, demo data): what a prescribing or dispensing system written for NHS England's
 * EPS is told when it sends something wrong.
 */
describe('EPS answers wrong requests as the spec does', () => {
  let spine: TestSpine;
  let gp: Record<string, string>;
  let pharmacy: Record<string, string>;
  let otherPharmacy: Record<string, string>;
  const P = '/fhir-prescribing/FHIR/R4';
  const D = '/fhir-dispensing/FHIR/R4';

  before(async () => {
    spine = await startTestSpine();
    gp = await workerHeaders(spine, 'A83008', 'R8000');
    pharmacy = await workerHeaders(spine, 'FA565', 'R8003');
    otherPharmacy = await workerHeaders(spine, 'VNFKT', 'R8003');
  });
  after(async () => { await spine?.close(); });

  /** A verification error as the spec's tables and examples/errors/4-…invalid_intent write it: `value`, no coding. */
  const verification = (diagnostics: string, expression?: string[]) =>
    ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'value', diagnostics, ...(expression ? { expression } : {}) }] });

  /**
   * The prescription's tracking Task. The id goes encoded: its check character may be `+`, which a
   * query reads as a space (left raw, one id in 37 was not found).
   */
  const trackedBy = async (headers: Record<string, string>, order: Json) => {
    const tracked = await call(spine, 'GET', `${P}/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, headers);
    assert.equal(tracked.status, 200, tracked.text);
    assert.equal(tracked.body.total, 1, tracked.text);
    return tracked;
  };

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

  const releaseBody = (owner: string, shortFormId: string) => {
    const body = structuredClone(example('spec/dispensing/release/acute-primary-example-req.json'));
    for (const p of body.parameter) {
      if (p.name === 'owner') p.resource.identifier[0].value = owner;
      if (p.name === 'group-identifier') p.valueIdentifier.value = shortFormId;
    }
    return body;
  };

  it('another pharmacy is told PRESCRIPTION_WITH_ANOTHER_DISPENSER with that dispenser contained, as the spec\'s example, on release and on return', async () => {
    const order = freshOrder({ pharmacy: 'FA565' });
    assert.equal((await prescribe(spine, gp, order)).status, 200);
    const shortFormId = shortFormIdOf(order);
    assert.equal((await call(spine, 'POST', `${D}/Task/$release`, pharmacy, releaseBody('FA565', shortFormId))).status, 200);
    const holder = await directoryApi(spine.ctx.db).getOrganisation('FA565');
    assert.ok(holder, 'the eps dataset has the example pharmacy');
    const shape = withoutMeta(example('spec/errors/release/with-another-dispenser-error.json'));
    const returned = structuredClone(example('spec/dispensing/return/acute-primary-example-req.json'));
    returned.groupIdentifier.value = shortFormId;
    returned.for.identifier.value = order.entry.find((e: Json) => e.resource.resourceType === 'Patient').resource.identifier[0].value;
    for (const c of returned.contained) if (c.resourceType === 'Organization') c.identifier[0].value = 'VNFKT';
    for (const [path, body] of [[`${D}/Task/$release`, releaseBody('VNFKT', shortFormId)], [`${D}/Task`, returned]] as const) {
      const refused = await call(spine, 'POST', path, otherPharmacy, body);
      assert.equal(refused.status, 400, refused.text);
      const id = refused.body.contained?.[0]?.id;
      assert.deepEqual(withoutMeta(refused.body), {
        ...shape,
        contained: [{
          resourceType: 'Organization', id, identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'FA565' }], name: holder.name,
          ...(holder.postcode ? { address: [{ use: 'work', postalCode: holder.postcode }] } : {}),
        }],
        extension: [{ ...shape.extension[0], valueReference: { reference: `#${id}` } }],
      }, path);
    }
  });

  it("another practice's cancellation of a prescription is R-0008 not found, and leaves it to be dispensed", async () => {
    const order = freshOrder();
    assert.equal((await prescribe(spine, gp, order)).status, 200);
    const otherPractice = await workerHeaders(spine, 'B81001', 'R8000');
    const cancel = structuredClone(example(`${ACUTE}cancellations/2-Process-Request-Cancel-200_OK.json`));
    for (const { resource } of cancel.entry) {
      if (resource.resourceType === 'MedicationRequest') { resource.groupIdentifier.value = shortFormIdOf(order); resource.identifier[0].value = itemIdsOf(order)[0]; }
      if (resource.resourceType === 'Patient') resource.identifier[0].value = nhsNumberOf(order);
      if (resource.resourceType === 'Organization') resource.identifier[0].value = 'B81001';
    }
    const refused = await call(spine, 'POST', `${P}/$process-message`, otherPractice, cancel);
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(refused.body.issue[0].details.coding, [{ system: 'https://fhir.nhs.uk/CodeSystem/medicationrequest-status-history', code: 'R-0008', display: 'Prescription/item not found' }]);
    const tracked = await trackedBy(gp, order);
    assert.equal(tracked.body.entry[0].resource.businessStatus.coding[0].code, '0001');
  });

  it('an X-Request-ID already used for another operation is 400 INVALID_VALUE, not that operation\'s answer, and changes nothing', async () => {
    const order = freshOrder();
    assert.equal((await prescribe(spine, gp, order)).status, 200);
    const requestId = randomUUID();
    // The pharmacy's system gives one id to a release and then, by mistake, to the prescription's return.
    const released = await call(spine, 'POST', `${D}/Task/$release`, { ...pharmacy, 'x-request-id': requestId }, releaseBody('FA565', shortFormIdOf(order)));
    assert.equal(released.status, 200, released.text);
    const returned = structuredClone(example('spec/dispensing/return/acute-primary-example-req.json'));
    returned.groupIdentifier.value = shortFormIdOf(order);
    returned.for.identifier.value = nhsNumberOf(order);
    for (const c of returned.contained) if (c.resourceType === 'Organization') c.identifier[0].value = 'FA565';
    const misused = await call(spine, 'POST', `${D}/Task`, { ...pharmacy, 'x-request-id': requestId }, returned);
    assert.equal(misused.status, 400, misused.text);
    assert.equal(misused.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.match(misused.body.issue[0].diagnostics, new RegExp(`'${requestId}' in header 'X-Request-ID': it identifies an earlier release request`));
    // The release's own retry still gets its first answer, byte for byte.
    const retried = await call(spine, 'POST', `${D}/Task/$release`, { ...pharmacy, 'x-request-id': requestId }, releaseBody('FA565', shortFormIdOf(order)));
    assert.equal(retried.status, 200);
    assert.equal(retried.text, released.text);
    const tracked = await trackedBy(gp, order);
    assert.equal(tracked.body.entry[0].resource.businessStatus.coding[0].code, '0002', 'still with the dispenser: not returned');
    // With an id of its own, the return is made.
    assert.equal((await call(spine, 'POST', `${D}/Task`, pharmacy, returned)).status, 200);
  });

  it('a dispense notification Bundle without entries is MISSING_FIELD as the spec\'s example for a Bundle without entries; $validate says what $process-message would', async () => {
    const missingField = withoutMeta(example('spec/errors/example-a-validation-error-missing-field/Response-FhirError.json'));
    const noEntries = await call(spine, 'POST', `${D}/$process-message`, pharmacy, { resourceType: 'Bundle', type: 'message' });
    assert.equal(noEntries.status, 400, noEntries.text);
    assert.deepEqual(withoutMeta(noEntries.body), missingField);
    const validated = await call(spine, 'POST', `${D}/$validate`, pharmacy, { resourceType: 'Bundle', type: 'message' });
    assert.equal(validated.status, 200, validated.text);
    assert.deepEqual(withoutMeta(validated.body), missingField);
    const noPerformer = structuredClone(example('spec/dispensing/dispense-notification/acute-primary-example-01-req.json'));
    for (const { resource } of noPerformer.entry) if (resource.resourceType === 'MedicationDispense') delete resource.performer;
    const sent = await call(spine, 'POST', `${D}/$process-message`, pharmacy, noPerformer);
    const checked = await call(spine, 'POST', `${D}/$validate`, pharmacy, noPerformer);
    assert.equal(sent.status, 400, sent.text);
    assert.equal(checked.status, 200, checked.text);
    assert.deepEqual(withoutMeta(checked.body), withoutMeta(sent.body));
    assert.equal(checked.body.issue[0].details.coding[0].code, 'MISSING_VALUE');
  });

  it('a MedicationRequest with both medicationReference and medicationCodeableConcept is 400 structure, on $prepare and $process-message', async () => {
    const order = freshOrder();
    for (const { resource } of order.entry) {
      if (resource.resourceType === 'MedicationRequest') resource.medicationReference = { reference: 'urn:uuid:8bbbd7a5-0d72-4f6d-b2c6-0a9b6e8e5d54' };
    }
    for (const path of [`${P}/$prepare`, `${P}/$process-message`]) {
      const answer = await call(spine, 'POST', path, gp, order);
      assert.equal(answer.status, 400, answer.text);
      assert.deepEqual(withoutMeta(answer.body), { resourceType: 'OperationOutcome', issue: [{
        severity: 'error', code: 'structure', diagnostics: 'MedicationRequest cannot contain both medicationReference and medicationCodeableConcept fields.',
      }] });
    }
  });

  it("a claim line without the dispenser's endorsement is 400 invalid, as the spec's 2-Claim-Request-400_Missing_Endorsement_Code", async () => {
    const claim = structuredClone(example(`${ACUTE}2-Claim-Request-400_Missing_Endorsement_Code.json`));
    for (const c of claim.contained) if (c.resourceType === 'Organization') c.identifier[0].value = 'FA565';
    const answer = await call(spine, 'POST', `${D}/Claim`, pharmacy, claim);
    assert.equal(answer.status, 400, answer.text);
    assert.deepEqual(withoutMeta(answer.body), { resourceType: 'OperationOutcome', issue: [{
      severity: 'error', code: 'invalid', diagnostics: 'The claim is missing the required endorsement code.', expression: ['Claim.item.detail.programCode'],
    }] });
  });

  it('a signature of megabytes of unclosed SignedInfo tags is refused at once, not read in quadratic time', async () => {
    const data = Buffer.from(`<Signature>${'<SignedInfo>'.repeat(150_000)}`).toString('base64');
    const order = withProvenance(freshOrder(), data, new Date().toISOString());
    const started = Date.now();
    const response = await fetch(`${spine.url}${P}/$process-message`, {
      method: 'POST', headers: { ...gp, 'content-type': 'application/fhir+json', 'x-request-id': crypto.randomUUID() },
      body: JSON.stringify(order), signal: AbortSignal.timeout(10_000),
    });
    const body = await response.json() as Json;
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(body.issue[0].details.coding[0].code, 'FAILURE_TO_PROCESS_MESSAGE');
    assert.ok(Date.now() - started < 5_000, `answered in ${Date.now() - started} ms`);
  });
});
