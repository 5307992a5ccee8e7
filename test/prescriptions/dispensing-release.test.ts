import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAppAndToken } from '../support/identity.js';
import type { Activity } from '../../src/platform/auth/activities.js';
import { call, example, freshOrder, itemIdsOf, shortFormIdOf, withoutMeta, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/** EPS release over HTTP on PostgreSQL (deployment rules, demo data): by id and nominated, who may release, exactly once. */
describe('EPS dispensing: release', () => {
  const rig = dispensingRig();
  const eps = dispensingSteps(rig);
  const { pharmacy, newPrescription, releaseBody, release, passed, notification, taskBody, claim, statusOf, noMorePrescriptions } = eps;

  it('an ODS code is the caller\'s exactly as it is written: a pharmacy naming itself in lower case is refused 403 and releases nothing', async () => {
    const order = await newPrescription();
    const lower = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task/$release', await pharmacy('FA565'), releaseBody('fa565', shortFormIdOf(order)));
    assert.equal(lower.status, 403, JSON.stringify(lower.body));
    assert.equal(lower.body.issue[0].diagnostics, "The releasing pharmacy fa565 is not the caller's organisation (FA565)");
    assert.equal(await statusOf(order), '0001', 'still to be dispensed');
    // Had it been taken as FA565's release and recorded as fa565's, FA565 would be told it is with another dispenser.
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
  });

  it("an organisation that is not the caller's is not echoed whole: a 100 kB ODS code is quoted to 100 characters", async () => {
    const order = await newPrescription();
    const huge = 'F'.repeat(100_000);
    const refused = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task/$release', await pharmacy('FA565'), releaseBody(huge, shortFormIdOf(order)));
    assert.equal(refused.status, 403, refused.text.slice(0, 500));
    assert.equal(refused.body.issue[0].diagnostics, `The releasing pharmacy ${'F'.repeat(100)}… (100000 characters) is not the caller's organisation (FA565)`);
    assert.ok(refused.text.length < 2000, `${refused.text.length} characters`);
  });

  it("a release without its owner or agent parameter is the spec's verification error of issue code invalid (its table: 'Required parameter owner is missing.', 400 invalid)", async () => {
    for (const name of ['owner', 'agent']) {
      const body = releaseBody('FA565');
      body.parameter = body.parameter.filter((p: Json) => p.name !== name);
      const refused = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task/$release', await pharmacy('FA565'), body);
      assert.equal(refused.status, 400, refused.text);
      assert.deepEqual(withoutMeta(refused.body), { resourceType: 'OperationOutcome', issue: [{
        severity: 'error', code: 'invalid', diagnostics: `Required parameter ${name} is missing.`, expression: [`Parameters.parameter("${name}")`],
      }] }, name);
    }
  });

  it('releases one prescription by its short-form id: 200 Parameters with the signed order in passedPrescriptions', async () => {
    const order = await newPrescription();
    const released = await release('FA565', shortFormIdOf(order));
    assert.equal(released.status, 200, JSON.stringify(released.body));
    // The spec's release response schema refuses the spec's own release example, so the answer is compared with the example.
    const expected = example('spec/dispensing/release/acute-primary-example-res.json');
    assert.deepEqual(released.body.parameter.map((p: Json) => p.name), expected.parameter.map((p: Json) => p.name));
    assert.equal(passed(released).total, 1);
    assert.equal(shortFormIdOf(passed(released).entry[0].resource), shortFormIdOf(order));
    const bundle = passed(released).entry[0].resource;
    const provenance = bundle.entry.find((e: Json) => e.resource.resourceType === 'Provenance');
    assert.ok(provenance, 'the signature is handed over');
    // Its target names each MedicationRequest by item number, in the order's order (the Provenance schema; the spec's release answers).
    assert.deepEqual(provenance.resource.target, itemIdsOf(order).map((value) => ({ type: 'MedicationRequest', identifier: { system: 'https://fhir.nhs.uk/Id/prescription-order-item-number', value } })));
    assert.equal(provenance.resource.target.length, 4);
    // Its MessageHeader names what the prescriber's did, then the signature, as the spec's release answers do.
    const header = bundle.entry.find((e: Json) => e.resource.resourceType === 'MessageHeader').resource;
    const sentHeader = order.entry.find((e: Json) => e.resource.resourceType === 'MessageHeader').resource;
    assert.deepEqual(header.focus, [...sentHeader.focus, { reference: provenance.fullUrl }]);
    assert.equal(await statusOf(order), '0002');
  });

  it('another pharmacy is told PRESCRIPTION_WITH_ANOTHER_DISPENSER; an unknown id is RESOURCE_NOT_FOUND as the example; a bad checksum FAILURE_TO_PROCESS_MESSAGE', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const other = await release('VNE51', shortFormIdOf(order));
    assert.equal(other.status, 400);
    assert.deepEqual(other.body.issue[0].details.coding, example('spec/errors/release/with-another-dispenser-error.json').issue[0].details.coding);
    assert.equal(other.body.issue[0].code, 'business-rule');
    const unknown = await release('FA565', freshOrder().entry[1].resource.groupIdentifier.value);
    assert.equal(unknown.status, 400);
    assert.deepEqual(withoutMeta(unknown.body), withoutMeta(example('spec/errors/release/not-found-error.json')));
    const checksum = await release('FA565', '24F5DA-A83008-7EFE6Y');
    assert.equal(checksum.body.issue[0].details.coding[0].code, 'FAILURE_TO_PROCESS_MESSAGE');
    const notMine = await release('VNE51', shortFormIdOf(order), await pharmacy('FA565'));
    assert.equal(notMine.status, 403, 'a pharmacy releases only for itself');
  });

  it('a release giving a parameter twice (two prescriptions, two owners) is a verification error and releases nothing, not the first alone', async () => {
    const [first, second] = [await newPrescription(), await newPrescription()];
    const twoIds = releaseBody('FA565', shortFormIdOf(first));
    twoIds.parameter.push({ name: 'group-identifier', valueIdentifier: { system: 'https://fhir.nhs.uk/Id/prescription-order-number', value: shortFormIdOf(second) } });
    const twoOwners = releaseBody('FA565', shortFormIdOf(first));
    twoOwners.parameter.push(structuredClone(twoOwners.parameter.find((p: Json) => p.name === 'owner')));
    twoOwners.parameter[twoOwners.parameter.length - 1].resource.identifier[0].value = 'FN206';
    for (const [body, name] of [[twoIds, 'group-identifier'], [twoOwners, 'owner']] as const) {
      const refused = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task/$release', await pharmacy('FA565'), body);
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.deepEqual(refused.body.issue, [{
        severity: 'error', code: 'value', diagnostics: `Parameter ${name} must be given at most once.`, expression: [`Parameters.parameter("${name}")`],
      }]);
    }
    assert.deepEqual([await statusOf(first), await statusOf(second)], ['0001', '0001'], 'neither released');
  });

  it('nominated release hands over at most 25, oldest first, then the rest, then NO_MORE_PRESCRIPTIONS', async () => {
    const ods = 'FNOM1';
    const orders: Json[] = [];
    for (let i = 0; i < 27; i += 1) orders.push(await newPrescription(ods));
    const first = await release(ods);
    assert.equal(first.status, 200);
    assert.equal(passed(first).total, 25);
    assert.deepEqual(passed(first).entry.map((e: Json) => shortFormIdOf(e.resource)), orders.slice(0, 25).map(shortFormIdOf));
    const second = await release(ods);
    assert.deepEqual(passed(second).entry.map((e: Json) => shortFormIdOf(e.resource)), orders.slice(25).map(shortFormIdOf));
    noMorePrescriptions(await release(ods));
  });

  it('access modes as the specs: an application alone may only download (nominated release); every other call needs a healthcare worker (403 forbidden)', async () => {
    const appHeaders = async (activities: Activity[], odsCode: string) => ({ authorization: `Bearer ${(await createAppAndToken(rig.spine, { activities, odsCode })).token}` });
    const prescribingSystem = await appHeaders(['prescription:prescribe', 'prescription:track'], 'A83008');
    const dispensingSystem = await appHeaders(['prescription:dispense', 'prescription:track'], 'FA565');
    const forbidden = (r: Response, diagnostics: string) => {
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.issue[0].code, 'forbidden');
      assert.equal(r.body.issue[0].details.coding[0].code, 'FORBIDDEN');
      assert.equal(r.body.issue[0].diagnostics, diagnostics);
    };
    const PRESCRIBING = 'Dispensing functionality can only be accessed using the user-restricted access mode.';
    const DISPENSING = 'Dispensing functionality requires user-restricted access unless otherwise stated.';
    forbidden(await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', prescribingSystem, freshOrder()), PRESCRIBING);
    forbidden(await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', prescribingSystem, freshOrder({ pharmacy: 'FA565' })), PRESCRIBING);
    const order = await newPrescription();
    forbidden(await release('FA565', shortFormIdOf(order), dispensingSystem), DISPENSING);
    // The download of the pharmacy's nominated prescriptions is the one call an application makes alone.
    const downloaded = await release('FA565', undefined, dispensingSystem);
    assert.equal(downloaded.status, 200, JSON.stringify(downloaded.body));
    assert.ok(passed(downloaded).entry.some((e: Json) => shortFormIdOf(e.resource) === shortFormIdOf(order)));
    forbidden(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', dispensingSystem, notification(order, 'FA565', '0006')), DISPENSING);
    forbidden(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', dispensingSystem, taskBody('return', order, 'FA565')), DISPENSING);
    forbidden(await claim(order, 'FA565', false, dispensingSystem), DISPENSING);
    // Nothing the application was refused was done: the download left it with the dispenser.
    assert.equal(await statusOf(order), '0002');
  });

  it('a wrong type inside an extension (told apart by its url) or a contained resource whose resourceType is not a string is 400 naming the field', async () => {
    const claimBody = structuredClone(example('spec/dispensing/claim/acute-primary-example-req.json'));
    const reference = claimBody.item[0].detail[0].extension.find((e: Json) => e.url.endsWith('Extension-ClaimMedicationRequestReference'));
    for (const wrong of [12345, null, { x: 1 }, true]) {
      reference.valueReference.identifier.value = wrong;
      const refused = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Claim', await pharmacy('FA565'), claimBody);
      assert.equal(refused.status, 400, `${JSON.stringify(wrong)}: ${refused.text}`);
      assert.match(refused.body.issue[0].diagnostics, /item\/0\/detail\/0\/extension\/\d+\/valueReference\/identifier\/value/, JSON.stringify(wrong));
    }
    const dispenseBody = structuredClone(example('spec/dispensing/dispense-notification/acute-primary-example-01-req.json'));
    const dispensed = dispenseBody.entry.find((e: Json) => e.resource.resourceType === 'MedicationDispense').resource;
    for (const wrong of [null, {}, [], 7]) {
      dispensed.contained[0].resourceType = wrong;
      const refused = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), dispenseBody);
      assert.equal(refused.status, 400, `${JSON.stringify(wrong)}: ${refused.text}`);
      assert.match(refused.body.issue[0].diagnostics, /contained\/0\/resourceType/, JSON.stringify(wrong));
    }
  });

  it('an order naming no pharmacy goes to the one the patient nominated on PDS; one naming a pharmacy, to that one', async () => {
    // 9000000009, a PDS sandbox patient (demo data), is nominated to Y12345.
    const unnamed = freshOrder({ nhsNumber: '9000000009' });
    for (const { resource } of unnamed.entry) if (resource.resourceType === 'MedicationRequest') delete resource.dispenseRequest.performer;
    await newPrescription(undefined, unnamed);
    const named = await newPrescription('FNAM1', freshOrder({ nhsNumber: '9000000009', pharmacy: 'FNAM1' }));
    const nominated = await release('Y12345');
    assert.equal(nominated.status, 200, JSON.stringify(nominated.body));
    assert.deepEqual(passed(nominated).entry.map((e: Json) => shortFormIdOf(e.resource)), [shortFormIdOf(unnamed)]);
    assert.deepEqual(passed(await release('FNAM1')).entry.map((e: Json) => shortFormIdOf(e.resource)), [shortFormIdOf(named)]);
  });

  it('exactly once: 50 pharmacies racing to release one prescription, one gets it, 49 are told it is with another dispenser', async () => {
    const order = await newPrescription();
    const racers = Array.from({ length: 50 }, (_, i) => `FR${String(i).padStart(3, '0')}`);
    for (const ods of racers) await pharmacy(ods);
    const answers = await Promise.all(racers.map((ods) => release(ods, shortFormIdOf(order))));
    const winners = answers.filter((a) => a.status === 200);
    assert.equal(winners.length, 1, answers.map((a) => a.status).join(','));
    for (const loser of answers.filter((a) => a.status !== 200)) {
      assert.equal(loser.status, 400);
      assert.equal(loser.body.issue[0].details.coding[0].code, 'PRESCRIPTION_WITH_ANOTHER_DISPENSER');
    }
    const { rows } = await rig.spine.ctx.db.query(`SELECT count(*)::int AS n FROM platform.outbox WHERE event_type = 'eps-prescription-released' AND payload->>'shortFormId' = $1`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 1, 'one release event');
  });
});
