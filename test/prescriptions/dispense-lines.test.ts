import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freshNhsNumber, freshOrder, itemIdsOf, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';

/** Each MedicationDispense of a dispense notification names its item, that item's status and the patient: over HTTP on PostgreSQL, as deployed. */
describe('EPS dispense notification lines', () => {
  const rig = dispensingRig();
  const dispenses = (body: Json): Json[] => body.entry.filter((e: Json) => e.resource.resourceType === 'MedicationDispense').map((e: Json) => e.resource);
  const requestOf = (dispense: Json): Json => dispense.contained.find((c: Json) => c.resourceType === 'MedicationRequest');

  const missingValue = (r: Response, diagnostics: string, expression: string) => {
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.deepEqual(r.body.issue, [{
      severity: 'error', code: 'value', diagnostics, expression: [expression],
      details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode', code: 'MISSING_VALUE', display: 'Required value is missing' }] },
    }]);
  };

  /** The prescription, released to FA565 and still untouched: with the dispenser (0002), every item 0008. */
  const unchanged = async (order: Json) => {
    const tracked = await rig.flow.track('FA565', order);
    assert.deepEqual(rig.flow.issuesIn(tracked), [[1, '0002']]);
    assert.deepEqual(rig.flow.itemCodes(tracked, itemIdsOf(order)), ['0008', '0008', '0008', '0008']);
  };

  it('a MedicationDispense naming its item by another system is MISSING_VALUE, not a line naming nothing that the business status fills in as fully dispensed', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    // Every line says its item was not dispensed, but names it by 'prescription-order-item-number ' (a trailing space).
    const refused = await rig.flow.dispense('FA565', order, '0006', ['0002', '0002', '0002', '0002'], (body) => {
      for (const dispense of dispenses(body)) requestOf(dispense).identifier[0].system += ' ';
    });
    missingValue(refused, 'MedicationDispense 1 does not name its item: its contained MedicationRequest has no https://fhir.nhs.uk/Id/prescription-order-item-number identifier.',
      'Bundle.entry.resource.ofType(MedicationDispense)[0].contained.ofType(MedicationRequest).identifier');
    await unchanged(order);
    // So is one whose contained MedicationRequest is missing altogether (the third line here).
    missingValue(await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], (body) => {
      const third = dispenses(body)[2]!;
      third.contained = third.contained.filter((c: Json) => c.resourceType !== 'MedicationRequest');
    }), 'MedicationDispense 3 does not name its item: its contained MedicationRequest has no https://fhir.nhs.uk/Id/prescription-order-item-number identifier.',
    'Bundle.entry.resource.ofType(MedicationDispense)[2].contained.ofType(MedicationRequest).identifier');
    await unchanged(order);
  });

  it('every MedicationDispense names the one patient: one for another patient is a verification error, one naming none MISSING_VALUE, and nothing is recorded', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    const another = await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], (body) => {
      dispenses(body)[1]!.subject.identifier.value = freshNhsNumber();
    });
    assert.equal(another.status, 400, JSON.stringify(another.body));
    assert.deepEqual(another.body.issue, [{
      severity: 'error', code: 'value', diagnostics: 'Expected all MedicationDispenses to have the same value for subject.',
      expression: ['Bundle.entry.resource.ofType(MedicationDispense).subject'],
    }]);
    missingValue(await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], (body) => { delete dispenses(body)[0]!.subject; }),
      'MedicationDispense 1 does not name its patient (subject.identifier, an NHS number).', 'Bundle.entry.resource.ofType(MedicationDispense)[0].subject');
    await unchanged(order);
  });

  it("a MedicationDispense without its item's status (type of medicationdispense-type) is MISSING_VALUE, and nothing is recorded", async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    const expected = (line: number) => [`MedicationDispense ${line + 1} does not give its item's status: it has no type code of https://fhir.nhs.uk/CodeSystem/medicationdispense-type.`,
      `Bundle.entry.resource.ofType(MedicationDispense)[${line}].type`] as const;
    missingValue(await rig.flow.dispense('FA565', order, '0006', ['0002', '0002', '0002', '0002'], (body) => {
      for (const dispense of dispenses(body)) delete dispense.type;
    }), ...expected(0));
    missingValue(await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], (body) => {
      dispenses(body)[1]!.type.coding[0].system = 'https://fhir.nhs.uk/CodeSystem/medicationdispense-typ';
    }), ...expected(1));
    missingValue(await rig.flow.dispense('FA565', order, '0003', ['0001', '0001', '0001', '0001'], (body) => {
      delete dispenses(body)[3]!.type.coding[0].code;
    }), ...expected(3));
    await unchanged(order);
    // Every line naming its item and status: taken.
    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0002', '0001'])).status, 200);
    assert.deepEqual(rig.flow.itemCodes(await rig.flow.track('FA565', order), itemIdsOf(order)), ['0001', '0001', '0002', '0001']);
  });
});
