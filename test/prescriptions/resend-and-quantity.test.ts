import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call, shortFormIdOf, type Json, type Response } from './support.js';
import { dispensingRig, issueCodeOf } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/** A deployed Spine's dispensing steps (dispensing-steps.ts), a POST by FA565 under a new X-Request-ID, and a prescription's history events. */
function dispensingCalls() {
  const rig = dispensingRig();
  const eps = dispensingSteps(rig);
  const post = async (path: string, body: Json) => call(rig.spine, 'POST', `/fhir-dispensing/FHIR/R4/${path}`, { ...(await eps.pharmacy('FA565')), 'x-request-id': randomUUID() }, body);
  const historyOf = async (order: Json) =>
    (await rig.spine.ctx.db.query(`SELECT event FROM prescriptions.history WHERE short_form_id = $1 ORDER BY seq`, [shortFormIdOf(order)])).rows.map((r) => r.event);
  return { rig, eps, post, historyOf };
}

/**
 * A claim, return or withdrawal is one message, named by its identifier (Claim.identifier, "Unique identifier for the
 * Claim"; Task.identifier, "The unique identifier for the Return/Withdraw Request"), as a dispense notification is by its
 * Bundle.identifier: sent again under another X-Request-ID with the same body it is answered as the first was, recorded
 * once; with another body its identifier is reused (400 INVALID_VALUE). Before, it was refused by the state the first had
 * left (PRESCRIPTION_INVALID_STATE_TRANSITION).
 */
describe('EPS dispensing: a claim, return or withdrawal sent again under another X-Request-ID', () => {
  const { rig, eps, post, historyOf } = dispensingCalls();
  const { newPrescription, release, notification, success } = eps;
  const claimBodyOf = async (order: Json) => {
    let body: Json = {};
    success(await eps.claim(order, 'FA565', false, undefined, undefined, 2, (b) => { body = structuredClone(b); }));
    return body;
  };
  const dispensed = async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await post('$process-message', notification(order, 'FA565', '0006')));
    return order;
  };

  it('a claim sent again is answered as the first, and recorded once; so after it was amended', async () => {
    const order = await dispensed();
    const claim = await claimBodyOf(order);
    success(await post('Claim', claim));
    assert.deepEqual(await historyOf(order), ['created', 'released', 'dispensed', 'claimed']);
    success(await eps.claim(order, 'FA565', true));
    success(await post('Claim', claim));
    assert.deepEqual(await historyOf(order), ['created', 'released', 'dispensed', 'claimed', 'claim-amended']);
  });

  it('a claim identifier sent again with another body, or an identifier of another message, is INVALID_VALUE naming it', async () => {
    const order = await dispensed();
    const claim = await claimBodyOf(order);
    const other = structuredClone(claim);
    other.extension.push({ url: 'https://fhir.nhs.uk/StructureDefinition/Extension-replacementOf', valueIdentifier: { system: 'https://tools.ietf.org/html/rfc4122', value: claim.identifier[0].value } });
    const reused = await post('Claim', other);
    assert.equal(reused.status, 400, JSON.stringify(reused.body));
    assert.equal(issueCodeOf(reused), 'INVALID_VALUE');
    assert.deepEqual(reused.body.issue[0].expression, ['Claim.identifier']);
    assert.match(reused.body.issue[0].diagnostics, /identifies an earlier claim with another body/);
    const ret = eps.taskBody('return', order, 'FA565');
    ret.identifier[0].value = claim.identifier[0].value.toUpperCase();
    const crossed = await post('Task', ret);
    assert.equal(crossed.status, 400, JSON.stringify(crossed.body));
    assert.deepEqual(crossed.body.issue[0].expression, ['Task.identifier']);
    assert.match(crossed.body.issue[0].diagnostics, /identifies an earlier claim; a new return needs a new identifier/);
    assert.deepEqual(await historyOf(order), ['created', 'released', 'dispensed', 'claimed']);
  });

  it('a return sent again is answered as the first, even once the prescription is released again, and returns nothing', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const ret = eps.taskBody('return', order, 'FA565');
    success(await post('Task', ret));
    success(await post('Task', ret));
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    success(await post('Task', ret));
    assert.deepEqual(await historyOf(order), ['created', 'released', 'returned', 'released']);
    assert.equal(await eps.statusOf(order), '0002');
  });

  it('a withdrawal sent again is answered as the first, and takes back one notification', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    for (let i = 0; i < 2; i++) {
      const partial = notification(order, 'FA565', '0003');
      success(await post('$process-message', partial));
      eps.lastSent.set(`notification ${shortFormIdOf(order)}`, partial.identifier.value);
    }
    const withdraw = eps.taskBody('withdraw', order, 'FA565');
    success(await post('Task', withdraw));
    success(await post('Task', withdraw));
    assert.deepEqual(await historyOf(order), ['created', 'released', 'partially-dispensed', 'partially-dispensed', 'withdrawn']);
    assert.equal(await eps.statusOf(order), '0003');
  });

  it("a message's own identifier that is not a UUID (the spec's Rfc4122), or a Bundle.id that is not a FHIR id, is INVALID_VALUE naming it (a return's UNABLE_TO_PROCESS_MESSAGE)", async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const huge = eps.taskBody('return', order, 'FA565');
    huge.identifier[0].value = 'x'.repeat(400_000);
    const n = notification(order, 'FA565', '0003');
    n.identifier.value = 'not-a-uuid';
    const id = notification(order, 'FA565', '0003');
    id.id = 'y'.repeat(65);
    for (const [path, body, field] of [['Task', huge, 'Task.identifier.value'], ['$process-message', n, 'Bundle.identifier.value'], ['$process-message', id, 'Bundle.id']] as const) {
      const r = await post(path, body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      // A return's in its own table's code (return-errors.test.ts).
      assert.equal(issueCodeOf(r), path === 'Task' ? 'UNABLE_TO_PROCESS_MESSAGE' : 'INVALID_VALUE');
      assert.deepEqual(r.body.issue[0].expression, [field]);
      assert.ok(r.text.length < 2000, 'the value is not echoed whole');
    }
    assert.deepEqual(await historyOf(order), ['created', 'released']);
  });

  it('sent at once, each is recorded once and every answer is 200', async () => {
    const order = await dispensed();
    const claim = await (async () => { const b = await claimBodyOf(order); return b; })();
    const answers = await Promise.all([post('Claim', claim), post('Claim', claim), post('Claim', claim)]);
    for (const answer of answers) success(answer);
    const other = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(other))).status, 200);
    const ret = eps.taskBody('return', other, 'FA565');
    for (const answer of await Promise.all([post('Task', ret), post('Task', ret), post('Task', ret)])) success(answer);
    assert.deepEqual(await historyOf(other), ['created', 'released', 'returned']);
    assert.deepEqual(await historyOf(order), ['created', 'released', 'dispensed', 'claimed']);
  });
});

