import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freshOrder, itemIdsOf, type Json, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';

/** A claim's lines are held to what the dispense notifications recorded of each item: over HTTP on PostgreSQL, as deployed. */
describe('EPS claim lines', () => {
  const rig = dispensingRig();

  const lineRefused = (r: Response, item: string, was: string, claimed: string) => {
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.deepEqual(r.body.issue.map((i: Json) => ({ code: i.code, coding: i.details.coding, diagnostics: i.diagnostics, expression: i.expression })), [{
      code: 'business-rule',
      coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/EPS-IssueCode', code: 'PRESCRIPTION_INVALID_LINE_STATE_TRANSITION',
        display: 'The requested operation is not valid for the current state of the prescription.' }],
      diagnostics: `Item ${item} is '${was}' and cannot be claimed as '${claimed}'.`,
      expression: ['Claim.item.detail.modifier'],
    }]);
  };

  it('an item the dispense notification reported not dispensed (0002) is not claimed as fully dispensed, nor any item as still owed: PRESCRIPTION_INVALID_LINE_STATE_TRANSITION, nothing claimed', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    const [first] = itemIdsOf(order);
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0002', '0001', '0001', '0001'])).status, 200);
    // The spec's claim example: its first line claims the first item fully dispensed.
    lineRefused(await rig.flow.claim('FA565', order), first!, 'Item not dispensed', 'Item fully dispensed');
    lineRefused(await rig.flow.claim('FA565', order, { firstLine: '0003' }), first!, 'Item not dispensed', 'Item dispensed - partial');
    lineRefused(await rig.flow.claim('FA565', order, { firstLine: '0004' }), first!, 'Item not dispensed', 'Item not dispensed owing');
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0006']], 'not claimed');
    // As the notification said: claimed. (Its last line says its item, dispensed, was cancelled, as the spec's claims do: claiming less is let through.)
    assert.equal((await rig.flow.claim('FA565', order, { firstLine: '0002' })).status, 200);
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0008']]);
  });

  it("a line that does not give its item's status (a modifier of medicationdispense-type with a known code) is refused, not taken as saying nothing and claimed", async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0002', '0001', '0001', '0001'])).status, 200);
    const ITEM_TYPES = 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type';
    const refused = (r: Response, code: string, diagnostics: string) => {
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.deepEqual(r.body.issue.map((i: Json) => ({ code: i.details.coding[0].code, diagnostics: i.diagnostics, expression: i.expression })),
        [{ code, diagnostics, expression: ['Claim.item.detail.modifier'] }]);
    };
    const firstLine = (change: (line: Json) => void) => (body: Json) => change(body.item[0].detail[0]);
    const noStatus = `Claim line 1 (Claim.item.detail) does not give its item's status (a modifier coding of ${ITEM_TYPES}).`;
    refused(await rig.flow.claim('FA565', order, { change: firstLine((line) => { delete line.modifier; }) }), 'MISSING_VALUE', noStatus);
    refused(await rig.flow.claim('FA565', order, { change: firstLine((line) => { line.modifier[0].coding[0].system = `${ITEM_TYPES} `; }) }), 'MISSING_VALUE', noStatus);
    refused(await rig.flow.claim('FA565', order, { change: firstLine((line) => { line.modifier[0].coding[0].code = '0099'; }) }), 'INVALID_VALUE',
      `Claim line 1 (Claim.item.detail) gives its item the status '0099', which is not a code of ${ITEM_TYPES}.`);
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0006']], 'not claimed');
    assert.equal((await rig.flow.claim('FA565', order, { firstLine: '0002' })).status, 200);
  });

  it('a claim without lines (no Claim.item.detail) is MISSING_VALUE, not a claim of the prescription for nothing', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'])).status, 200);
    for (const change of [(body: Json) => { body.item[0].detail = []; }, (body: Json) => { delete body.item[0].detail; }, (body: Json) => { body.item = [{}]; }]) {
      const refused = await rig.flow.claim('FA565', order, { change });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.deepEqual(refused.body.issue.map((i: Json) => ({ code: i.details.coding[0].code, diagnostics: i.diagnostics, expression: i.expression })),
        [{ code: 'MISSING_VALUE', diagnostics: 'Claim.item.detail is missing: a claim has a line for each item it claims for.', expression: ['Claim.item.detail'] }]);
    }
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0006']], 'not claimed');
    assert.equal((await rig.flow.claim('FA565', order)).status, 200);
  });

  it("an earlier repeat issue's claim is held to that issue's notification, not the current issue's items", async () => {
    const order = await rig.flow.prescribed(rig.flow.repeatOrder(3));
    const [first] = itemIdsOf(order);
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0002', '0001', '0001', '0001'])).status, 200);
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0006'], [2, '0001']]);
    lineRefused(await rig.flow.claim('FA565', order, { issue: 1, issues: 3 }), first!, 'Item not dispensed', 'Item fully dispensed');
    assert.equal((await rig.flow.claim('FA565', order, { issue: 1, issues: 3, firstLine: '0002' })).status, 200);
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0008'], [2, '0001']]);
  });

  it('a line naming two items (two ClaimMedicationRequestReferences) is INVALID_VALUE naming the reference, not a claim of its quantities against both; nothing is claimed', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    const [first, second] = itemIdsOf(order);
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'])).status, 200);
    const REFERENCE = 'https://fhir.nhs.uk/StructureDefinition/Extension-ClaimMedicationRequestReference';
    const naming = (ids: string[]) => ids.map((value) => ({ url: REFERENCE, valueReference: { identifier: { system: 'https://fhir.nhs.uk/Id/prescription-order-item-number', value } } }));
    const refused = await rig.flow.claim('FA565', order, { change: (body) => {
      const line = body.item[0].detail[1];
      line.extension = [...line.extension.filter((e: Json) => e.url !== REFERENCE), ...naming([first!, second!])];
    } });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.deepEqual(refused.body.issue.map((i: Json) => ({ code: i.code, coding: i.details.coding.map((c: Json) => c.code), diagnostics: i.diagnostics, expression: i.expression })), [{
      code: 'invalid', coding: ['INVALID_VALUE'],
      diagnostics: 'Claim line 2 (Claim.item.detail) names 2 items; a line claims for one medication item (one ClaimMedicationRequestReference).',
      expression: [`Claim.item.detail.extension("Extension-ClaimMedicationRequestReference")`],
    }]);
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0006']], 'not claimed');
    assert.equal((await rig.flow.claim('FA565', order)).status, 200);
  });

  it('a line\'s prescribed quantity (Claim.item.detail.quantity) that is not a number of at least 0 with two decimals at most is INVALID_VALUE naming it, and nothing is claimed', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'])).status, 200);
    for (const value of [-20, 0.001, 1e21]) {
      const refused = await rig.flow.claim('FA565', order, { change: (body) => { body.item[0].detail[2].quantity.value = value; } });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.deepEqual(refused.body.issue.map((i: Json) => ({ code: i.code, coding: i.details.coding.map((c: Json) => c.code), diagnostics: i.diagnostics, expression: i.expression })), [{
        code: 'invalid', coding: ['INVALID_VALUE'],
        diagnostics: `Invalid value - '${value}' in field 'Claim.item.detail.quantity.value': a quantity is a number of at least 0 with at most 2 decimal places.`,
        expression: ['Claim.item.detail[2].quantity.value'],
      }]);
    }
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0006']], 'not claimed');
    assert.equal((await rig.flow.claim('FA565', order)).status, 200);
  });
  it('a claim of two items (Claim.item twice: one claim is of one prescription) is a verification error naming Claim.item, not its lines summed; nothing is claimed', async () => {
    const order = await rig.flow.prescribed(freshOrder({ pharmacy: 'FA565' }));
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'])).status, 200);
    // The one item split in two, each with two of the four lines: read as one claim, it claimed the four.
    const split = (body: Json) => {
      const second = structuredClone(body.item[0]);
      second.detail = body.item[0].detail.splice(2);
      body.item.push(second);
    };
    const refused = await rig.flow.claim('FA565', order, { change: split });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.deepEqual(refused.body.issue, [{ severity: 'error', code: 'value', diagnostics: 'The Claim must contain exactly one item. Received 2.', expression: ['Claim.item'] }]);
    assert.deepEqual(rig.flow.issuesIn(await rig.flow.track('FA565', order)), [[1, '0006']], 'not claimed');
    assert.equal((await rig.flow.claim('FA565', order)).status, 200);
  });
});
