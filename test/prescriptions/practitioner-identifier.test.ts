import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call, example, freshOrder, nhsNumberOf, shortFormIdOf, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';

/**
 * The dispenser's PractitionerRole names its practitioner by identifier and display, as every release,
 * claim, return and withdrawal of the spec's examples does: one naming it by reference is the spec's
 * verification error (fhir-dispensing.yaml "Errors": `/Claim`, `/Task/$release`, `/Task`, 400 `invalid`,
 * "Parameters.parameter("agent").resource.practitioner populated incorrectly. Please populate with
 * Identifier and Display."), and nothing is done. Over HTTP on PostgreSQL, as deployed.
 */
describe('EPS dispensing: the practitioner by identifier, not by reference', () => {
  const rig = dispensingRig();
  const BY_REFERENCE = { reference: 'urn:uuid:a5acefc1-f8ca-4989-a5ac-34c8ffc0b9e6' };

  const refused = (r: Response, field: string) => {
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.deepEqual(r.body.issue.map((i: Json) => ({ code: i.code, details: i.details, diagnostics: i.diagnostics, expression: i.expression })), [{
      code: 'invalid', details: undefined, diagnostics: `${field} populated incorrectly. Please populate with Identifier and Display.`, expression: [field],
    }]);
  };
  const status = async (order: Json) => rig.flow.issuesIn(await rig.flow.track('FA565', order));

  it("a release whose agent's practitioner is a reference is refused in the spec's words, and releases nothing", async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    const body = structuredClone(example('spec/dispensing/release/acute-primary-example-req.json'));
    for (const p of body.parameter) {
      if (p.name === 'owner') p.resource.identifier[0].value = 'FA565';
      if (p.name === 'group-identifier') p.valueIdentifier.value = shortFormIdOf(order);
      if (p.name === 'agent') p.resource.practitioner = BY_REFERENCE;
    }
    refused(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task/$release', await rig.flow.worker('FA565'), body), 'Parameters.parameter("agent").resource.practitioner');
    assert.deepEqual(await status(order), [[1, '0001']], 'not released');
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
  });

  it("a claim, or a return, whose contained PractitionerRole's practitioner is a reference is refused, and changes nothing", async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    const task = structuredClone(example('spec/dispensing/return/acute-primary-example-req.json'));
    task.identifier[0].value = randomUUID();
    task.groupIdentifier.value = shortFormIdOf(order);
    task.for.identifier.value = nhsNumberOf(order);
    for (const c of task.contained) {
      if (c.resourceType === 'Organization') c.identifier[0].value = 'FA565';
      if (c.resourceType === 'PractitionerRole') c.practitioner = { ...c.practitioner, ...BY_REFERENCE };
    }
    refused(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await rig.flow.worker('FA565'), task), 'Task.contained("PractitionerRole").practitioner');
    assert.deepEqual(await status(order), [[1, '0002']], 'not returned');

    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'])).status, 200);
    const byReference = (body: Json) => { for (const c of body.contained) if (c.resourceType === 'PractitionerRole') c.practitioner = BY_REFERENCE; };
    refused(await rig.flow.claim('FA565', order, { change: byReference }), 'Claim.contained("PractitionerRole").practitioner');
    assert.deepEqual(await status(order), [[1, '0006']], 'not claimed');
    assert.equal((await rig.flow.claim('FA565', order)).status, 200);
  });
});
