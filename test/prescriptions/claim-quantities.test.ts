import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freshOrder, itemIdsOf, type Json, type Response } from './support.js';
import { dispensingRig, issueCodeOf } from './dispensing-flow.js';

/**
 * A claim is held to what was dispensed (over HTTP on PostgreSQL, as deployed): its lines' quantities
 * (Claim.item.detail.subDetail.quantity, "The quantity of the medication dispensed to the patient") may
 * not claim more of an item than the dispense notifications in force dispensed, nor claim it in another
 * unit. The spec has no error for it: INVALID_VALUE naming the field (400 `invalid`), as a notification
 * supplying more than was prescribed. Before, a claim's quantities were not read at all.
 */
describe('EPS claims: no more than was dispensed', () => {
  const rig = dispensingRig();
  const TABLET = { unit: 'tablet', system: 'http://snomed.info/sct', code: '428673006' };

  /** The fresh acute order (20, 20, 30 and 30 tablets), released to FA565 and dispensed in full, each line supplying `supplied` of its item. */
  const dispensed = async (supplied: Array<number | Json>, order = freshOrder({ pharmacy: 'FA565' })) => {
    await rig.flow.prescribed(order);
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    const sent = await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], withQuantities(supplied));
    assert.equal(sent.status, 200, sent.text);
    return order;
  };
  const withQuantities = (supplied: Array<number | Json>) => (body: Json) => {
    body.entry.filter((e: Json) => e.resource.resourceType === 'MedicationDispense').forEach((e: Json, i: number) => {
      const q = supplied[i]!;
      e.resource.quantity = typeof q === 'number' ? { value: q, ...TABLET } : q;
    });
  };
  /** The claim's lines claim `claimed` of each item (a list: one subDetail each), the spec's example otherwise. */
  const claiming = (claimed: Array<number | Json | Array<number | Json>>) => (body: Json) => {
    body.item[0].detail.forEach((line: Json, i: number) => {
      const quantities = [claimed[i] ?? []].flat();
      line.subDetail = quantities.map((q, j) => ({ sequence: j + 1, productOrService: structuredClone(line.productOrService), quantity: typeof q === 'number' ? { value: q, ...TABLET } : q }));
      if (line.subDetail.length === 0) delete line.subDetail;
    });
  };
  const overClaimed = (r: Response, diagnostics: string | RegExp, expression = 'Claim.item.detail.subDetail.quantity') => {
    assert.equal(r.status, 400, r.text);
    assert.equal(issueCodeOf(r), 'INVALID_VALUE');
    assert.equal(r.body.issue[0].code, 'invalid');
    assert.deepEqual(r.body.issue[0].expression, [expression]);
    if (typeof diagnostics === 'string') assert.equal(r.body.issue[0].diagnostics, diagnostics);
    else assert.match(r.body.issue[0].diagnostics, diagnostics);
  };
  const status = async (order: Json) => rig.flow.issuesIn(await rig.flow.track('FA565', order));

  it('a claim for more of an item than was dispensed is refused and claims nothing; as much as was dispensed, or less, is claimed', async () => {
    const order = await dispensed([20, 20, 15, 30]);
    const third = itemIdsOf(order)[2];
    // The spec's example claims 15 + 15 of the third item (two products): 15 were dispensed.
    overClaimed(await rig.flow.claim('FA565', order, { change: claiming([20, 20, [15, 15]]) }),
      `Invalid value - '30' in field 'Claim.item.detail.subDetail.quantity': item ${third} was dispensed 15 tablet (by the dispense notifications in force); a claim cannot be for more than was dispensed.`);
    overClaimed(await rig.flow.claim('FA565', order, { change: claiming([20.01, 20, 15]) }), /'20.01'.*was dispensed 20 tablet/);
    assert.deepEqual(await status(order), [[1, '0006']], 'not claimed');
    assert.equal((await rig.flow.claim('FA565', order, { change: claiming([20, 19.5, [10, 5]]) })).status, 200);
    assert.deepEqual(await status(order), [[1, '0008']]);
  });

  it('an amendment is held to it too, and two lines naming one item are summed', async () => {
    const order = await dispensed([20, 20, 30, 30]);
    let claimIdentifier = '';
    const first = await rig.flow.claim('FA565', order, { change: (body) => { claiming([20, 20, 30])(body); claimIdentifier = body.identifier[0].value; } });
    assert.equal(first.status, 200, first.text);
    const amend = (claimed: Array<number | Json | Array<number | Json>>, extra?: (body: Json) => void) => (body: Json) => {
      claiming(claimed)(body);
      body.extension.push({ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-replacementOf', valueIdentifier: { system: 'https://tools.ietf.org/html/rfc4122', value: claimIdentifier } });
      extra?.(body);
    };
    overClaimed(await rig.flow.claim('FA565', order, { change: amend([21, 20, 30]) }), /'21'.*was dispensed 20 tablet/);
    // A second line for the first item: 20 + 1 of it.
    overClaimed(await rig.flow.claim('FA565', order, { change: amend([20, 20, 30], (body) => {
      body.item[0].detail.push({ ...structuredClone(body.item[0].detail[0]), sequence: 5, subDetail: [{ ...structuredClone(body.item[0].detail[0].subDetail[0]), quantity: { value: 1, ...TABLET } }] });
    }) }), /'21'.*was dispensed 20 tablet/);
    assert.equal((await rig.flow.claim('FA565', order, { change: amend([20, 20, 29]) })).status, 200);
  });

  it('a quantity claimed in another unit than its item was dispensed in is refused; one that is not a number of at least 0 with two decimals is INVALID_VALUE naming it', async () => {
    const order = await dispensed([20, 20, 30, 30]);
    const first = itemIdsOf(order)[0];
    overClaimed(await rig.flow.claim('FA565', order, { change: claiming([{ value: 1, unit: 'pack', system: 'http://snomed.info/sct', code: '3318611000001103' }, 20, 30]) }),
      `Invalid value - '1 pack' in field 'Claim.item.detail.subDetail.quantity': item ${first} was dispensed 20 tablet (by the dispense notifications in force); a quantity claimed in another unit cannot be held to what was dispensed.`);
    // Its text says tablet, its code millilitre: not tablets.
    overClaimed(await rig.flow.claim('FA565', order, { change: claiming([{ value: 5, unit: 'tablet', system: 'http://snomed.info/sct', code: '258773002' }, 20, 30]) }), /'5 tablet'.*another unit/);
    for (const value of [-20, 0.001, 1e21]) {
      const r = await rig.flow.claim('FA565', order, { change: claiming([{ value, ...TABLET }, 20, 30]) });
      assert.equal(r.status, 400, `${value}: ${r.text}`);
      assert.equal(issueCodeOf(r), 'INVALID_VALUE');
      assert.deepEqual(r.body.issue[0].expression, ['Claim.item.detail[0].subDetail[0].quantity.value'], String(value));
    }
    assert.deepEqual(await status(order), [[1, '0006']], 'not claimed');
    // The tablet unit of presentation (732936001, as the spec's acute notifications write tablets) is tablets.
    assert.equal((await rig.flow.claim('FA565', order, { change: claiming([{ value: 20, unit: 'tablet', system: 'http://snomed.info/sct', code: '732936001' }, 20, 30]) })).status, 200);
  });

  it('an item dispensed in a unit that cannot be converted (packs of tablets) is not known, and its claim not held to it; an item not dispensed is claimed none of', async () => {
    const packs = { value: 2, unit: 'pack', system: 'http://snomed.info/sct', code: '3318611000001103' };
    const order = await dispensed([packs, 20, 30, 30]);
    assert.equal((await rig.flow.claim('FA565', order, { change: claiming([20, 20, 30]) })).status, 200);
    const other = freshOrder({ pharmacy: 'FA565' });
    await rig.flow.prescribed(other);
    assert.equal((await rig.flow.release('FA565', other)).status, 200);
    assert.equal((await rig.flow.dispense('FA565', other, '0006', ['0002', '0001', '0001', '0001'], withQuantities([0, 20, 30, 30]))).status, 200);
    overClaimed(await rig.flow.claim('FA565', other, { firstLine: '0002', change: claiming([1, 20, 30]) }), /'1'.*was dispensed 0 tablet/);
    assert.equal((await rig.flow.claim('FA565', other, { firstLine: '0002', change: claiming([[], 20, 30]) })).status, 200);
  });

  it('a claim is held to every notification in force together (a partial one, then the rest); an earlier repeat issue to its own notifications', async () => {
    const order = freshOrder({ pharmacy: 'FA565' });
    await rig.flow.prescribed(order);
    assert.equal((await rig.flow.release('FA565', order)).status, 200);
    const partial = ['0003', '0003', '0003', '0003'];
    assert.equal((await rig.flow.dispense('FA565', order, '0003', partial, withQuantities([10, 10, 10, 10]))).status, 200);
    assert.equal((await rig.flow.dispense('FA565', order, '0006', ['0001', '0001', '0001', '0001'], withQuantities([5, 10, 20, 20]))).status, 200);
    overClaimed(await rig.flow.claim('FA565', order, { change: claiming([20, 20, 30]) }), /'20'.*was dispensed 15 tablet/);
    assert.equal((await rig.flow.claim('FA565', order, { change: claiming([15, 20, 30]) })).status, 200);

    const repeat = rig.flow.repeatOrder(3);
    await rig.flow.prescribed(repeat);
    assert.equal((await rig.flow.release('FA565', repeat)).status, 200);
    assert.equal((await rig.flow.dispense('FA565', repeat, '0006', ['0001', '0001', '0001', '0001'], withQuantities([10, 20, 30, 30]))).status, 200);
    assert.equal((await rig.flow.release('FA565', repeat)).status, 200);
    assert.equal((await rig.flow.dispense('FA565', repeat, '0006', ['0001', '0001', '0001', '0001'], withQuantities([20, 20, 30, 30]))).status, 200);
    overClaimed(await rig.flow.claim('FA565', repeat, { issue: 1, issues: 3, change: claiming([20, 20, 30]) }), /'20'.*was dispensed 10 tablet/);
    assert.equal((await rig.flow.claim('FA565', repeat, { issue: 1, issues: 3, change: claiming([10, 20, 30]) })).status, 200);
    assert.equal((await rig.flow.claim('FA565', repeat, { issue: 2, issues: 3, change: claiming([20, 20, 30]) })).status, 200);
  });
});