/**
 * The dispense notifications in force may not supply more of an item than was prescribed (its MedicationRequest's
 * dispenseRequest.quantity): the spec has no error for it, so INVALID_VALUE (as its other dispense notification value
 * conflicts, examples/errors/3), naming MedicationDispense.quantity. Before, any quantity was recorded.
 */
describe('EPS dispensing: more than was prescribed', () => {
  const { rig, eps, post, historyOf } = dispensingCalls();
  const { newPrescription, release, notification, success } = eps;
  /** The notification with each line's quantity (the example's items are prescribed 20, 20, 30 and 30 tablets). */
  const withQuantities = (body: Json, values: Array<number | string | undefined>) => {
    body.entry.filter((e: Json) => e.resource.resourceType === 'MedicationDispense').forEach((e: Json, i: number) => {
      if (values[i] !== undefined) e.resource.quantity.value = values[i];
    });
    return body;
  };
  const refusedOver = (r: Response, pattern: RegExp) => {
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(issueCodeOf(r), 'INVALID_VALUE');
    assert.equal(r.body.issue[0].code, 'invalid');
    assert.deepEqual(r.body.issue[0].expression, ['MedicationDispense.quantity']);
    assert.match(r.body.issue[0].diagnostics, pattern);
  };
  const released = async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    return order;
  };

  it('one notification supplying more than prescribed is refused, and records nothing', async () => {
    const order = await released();
    refusedOver(await post('$process-message', withQuantities(notification(order, 'FA565', '0006'), [2000])), /was prescribed 20 tablet; a dispense notification cannot supply more/);
    assert.deepEqual(await historyOf(order), ['created', 'released']);
    success(await post('$process-message', withQuantities(notification(order, 'FA565', '0006'), [20, 20, 30, 30])));
  });

  it('partial notifications adding up to more are refused; up to it they are taken; a withdrawal or an amendment gives back what it takes', async () => {
    const order = await released();
    const partial = ['0003', '0003', '0003', '0003'];
    success(await post('$process-message', withQuantities(notification(order, 'FA565', '0003', false, partial), [15, 15, 15, 15])));
    refusedOver(await post('$process-message', withQuantities(notification(order, 'FA565', '0003', false, partial), [5.01, 1, 1, 1])), /'5.01'.*prescribed 20 tablet, of which 15 dispensed already/);
    const second = withQuantities(notification(order, 'FA565', '0003', false, partial), [5, 5, 15, 15]);
    success(await post('$process-message', second));
    eps.lastSent.set(`notification ${shortFormIdOf(order)}`, second.identifier.value);
    refusedOver(await post('$process-message', withQuantities(notification(order, 'FA565', '0003', false, partial), [0.5, 0, 0, 0])), /of which 20 dispensed already/);
    // An amendment replaces the last notification: what it supplied is counted no more.
    const amendment = withQuantities(notification(order, 'FA565', '0003', true, partial), [4, 5, 15, 15]);
    success(await post('$process-message', amendment));
    eps.lastSent.set(`notification ${shortFormIdOf(order)}`, amendment.identifier.value);
    success(await eps.task('withdraw', order, 'FA565'));
    success(await post('$process-message', withQuantities(notification(order, 'FA565', '0006'), [5, 5, 15, 15])));
    assert.deepEqual(await historyOf(order), ['created', 'released', 'partially-dispensed', 'partially-dispensed', 'dispense-amended', 'withdrawn', 'dispensed']);
  });

  it('a quantity that is not a number of at least 0 with at most 2 decimals is INVALID_VALUE (a negative one took back what was supplied)', async () => {
    const order = await released();
    const text = await post('$process-message', withQuantities(notification(order, 'FA565', '0003'), ['5']));
    assert.equal(text.status, 400, JSON.stringify(text.body));
    assert.equal(issueCodeOf(text), 'INVALID_VALUE'); // at the door: the spec's schema types it a number
    for (const value of [-5, 1e21, 0.001]) {
      const r = await post('$process-message', withQuantities(notification(order, 'FA565', '0003'), [value]));
      assert.equal(r.status, 400, `${String(value)}: ${JSON.stringify(r.body)}`);
      assert.equal(issueCodeOf(r), 'INVALID_VALUE');
      assert.deepEqual(r.body.issue[0].expression, ['Bundle.entry.resource.ofType(MedicationDispense)[0].quantity.value']);
    }
    assert.deepEqual(await historyOf(order), ['created', 'released']);
  });

  it('a quantity in another unit is not counted; a not-dispensed notification supplies nothing', async () => {
    const order = await released();
    const packs = withQuantities(notification(order, 'FA565', '0003', false, ['0003', '0003', '0003', '0003']), [2, 2, 2, 2]);
    for (const e of packs.entry) if (e.resource.resourceType === 'MedicationDispense') e.resource.quantity = { value: 2, unit: 'pack', system: 'http://snomed.info/sct', code: '3318611000001103' };
    success(await post('$process-message', packs));
    success(await post('$process-message', withQuantities(notification(order, 'FA565', '0007'), [200, 200, 300, 300])));
  });

  it('units are one where both quantities have the same system and code (the tablet unit of presentation is tablets), whatever their text says', async () => {
    const order = await released();
    const partial = ['0003', '0003', '0003', '0003'];
    const firstLine = (quantity: Json) => {
      const body = withQuantities(notification(order, 'FA565', '0003', false, partial), [0, 0, 0, 0]);
      body.entry.find((e: Json) => e.resource.resourceType === 'MedicationDispense').resource.quantity = quantity;
      return body;
    };
    const SNOMED = 'http://snomed.info/sct';
    // 732936001 (Tablet, unit of presentation) against the 20 tablets (428673006) prescribed: tablets, by their code, whatever the text.
    refusedOver(await post('$process-message', firstLine({ value: 21, unit: 'tab', system: SNOMED, code: '732936001' })), /'21'.*prescribed 20 tablet/);
    refusedOver(await post('$process-message', firstLine({ value: 21, system: SNOMED, code: '732936001' })), /'21'.*prescribed 20 tablet/);
    // A millilitre's code with the text 'tablet', or the tablet's code in another system: not tablets (so not counted as 2000 of them).
    success(await post('$process-message', firstLine({ value: 2000, unit: 'tablet', system: SNOMED, code: '258773002' })));
    success(await post('$process-message', firstLine({ value: 2000, unit: 'tablet', system: 'http://unitsofmeasure.org', code: '428673006' })));
    assert.deepEqual(await historyOf(order), ['created', 'released', 'partially-dispensed', 'partially-dispensed']);
  });

  it('each repeat issue may supply the prescribed quantity', async () => {
    const order = await rig.flow.prescribed(rig.flow.repeatOrder(2));
    for (const issue of [1, 2]) {
      assert.equal((await release('FA565', shortFormIdOf(order))).status, 200, `issue ${issue}`);
      success(await post('$process-message', withQuantities(notification(order, 'FA565', '0006'), [20, 20, 30, 30])));
    }
  });
});
