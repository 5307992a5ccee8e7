import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import {
  ACUTE, EXAMPLE_PRESCRIBER, assertSchema, call, example, fixture, freshOrder, itemIdsOf, prescribe, shortFormIdOf, withProvenance, withoutMeta, xmlSignature, type Json, workerHeaders } from './support.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { isQuantity } from '../../src/services/prescriptions/domain/prescription-message.js';

/** EPS prescribing over HTTP on PostgreSQL, as a deployment (demo data, no sandbox): prepare, sign, send, cancel. */
describe('EPS prescribing API', () => {
  let spine: TestSpine;
  let gp: Record<string, string>;

  before(async () => {
    spine = await startTestSpine();
    gp = await workerHeaders(spine, 'A83008', 'R8000');
  });
  after(async () => { await spine?.close(); });

  const processMessage = (body: unknown, headers = gp) => call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', headers, body);

  it('$prepare answers the digest to sign, its timestamp and RS256, in the example response\'s shape', async () => {
    const response = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', { ...gp, 'x-correlation-id': 'corr-1' }, example(`${ACUTE}1-Prepare-Request-200_OK.json`));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.headers.get('content-type'), 'application/fhir+json; fhirVersion=4.0');
    assert.equal(response.headers.get('x-correlation-id'), 'corr-1');
    // Not checked against the spec's ParametersResponse schema: it allows only algorithm RS1, where
    // the spec's own examples (and EPS) answer RS256; the example's shape is compared instead.
    const expected = example(`${ACUTE}1-Prepare-Response-200_OK.json`);
    assert.deepEqual(response.body.parameter.map((p: Json) => p.name), expected.parameter.map((p: Json) => p.name));
    const [digest, timestamp, algorithm] = response.body.parameter.map((p: Json) => p.valueString);
    assert.equal(algorithm, 'RS256');
    assert.match(timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    const signedInfo = Buffer.from(digest, 'base64').toString('utf8');
    assert.match(signedInfo, /^<SignedInfo xmlns="http:\/\/www.w3.org\/2000\/09\/xmldsig#">.*<SignatureMethod Algorithm="http:\/\/www.w3.org\/2001\/04\/xmldsig-more#rsa-sha256">.*<DigestValue>[A-Za-z0-9+/]{43}=<\/DigestValue><\/Reference><\/SignedInfo>$/);
  });

  it('a prescription signed over the prepared digest by the prescriber\'s registered certificate is accepted: 200 as the example', async () => {
    const order = freshOrder();
    const response = await prescribe(spine, gp, order);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(withoutMeta(response.body), withoutMeta(example(`${ACUTE}1-Process-Response-Send-200_OK.json`)));
    assertSchema('operationOutcome', response.body);
    const tracked = await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, gp);
    assert.equal(tracked.status, 200, JSON.stringify(tracked.body));
    assert.equal(tracked.body.total, 1);
    assert.equal(tracked.body.entry[0].resource.businessStatus.coding[0].code, '0001');
  });

  it('the same prescription id again is 400 DUPLICATE_PRESCRIPTION_ID; the same X-Request-ID again is the first answer, done once', async () => {
    const order = freshOrder();
    const requestId = randomUUID();
    const prepared = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, order);
    const [digest, timestamp] = prepared.body.parameter.map((p: Json) => p.valueString);
    const signed = withProvenance(order, xmlSignature(Buffer.from(digest, 'base64').toString(), fixture('prescriber-key.pem'), fixture('prescriber-cert.pem')), timestamp);
    const first = await processMessage(signed, { ...gp, 'x-request-id': requestId });
    assert.equal(first.status, 200);
    const retry = await processMessage(signed, { ...gp, 'x-request-id': requestId });
    assert.deepEqual({ status: retry.status, text: retry.text }, { status: first.status, text: first.text });
    const duplicate = await processMessage(signed);
    assert.equal(duplicate.status, 400);
    assert.equal(duplicate.body.issue[0].details.coding[0].code, 'DUPLICATE_PRESCRIPTION_ID');
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM platform.outbox WHERE payload->>'shortFormId' = $1`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 1, 'one created event');
  });

  it('one prescription id sent at once by several requests and by retries of one: it is created once, the others are duplicates or the first answer', async () => {
    const order = freshOrder();
    const prepared = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, order);
    const [digest, timestamp] = prepared.body.parameter.map((p: Json) => p.valueString);
    const signed = withProvenance(order, xmlSignature(Buffer.from(digest, 'base64').toString(), fixture('prescriber-key.pem'), fixture('prescriber-cert.pem')), timestamp);
    const retried = { ...gp, 'x-request-id': randomUUID() };
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, () => processMessage(signed, retried)),
      ...Array.from({ length: 6 }, () => processMessage(signed, { ...gp, 'x-request-id': randomUUID() })),
    ]);
    const created = answers.filter((a) => a.status === 200);
    const duplicates = answers.filter((a) => a.status === 400);
    assert.equal(created.length + duplicates.length, answers.length, answers.map((a) => a.status).join(','));
    for (const d of duplicates) assert.equal(d.body.issue[0].details.coding[0].code, 'DUPLICATE_PRESCRIPTION_ID');
    // The retries of one request all answer alike: all created, or all the duplicate answer.
    for (const a of answers.slice(1, 6)) assert.deepEqual([a.status, a.body], [answers[0]!.status, answers[0]!.body]);
    const { rows } = await spine.ctx.db.query(
      `SELECT (SELECT count(*)::int FROM platform.outbox WHERE payload->>'shortFormId' = $1) AS events,
              (SELECT count(*)::int FROM prescriptions.history WHERE short_form_id = $1) AS history`, [shortFormIdOf(order)]);
    assert.deepEqual(rows[0], { events: 1, history: 1 });
    assert.ok(created.length >= 1);
  });

  it('signature cases: none, the example\'s empty test signature, another\'s certificate, a changed prescription, all refused', async () => {
    const order = freshOrder();
    const prepared = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, order);
    const [digest, timestamp] = prepared.body.parameter.map((p: Json) => p.valueString);
    const signedInfo = Buffer.from(digest, 'base64').toString();
    const code = (r: { body: Json }) => [r.body.issue[0].details?.coding[0].code, r.body.issue[0].diagnostics];

    const missing = await processMessage(withProvenance(order, undefined, timestamp));
    assert.equal(missing.status, 400);
    assert.deepEqual(code(missing), ['MISSING_DIGITAL_SIGNATURE', 'The prescription-order has no Provenance signature']);

    const exampleSignature = example(`${ACUTE}1-Process-Request-Send-200_OK.json`).entry.find((e: Json) => e.resource.resourceType === 'Provenance').resource.signature[0].data;
    assert.deepEqual(code(await processMessage(withProvenance(order, exampleSignature, timestamp))),
      ['FAILURE_TO_PROCESS_MESSAGE', 'Invalid digital signature: the signature has no SignatureValue']);

    const rogue = xmlSignature(signedInfo, fixture('rogue-key.pem'), fixture('rogue-cert.pem'));
    assert.deepEqual(code(await processMessage(withProvenance(order, rogue, timestamp))),
      ['FAILURE_TO_PROCESS_MESSAGE', 'Invalid digital signature: the signing certificate is not registered for the prescriber nor issued by a trusted CA']);

    const forged = xmlSignature(signedInfo, fixture('rogue-key.pem'), fixture('prescriber-cert.pem'));
    assert.deepEqual(code(await processMessage(withProvenance(order, forged, timestamp))),
      ['FAILURE_TO_PROCESS_MESSAGE', 'Invalid digital signature: the SignatureValue does not verify with the certificate']);

    const good = xmlSignature(signedInfo, fixture('prescriber-key.pem'), fixture('prescriber-cert.pem'));
    const changed = structuredClone(order);
    changed.entry.find((e: Json) => e.resource.resourceType === 'MedicationRequest').resource.dosageInstruction[0].text = '4 times a day';
    assert.deepEqual(code(await processMessage(withProvenance(changed, good, timestamp))),
      ['FAILURE_TO_PROCESS_MESSAGE', "Invalid digital signature: the signature's SignedInfo does not match the prescription (digest or timestamp differ)"]);
    assert.deepEqual(code(await processMessage(withProvenance(order, good, '2020-01-01T00:00:00+00:00'))),
      ['FAILURE_TO_PROCESS_MESSAGE', "Invalid digital signature: the signature's SignedInfo does not match the prescription (digest or timestamp differ)"]);
    assert.equal((await processMessage(withProvenance(order, good, timestamp))).status, 200);
  });

  it('a certificate registered for the prescriber after their orders were verified is trusted at once (the service remembers certificates it read)', async () => {
    const signedBy = async (key: string, cert: string) => {
      const order = freshOrder();
      const prepared = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, order);
      const [digest, timestamp] = prepared.body.parameter.map((p: Json) => p.valueString);
      return processMessage(withProvenance(order, xmlSignature(Buffer.from(digest, 'base64').toString(), fixture(key), fixture(cert)), timestamp));
    };
    assert.equal((await signedBy('prescriber-key.pem', 'prescriber-cert.pem')).status, 200);
    const before = await signedBy('rogue-key.pem', 'rogue-cert.pem');
    assert.equal(before.body.issue[0].diagnostics, 'Invalid digital signature: the signing certificate is not registered for the prescriber nor issued by a trusted CA');
    // The prescriber's new certificate (here the one the test calls rogue: nothing after this test signs with it).
    await directoryApi(spine.ctx.db).registerSigningCertificate(EXAMPLE_PRESCRIBER, fixture('rogue-cert.pem'));
    const after = await signedBy('rogue-key.pem', 'rogue-cert.pem');
    assert.equal(after.status, 200, JSON.stringify(after.body));
    assert.equal((await signedBy('prescriber-key.pem', 'prescriber-cert.pem')).status, 200, 'the first certificate still stands');
  });

  it('answers the error examples as they are written: invalid checksum, invalid intent, mixed course of therapy', async () => {
    for (const [request, response] of [
      ['errors/1-Process-Request-Send-400_INVALID_CHECKSUM.json', 'errors/1-Process-Response-Send-400_INVALID_CHECKSUM.json'],
      ['errors/4-Process-Request-Send-400_invalid_intent.json', 'errors/4-Process-Response-Send-400_invalid_intent.json'],
      ['errors/2-Process-Request-Send-400_Invalid_Course_of_Therapy_mixed.json', 'errors/2-Process-Response-Send-400_Invalid_Course_of_Therapy_mixed.json'],
    ] as const) {
      const body = example(request);
      const answer = await processMessage(body);
      assert.equal(answer.status, 400, request);
      assert.deepEqual(withoutMeta(answer.body), withoutMeta(example(response)), request);
    }
    const prepare = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, example('errors/2-Prepare-Request-400_Invalid_Course_of_Therapy_mixed.json'));
    assert.deepEqual(withoutMeta(prepare.body), withoutMeta(example('errors/2-Prepare-Response-400_Invalid_Course_of_Therapy_mixed.json')));
  });

  it("each item's intent is its course's (MedicationRequest.yaml): acute 'order', eRD 'original-order', repeat 'original-order' or 'instance-order', one issue per prescription; the spec's acute-and-repeat order is taken", async () => {
    const INTENT = ['Bundle.entry.resource.ofType(MedicationRequest).intent'];
    const course = (code: string) => ({ coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/medicationrequest-course-of-therapy', code }] });
    /** The acute example with each item's [courseOfTherapyType, intent] as given (the rest as the first). */
    const orderOf = (items: Array<[string, string]>) => {
      const order = freshOrder({ pharmacy: 'FA565' });
      order.entry.filter((e: Json) => e.resource.resourceType === 'MedicationRequest').forEach((e: Json, i: number) => {
        const [code, intent] = items[Math.min(i, items.length - 1)]!;
        e.resource.courseOfTherapyType = course(code);
        e.resource.intent = intent;
        if (code === 'continuous-repeat-dispensing') {
          e.resource.dispenseRequest.numberOfRepeatsAllowed = 2;
          e.resource.dispenseRequest.expectedSupplyDuration = { value: 28, unit: 'day', system: 'http://unitsofmeasure.org', code: 'd' };
        }
      });
      return order;
    };
    const refused = async (order: Json, diagnostics: string) => {
      for (const path of ['$prepare', '$process-message']) {
        const answer = await call(spine, 'POST', `/fhir-prescribing/FHIR/R4/${path}`, gp, order);
        assert.equal(answer.status, 400, `${path} ${diagnostics}: ${answer.text}`);
        assert.deepEqual(withoutMeta(answer.body), { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'value', diagnostics, expression: INTENT }] }, path);
      }
    };
    await refused(orderOf([['continuous', 'original-order'], ['continuous', 'instance-order']]),
      'Expected all MedicationRequests to have the same value for intent (but an acute item\'s order). Received ["original-order","instance-order"].');
    await refused(orderOf([['acute', 'order'], ['acute', 'original-order']]), "MedicationRequest.intent must be order for courseOfTherapyType 'acute'. Received 'original-order'.");
    await refused(orderOf([['continuous-repeat-dispensing', 'order']]), "MedicationRequest.intent must be original-order for courseOfTherapyType 'continuous-repeat-dispensing'. Received 'order'.");
    await refused(orderOf([['continuous', 'order']]), "MedicationRequest.intent must be original-order or instance-order for courseOfTherapyType 'continuous'. Received 'order'.");
    // A value outside the three is the spec's own error, mixed or not.
    await refused(orderOf([['continuous', 'instance-order'], ['continuous', 'reflex-order']]), 'MedicationRequest.intent must be order, original-order or instance-order.');
    // The spec's acute-and-repeat order mixes an acute 'order' with a repeat 'original-order', answered 200.
    const mixed = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, example('primary-care/acute-and-repeat-prescribing/1-Prepare-Request-200_OK.json'));
    assert.equal(mixed.status, 200, mixed.text);
  });

  it("a patient NHS number that is no NHS number (failing Modulus 11, or 0000000000, which passes it) is FAILURE_TO_PROCESS_MESSAGE 'NHS number is invalid', and nothing is stored", async () => {
    for (const nhsNumber of ['9000000000', '0000000000']) {
      const order = freshOrder({ pharmacy: 'FA565', nhsNumber });
      const answer = await processMessage(order);
      assert.equal(answer.status, 400, `${nhsNumber}: ${answer.text}`);
      assert.deepEqual(answer.body.issue.map((i: Json) => [i.code, i.details.coding[0].code, i.details.coding[0].display]),
        [['processing', 'FAILURE_TO_PROCESS_MESSAGE', 'Unable to process message. Information missing or invalid - NHS number is invalid']], nhsNumber);
      const tracked = await call(spine, 'GET', `/fhir-prescribing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormIdOf(order))}`, gp);
      assert.equal(tracked.body.total, 0, nhsNumber);
    }
    // Tracking by patient refuses it as any invalid NHS number.
    const search = await call(spine, 'GET', '/fhir-prescribing/FHIR/R4/Task?patient:identifier=0000000000', gp);
    assert.equal(search.status, 400, search.text);
    assert.equal(search.body.issue[0].diagnostics, "Invalid NHS number '0000000000'");
  });

  it('a prescription of more than four items is refused at $prepare and when sent, as the bulk-translation example answers; four are taken', async () => {
    const BULK = 'secondary-care/community/acute/nominated-pharmacy/clinical-practitioner/multiple-drugs/bulk-translation/';
    const expected = withoutMeta(example(`${BULK}1-Prepare-Response-400_Bad_Request.json`));
    const prepared = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, example(`${BULK}1-Prepare-Request-Send-400_Bad_Request.json`));
    assert.deepEqual([prepared.status, withoutMeta(prepared.body)], [400, expected]);
    // The acute example's four items, and a fifth: refused when sent too, before its signature is looked at.
    const order = freshOrder();
    const items = order.entry.filter((e: Json) => e.resource.resourceType === 'MedicationRequest');
    assert.equal(items.length, 4);
    assert.equal((await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, order)).status, 200, 'four items');
    const fifth = structuredClone(items[0]);
    fifth.fullUrl = `urn:uuid:${randomUUID()}`;
    fifth.resource.identifier[0].value = randomUUID();
    order.entry.push(fifth);
    const sent = await processMessage(order);
    assert.deepEqual([sent.status, withoutMeta(sent.body)], [400, expected]);
    // A cancellation names one item: with five it is told that, the more particular rule.
    const cancel = structuredClone(example(`${ACUTE}cancellations/2-Process-Request-Cancel-200_OK.json`));
    const cancelled = cancel.entry.find((e: Json) => e.resource.resourceType === 'MedicationRequest');
    cancel.entry.push(...Array.from({ length: 4 }, () => structuredClone(cancelled)));
    const refused = await processMessage(cancel);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.issue[0].diagnostics, "The Bundle must contain exactly one MedicationRequest if MessageHeader.eventCoding.code is 'prescription-order-update'.");
  });

  it('an item without a medication, items for two patients, and validity periods that are not dates, end before they start or have ended are refused, signed or not', async () => {
    const itemsOf = (order: Json) => order.entry.filter((e: Json) => e.resource.resourceType === 'MedicationRequest').map((e: Json) => e.resource);
    const refusal = async (change: (order: Json) => void, signed = false) => {
      const order = freshOrder();
      change(order);
      // The message is read before its signature is checked; an ended validity is found once it is signed and verified.
      const sent = signed ? await prescribe(spine, gp, order) : await processMessage(order);
      assert.equal(sent.status, 400, JSON.stringify(sent.body));
      const { rows } = await spine.ctx.db.query('SELECT count(*)::int AS n FROM prescriptions.prescriptions WHERE short_form_id = $1', [shortFormIdOf(order)]);
      assert.equal(rows[0].n, 0, 'nothing stored');
      return { code: sent.body.issue[0].code, coding: sent.body.issue[0].details?.coding?.[0]?.code, diagnostics: sent.body.issue[0].diagnostics };
    };
    assert.deepEqual(await refusal((order) => { delete itemsOf(order)[0].medicationCodeableConcept; }),
      { code: 'value', coding: 'MISSING_VALUE', diagnostics: 'MedicationRequest must contain medicationCodeableConcept or medicationReference.' });
    // The second item names a second patient (or prescriber): a copy of the first, under its own fullUrl.
    for (const [resourceType, field] of [['Patient', 'subject'], ['PractitionerRole', 'requester']] as const) {
      assert.deepEqual(await refusal((order) => {
        const other = structuredClone(order.entry.find((e: Json) => e.resource.resourceType === resourceType));
        other.fullUrl = `urn:uuid:${randomUUID()}`;
        order.entry.push(other);
        itemsOf(order)[1][field] = { reference: other.fullUrl };
      }), { code: 'value', coding: undefined, diagnostics: `Expected all MedicationRequests to have the same value for ${field}.` });
    }
    assert.deepEqual(await refusal((order) => { itemsOf(order)[2].status = 'cancelled'; }),
      { code: 'value', coding: undefined, diagnostics: "MedicationRequest.status must be 'active'." });
    const period = (value: Json) => (order: Json) => { for (const item of itemsOf(order)) item.dispenseRequest.validityPeriod = value; };
    for (const [value, diagnostics] of [
      [{ start: 'yesterday' }, "dispenseRequest.validityPeriod.start 'yesterday' is not a whole date (YYYY-MM-DD) or a dateTime with its time and timezone."],
      [{ start: '2026-01-01', end: '2027-02-30' }, "dispenseRequest.validityPeriod.end '2027-02-30' is not a whole date (YYYY-MM-DD) or a dateTime with its time and timezone."],
      [{ start: '2026-01-01', end: '2027-02-30T23:59:59+00:00' }, "dispenseRequest.validityPeriod.end '2027-02-30T23:59:59+00:00' is not a whole date (YYYY-MM-DD) or a dateTime with its time and timezone."],
      [{ start: '2026-12' }, "dispenseRequest.validityPeriod.start '2026-12' is not a whole date (YYYY-MM-DD) or a dateTime with its time and timezone."],
      [{ start: '2026-01-01T25:00:00Z' }, "dispenseRequest.validityPeriod.start '2026-01-01T25:00:00Z' is not a whole date (YYYY-MM-DD) or a dateTime with its time and timezone."],
      [{ start: '2027-01-01', end: '2026-12-31' }, "dispenseRequest.validityPeriod.end '2026-12-31' is before its start '2027-01-01'."],
    ] as const) {
      assert.deepEqual(await refusal(period(value)), { code: 'value', coding: undefined, diagnostics }, JSON.stringify(value));
    }
    const ended = await refusal(period({ start: '2019-12-01', end: '2020-01-01' }), true);
    assert.match(ended.diagnostics, /^The prescription's validity period ended before it was sent \(2020-01-01T23:59:59\.999Z\)\.$/);
    // A period that starts and ends as dates, the end at 23:59:59 on its last day, is taken.
    const order = freshOrder();
    period({ start: '2026-01-01', end: '2099-01-01T23:59:59+00:00' })(order);
    assert.equal((await prescribe(spine, gp, order)).status, 200);
  });

  it('a quantity is over 0 with at most two decimal places, as the spec says; one a double cannot hold as written is refused, not rounded', async () => {
    for (const value of ['1.005', '0.0000001', '1.0000000000000002', '-5', '0', '12345678901234567890123']) {
      const order = freshOrder();
      const text = JSON.stringify(order).replace(/"quantity":\{"value":[0-9.]+/, `"quantity":{"value":${value}`);
      assert.notEqual(text, JSON.stringify(order), 'the quantity was replaced');
      const sent = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, text);
      assert.equal(sent.status, 400, `${value}: ${sent.text}`);
      assert.match(sent.body.issue[0].diagnostics, /^dispenseRequest\.quantity\.value '.+' must be a number greater than 0 with at most 2 decimal places\.$/, value);
    }
    for (const value of ['28', '0.5', '2.25', '100000']) {
      const order = freshOrder();
      const text = JSON.stringify(order).replace(/"quantity":\{"value":[0-9.]+/, `"quantity":{"value":${value}`);
      assert.equal((await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, text)).status, 200, value);
    }
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 99 }), (whole, cents) => {
      const value = Number(`${whole}.${String(cents).padStart(2, '0')}`);
      assert.equal(isQuantity(value), value > 0);
      assert.equal(isQuantity(-value), false);
      assert.equal(isQuantity(value + 0.001), false);
    }));
  });

  it('a Bundle without entry is MISSING_FIELD as example-a; a wrong type at depth is 400 naming the field, never a 500', async () => {
    const noEntry = await processMessage({ resourceType: 'Bundle', identifier: { system: 'https://tools.ietf.org/html/rfc4122', value: randomUUID() }, type: 'message' });
    assert.equal(noEntry.status, 400);
    assert.deepEqual(withoutMeta(noEntry.body), withoutMeta(example('spec/errors/example-a-validation-error-missing-field/Response-FhirError.json')));
    const order = freshOrder();
    order.entry[1].resource.intent = 7;
    const wrongType = await processMessage(order);
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.match(wrongType.body.issue[0].diagnostics, /'entry\/1\/resource\/intent'/);
    for (const body of ['{', '[]', '{"resourceType":"Bundle","entry":"x"}', JSON.stringify({ resourceType: 'Bundle', entry: [{ resource: { resourceType: 'MedicationRequest', groupIdentifier: 7 } }] })]) {
      const r = await processMessage(body);
      assert.equal(r.status, 400, `${body}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.resourceType, 'OperationOutcome');
    }
  });

  it('X-Request-ID is required and a UUID (outside sandbox mode); it and X-Correlation-ID are echoed', async () => {
    const missing = await fetch(`${spine.url}/fhir-prescribing/FHIR/R4/$prepare`, { method: 'POST', headers: { ...gp, 'content-type': 'application/fhir+json' }, body: JSON.stringify(freshOrder()) });
    assert.equal(missing.status, 400);
    const bad = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', { ...gp, 'x-request-id': 'not-a-uuid' }, freshOrder());
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-request-id'), 'not-a-uuid');
    assert.match(bad.body.issue[0].diagnostics, /X-Request-ID|x-request-id/);
  });

  it('refuses a caller without prescription:prescribe (403) and with no token (401), in EPS\'s codes', async () => {
    const forbidden = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', await workerHeaders(spine, 'FA565', 'R8003'), freshOrder());
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.issue[0].details.coding[0].code, 'FORBIDDEN');
    const anonymous = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', {}, freshOrder());
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.issue[0].details.coding[0].code, 'ACCESS_DENIED');
    const notTheirs = await prescribe(spine, await workerHeaders(spine, 'B81001', 'R8000'), freshOrder());
    assert.equal(notTheirs.status, 403);
  });

  it('cancels before release (R-0001, a Bundle as the example), then R-0006 again; R-0008 unknown; R-5000 another patient', async () => {
    const order = freshOrder();
    assert.equal((await prescribe(spine, gp, order)).status, 200);
    const cancel = structuredClone(example(`${ACUTE}cancellations/2-Process-Request-Cancel-200_OK.json`));
    const item = itemIdsOf(order)[0];
    for (const { resource } of cancel.entry) {
      if (resource.resourceType === 'MedicationRequest') { resource.groupIdentifier.value = shortFormIdOf(order); resource.identifier[0].value = item; }
      if (resource.resourceType === 'Patient') resource.identifier[0].value = order.entry.find((e: Json) => e.resource.resourceType === 'Patient').resource.identifier[0].value;
    }
    const cancelled = await processMessage(cancel);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    const expected = example(`${ACUTE}cancellations/2-Process-Response-Cancel-200_OK.json`);
    assert.equal(cancelled.body.resourceType, 'Bundle');
    assert.deepEqual(cancelled.body.entry.map((e: Json) => e.resource.resourceType).sort(), expected.entry.map((e: Json) => e.resource.resourceType).sort());
    const statusOf = (b: Json) => b.entry.find((e: Json) => e.resource.resourceType === 'MedicationRequest').resource.extension
      .find((x: Json) => x.url.endsWith('Extension-DM-PrescriptionStatusHistory')).extension[0].valueCoding;
    assert.deepEqual(statusOf(cancelled.body), statusOf(expected));
    const again = await processMessage(cancel);
    assert.equal(again.status, 400);
    assert.equal(statusOf(again.body).code, 'R-0006');

    const unknown = structuredClone(cancel);
    unknown.entry.find((e: Json) => e.resource.resourceType === 'MedicationRequest').resource.groupIdentifier.value = freshOrder().entry[1].resource.groupIdentifier.value;
    const notFound = await processMessage(unknown);
    assert.equal(notFound.status, 400);
    assert.deepEqual(notFound.body.issue, example('spec/errors/prescription-order-update/R-0008-Cancellation.json').issue);

    const otherPatient = structuredClone(cancel);
    otherPatient.entry.find((e: Json) => e.resource.resourceType === 'Patient').resource.identifier[0].value = '9449304130';
    const mismatch = await processMessage(otherPatient);
    assert.deepEqual(mismatch.body.issue, example('spec/errors/prescription-order-update/R-5000-Cancellation.json').issue);
  });

  it('serves metadata (CapabilityStatement) without a token on both bases', async () => {
    for (const path of ['/fhir-prescribing/metadata', '/fhir-prescribing/FHIR/R4/metadata', '/fhir-dispensing/metadata']) {
      const r = await call(spine, 'GET', path, {});
      assert.equal(r.status, 200, path);
      assert.equal(r.body.resourceType, 'CapabilityStatement');
    }
  });
});
