import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixedClock } from '../../src/platform/clock.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { ACUTE, EXAMPLE_PRESCRIBER, call, example, fixture, withProvenance, withoutMeta, xmlSignature, type Json, workerHeaders } from './support.js';

/**
 * Orders signed for NHS England's EPS verify here, outside sandbox mode: the SignedInfo EPS's
 * `$prepare` gave for an example bundle (its Prepare-Response) is the one this Spine prepares for it
 * at the same moment, byte for byte, and an order signed over it by the prescriber's registered
 * certificate is accepted; changed after signing, it is refused.
 *
 * The examples' own order signatures cannot be used: their SignedInfos are RSA-SHA1 over SHA-1
 * digests of other content (one DigestValue serves bundles of different content). So the example
 * is signed here, over NHS England's SignedInfo, with the test prescriber key, by a certificate
 * of the test CA valid at the example's time (fixtures/prescriber-2024-cert.pem; the demo
 * certificate starts later) registered for the example's prescriber.
 */
const PREPARE_REQUEST = `${ACUTE}1-Prepare-Request-200_OK.json`;
const PREPARE_RESPONSE = `${ACUTE}1-Prepare-Response-200_OK.json`;
const nhsParameter = (name: string) => (example(PREPARE_RESPONSE).parameter as Json[]).find((p) => p.name === name)!.valueString as string;
const NHS_TIMESTAMP = nhsParameter('timestamp');
const NHS_SIGNED_INFO = Buffer.from(nhsParameter('digest'), 'base64').toString('utf8');

describe('orders signed over NHS England\'s $prepare digest', () => {
  let spine: TestSpine;
  let gp: Record<string, string>;

  before(async () => {
    // The Spine's clock stands at the moment NHS England prepared the example.
    spine = await startTestSpine({ clock: fixedClock(new Date(NHS_TIMESTAMP)) });
    gp = await workerHeaders(spine, 'A83008', 'R8000');
    await directoryApi(spine.ctx.db).registerSigningCertificate(EXAMPLE_PRESCRIBER, fixture('prescriber-2024-cert.pem'));
  });
  after(async () => { await spine?.close(); });

  const signedOrder = (bundle: Json) =>
    withProvenance(bundle, xmlSignature(NHS_SIGNED_INFO, fixture('prescriber-key.pem'), fixture('prescriber-2024-cert.pem')), NHS_TIMESTAMP);

  it("$prepare of the example answers NHS England's Prepare-Response byte for byte", async () => {
    assert.equal(spine.config.sandbox, false);
    const prepared = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, example(PREPARE_REQUEST));
    assert.equal(prepared.status, 200, JSON.stringify(prepared.body));
    assert.deepEqual(prepared.body, example(PREPARE_RESPONSE));
  });

  it('a changed order is refused: 400 FAILURE_TO_PROCESS_MESSAGE, the digital signature is invalid', async () => {
    const changed = structuredClone(example(PREPARE_REQUEST));
    changed.entry.find((e: Json) => e.resource.resourceType === 'Patient').resource.name[0].family = 'SMITH';
    const refused = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', gp, signedOrder(changed));
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.deepEqual(withoutMeta(refused.body), {
      resourceType: 'OperationOutcome',
      issue: [{
        severity: 'error',
        code: 'processing',
        details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode', code: 'FAILURE_TO_PROCESS_MESSAGE', display: 'Unable to process message. Information missing or invalid - digital signature is invalid' }] },
        diagnostics: "Invalid digital signature: the signature's SignedInfo does not match the prescription (digest or timestamp differ)",
        expression: ['Bundle.entry.resource.ofType(Provenance).signature'],
      }],
    });
  });

  it('the example signed over its NHS England SignedInfo is accepted: 200 as the example', async () => {
    const accepted = await call(spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', gp, signedOrder(example(PREPARE_REQUEST)));
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.deepEqual(withoutMeta(accepted.body), withoutMeta(example(`${ACUTE}1-Process-Response-Send-200_OK.json`)));
  });
});
