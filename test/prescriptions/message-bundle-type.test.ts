import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, example, freshOrder, nhsNumberOf, prescribe, shortFormIdOf, workerHeaders, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';

/**
 * A message (`$prepare`, `$process-message` on either base, `$validate`) is a FHIR message Bundle: its
 * `type` is `message` (the spec's schemas give it that one value; every example sends it). Another type,
 * or none, is the spec's verification error for a field of listed values (400 `value`, "… must be one
 * of: …"), naming `Bundle.type`, and nothing is recorded. Before, any type was taken as a message.
 */
describe('EPS messages: Bundle.type is message', () => {
  const rig = dispensingRig();
  const notAMessage = (r: Response, name: string) => {
    assert.equal(r.status, 400, `${name}: ${r.text}`);
    assert.deepEqual(r.body.issue, [{ severity: 'error', code: 'value', diagnostics: "Bundle.type must be one of: 'message'.", expression: ['Bundle.type'] }], name);
  };
  const typed = (body: Json, type: unknown) => {
    const copy = structuredClone(body);
    if (type === undefined) delete copy.type;
    else copy.type = type;
    return copy;
  };

  it('a dispense notification of another type, or none, is refused and records nothing; $validate says so', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    const pharmacy = await rig.flow.worker('FA565');
    for (const type of ['collection', 'document', 'transaction', undefined]) {
      let body: Json = {};
      const sent = await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], (b) => { if (type === undefined) delete b.type; else b.type = type; body = b; });
      notAMessage(sent, String(type));
      const validated = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$validate', pharmacy, body);
      assert.equal(validated.status, 200, validated.text);
      assert.deepEqual(validated.body.issue.map((i: Json) => [i.code, i.diagnostics]), [['value', "Bundle.type must be one of: 'message'."]]);
    }
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0002']], 'still with the dispenser: nothing dispensed');
    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'])).status, 200);
  });

  it('a message whose first entry is not its MessageHeader, or with two, is refused as a verification error, and records nothing', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    const header = (b: Json) => b.entry.findIndex((e: Json) => e.resource.resourceType === 'MessageHeader');
    const refused = (r: Response, diagnostics: string, expression: string) => {
      assert.equal(r.status, 400, r.text);
      assert.deepEqual(r.body.issue, [{ severity: 'error', code: 'value', diagnostics, expression: [expression] }]);
    };
    // A second MessageHeader, from another pharmacy: it was read past.
    refused(await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], (b) => {
      const other = structuredClone(b.entry[header(b)]);
      other.resource.sender.identifier.value = 'FH542';
      b.entry.push(other);
    }), 'Bundle contains too many resources of type MessageHeader. Expected at most 1.', 'Bundle.entry');
    refused(await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], (b) => { b.entry.push(b.entry.splice(header(b), 1)[0]); }),
      'The first entry of a message Bundle must be its MessageHeader.', 'Bundle.entry[0].resource');
    const gp = await workerHeaders(rig.spine, 'A83008', 'R8000');
    const moved = freshOrder({ pharmacy: 'FA565' });
    moved.entry.push(moved.entry.splice(header(moved), 1)[0]);
    refused(await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, moved), 'The first entry of a message Bundle must be its MessageHeader.', 'Bundle.entry[0].resource');
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0002']], 'still with the dispenser: nothing dispensed');
  });

  it('a prescription-order (and its $prepare) or a cancellation of another type is refused, and nothing is stored', async () => {
    const gp = await workerHeaders(rig.spine, 'A83008', 'R8000');
    const order = freshOrder({ pharmacy: 'FA565' });
    notAMessage(await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', gp, typed(order, 'collection')), '$prepare');
    notAMessage(await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', gp, typed(order, 'searchset')), 'prescription-order');
    const validated = await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$validate', gp, typed(order, 'batch'));
    assert.equal(validated.status, 200, validated.text);
    assert.equal(validated.body.issue[0].diagnostics, "Bundle.type must be one of: 'message'.");
    const released = await rig.flow.release('FA565', order);
    assert.equal(released.status, 400, 'nothing was stored');
    // Signed as a message, the order is taken; a cancellation of it that is not one is refused.
    assert.equal((await prescribe(rig.spine, gp, order)).status, 200);
    const cancel = structuredClone(example('primary-care/acute/nominated-pharmacy/medical-prescriber/cancellations/2-Process-Request-Cancel-200_OK.json'));
    for (const { resource } of cancel.entry) {
      if (resource.resourceType === 'MedicationRequest') resource.groupIdentifier.value = shortFormIdOf(order);
      if (resource.resourceType === 'Patient') resource.identifier[0].value = nhsNumberOf(order);
    }
    notAMessage(await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', gp, typed(cancel, undefined)), 'cancellation');
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0001']], 'not cancelled');
  });
});
