import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, example, freshOrder, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';

/**
 * A value the client sent, quoted back in a refusal's diagnostics, is quoted to 64 characters: a
 * 100 kB prescription id, item status, item id, unit or validity date came back whole in the 400 (found by
 * probing). Over HTTP on PostgreSQL, as deployed.
 */
describe('EPS refusals quote a huge value, not echo it', () => {
  const rig = dispensingRig();
  const HUGE = 'Z'.repeat(100_000);

  const refusedShort = (r: Response, diagnostics: RegExp) => {
    assert.equal(r.status, 400, r.text.slice(0, 300));
    const said = String(r.body.issue[0].diagnostics);
    assert.match(said, diagnostics);
    assert.ok(said.length < 400, `diagnostics of ${said.length} characters`);
    assert.ok(r.text.length < 2000, `an answer of ${r.text.length} characters`);
  };

  it('a release naming a prescription id of 100 kB', async () => {
    const body = structuredClone(example('spec/dispensing/release/acute-primary-example-req.json'));
    for (const p of body.parameter) {
      if (p.name === 'owner') p.resource.identifier[0].value = 'FA565';
      if (p.name === 'group-identifier') p.valueIdentifier.value = HUGE;
    }
    refusedShort(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/Task/$release', await rig.flow.worker('FA565'), body), /^'Z{64}…' is not a short-form prescription id\.$/);
  });

  it('a dispense notification giving an item status, or a business status, of 100 kB; a claim naming an item id of 100 kB', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    const firstDispense = (change: (d: Json) => void) => (body: Json) => change(body.entry.find((e: Json) => e.resource.resourceType === 'MedicationDispense').resource);
    refusedShort(await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], (body) => {
      for (const e of body.entry) if (e.resource.resourceType === 'MedicationDispense') e.resource.extension[0].valueCoding.code = HUGE;
    }), /^Task business status 'Z{64}…' is not 0003, 0006 or 0007\.$/);
    refusedShort(await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], firstDispense((d) => { d.type.coding[0].code = HUGE; })),
      /^MedicationDispense\.type 'Z{64}…' is not a code of /);
    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'])).status, 200);
    refusedShort(await rig.flow.claim('FA565', order, { change: (body) => {
      const reference = body.item[0].detail[0].extension.find((e: Json) => e.url.endsWith('ClaimMedicationRequestReference'));
      reference.valueReference.identifier.value = HUGE;
    } }), /^The prescription has no item Z{64}…\.$/);
    refusedShort(await rig.flow.claim('FA565', order, { change: (body) => { body.item[0].detail[0].modifier[0].coding[0].code = HUGE; } }),
      /gives its item the status 'Z{64}…', which is not a code of /);
    // A quantity claimed in a unit of 100 kB (another unit than the item was dispensed in).
    refusedShort(await rig.flow.claim('FA565', order, { change: (body) => { body.item[0].detail[0].subDetail[0].quantity = { value: 1, unit: HUGE }; } }),
      /^Invalid value - '1 Z{64}…' in field 'Claim\.item\.detail\.subDetail\.quantity': /);
  });

  it('an order whose validity period starts on a day of 100 kB, at $prepare and when sent', async () => {
    const order = freshOrder({ pharmacy: 'FA565' });
    for (const { resource } of order.entry) if (resource.resourceType === 'MedicationRequest') resource.dispenseRequest.validityPeriod.start = HUGE;
    for (const operation of ['$prepare', '$process-message']) {
      refusedShort(await call(rig.spine, 'POST', `/fhir-prescribing/FHIR/R4/${operation}`, await rig.flow.worker('A83008'), order),
        /^dispenseRequest\.validityPeriod\.start 'Z{64}…' is not a whole date/);
    }
  });
});
