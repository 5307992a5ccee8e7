import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call, fixture, freshOrder, prescribe, shortFormIdOf, withProvenance, xmlSignature, type Json } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/** EPS dispensing retried over HTTP on PostgreSQL (deployment rules, demo data): a retry (same X-Request-ID) gets the first answer and changes nothing; each message is kept as received. */
describe('EPS dispensing: retries and the messages kept', () => {
  const rig = dispensingRig();
  const eps = dispensingSteps(rig);
  const { pharmacy, newPrescription, release, passed, notification, dispense, statusOf, success } = eps;
  /** A dispense notification from FA565 under this X-Request-ID. */
  const notify = async (body: Json, requestId: string) =>
    call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', { ...(await pharmacy('FA565')), 'x-request-id': requestId }, body);
  /** The prescription's history as stored: each change once. */
  const eventsOf = async (order: Json) =>
    (await rig.spine.ctx.db.query(`SELECT event FROM prescriptions.history WHERE short_form_id = $1 ORDER BY seq`, [shortFormIdOf(order)])).rows.map((r) => r.event);

  it('a retried release (same X-Request-ID) gets the first answer and releases nothing twice', async () => {
    const order = await newPrescription();
    const headers = { ...(await pharmacy('FA565')), 'x-request-id': randomUUID() };
    const first = await release('FA565', shortFormIdOf(order), headers);
    const retry = await release('FA565', shortFormIdOf(order), headers);
    assert.equal(retry.text, first.text, 'the first answer, byte for byte');
    const { rows } = await rig.spine.ctx.db.query(`SELECT count(*)::int AS n FROM prescriptions.history WHERE short_form_id = $1 AND event = 'released'`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 1);
  });

  it('an X-Request-ID sent again with another body (another prescription, another release) is INVALID_VALUE, not the first answer, and changes nothing', async () => {
    const requestId = randomUUID();
    // Signed once, so that it can be sent again as it was.
    const first = freshOrder({ pharmacy: 'FA565' });
    const prepared = await call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$prepare', eps.gp, first);
    const param = (name: string) => prepared.body.parameter.find((p: Json) => p.name === name).valueString as string;
    const signedInfo = Buffer.from(param('digest'), 'base64').toString('utf8');
    const signed = withProvenance(first, xmlSignature(signedInfo, fixture('prescriber-key.pem'), fixture('prescriber-cert.pem')), param('timestamp'));
    const sendFirst = () => call(rig.spine, 'POST', '/fhir-prescribing/FHIR/R4/$process-message', { ...eps.gp, 'x-request-id': requestId }, signed);
    const answered = await sendFirst();
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    const second = freshOrder({ pharmacy: 'FA565' });
    const reused = await prescribe(rig.spine, { ...eps.gp, 'x-request-id': requestId }, second);
    assert.equal(reused.status, 400, JSON.stringify(reused.body));
    assert.equal(reused.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    assert.equal(reused.body.issue[0].diagnostics,
      `Invalid value - '${requestId}' in header 'X-Request-ID': it identifies an earlier prescription-order request with another body; a new request needs a new X-Request-ID`);
    const { rows } = await rig.spine.ctx.db.query('SELECT count(*)::int AS n FROM prescriptions.prescriptions WHERE short_form_id = $1', [shortFormIdOf(second)]);
    assert.equal(rows[0].n, 0, 'the second prescription was not made');
    // Two releases of different prescriptions under one id: the second is refused, its prescription stays to be dispensed.
    const [a, b] = [await newPrescription(), await newPrescription()];
    const headers = { ...(await pharmacy('FA565')), 'x-request-id': randomUUID() };
    assert.equal((await release('FA565', shortFormIdOf(a), headers)).status, 200);
    const other = await release('FA565', shortFormIdOf(b), headers);
    assert.equal(other.status, 400, JSON.stringify(other.body));
    assert.match(other.body.issue[0].diagnostics, /earlier release request with another body/);
    assert.equal(await statusOf(b), '0001');
    // The same body again is still the first answer, byte for byte.
    assert.equal((await sendFirst()).text, answered.text);
  });

  it('a retry that comes after later changes (a partial dispense notification, a release) gets its first answer and changes nothing', async () => {
    const order = await newPrescription();
    const releasing = { ...(await pharmacy('FA565')), 'x-request-id': randomUUID() };
    const released = await release('FA565', shortFormIdOf(order), releasing);
    assert.equal(released.status, 200);
    // A partial dispense notification may follow another: its retry must not count as a second one.
    const notifying = { ...(await pharmacy('FA565')), 'x-request-id': randomUUID() };
    const partial = notification(order, 'FA565', '0003');
    const first = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', notifying, partial);
    success(first);
    success(await dispense(order, 'FA565', '0003'));
    const retried = await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', notifying, partial);
    assert.deepEqual([retried.status, retried.text], [first.status, first.text], 'the first answer, byte for byte');
    const releasedAgain = await release('FA565', shortFormIdOf(order), releasing);
    assert.deepEqual([releasedAgain.status, releasedAgain.text], [released.status, released.text]);
    assert.deepEqual(await eventsOf(order), ['created', 'released', 'partially-dispensed', 'partially-dispensed']);
  });

  it('a retry whose X-Request-ID comes back in the other case is the same request (a UUID is read in either case): its first answer, the change made once', async () => {
    const order = await newPrescription();
    const requestId = randomUUID();
    const released = await release('FA565', shortFormIdOf(order), { ...(await pharmacy('FA565')), 'x-request-id': requestId });
    assert.equal(released.status, 200, JSON.stringify(released.body));
    const releasedAgain = await release('FA565', shortFormIdOf(order), { ...(await pharmacy('FA565')), 'x-request-id': requestId.toUpperCase() });
    assert.deepEqual([releasedAgain.status, releasedAgain.text], [released.status, released.text], 'the first answer, byte for byte');
    // A partial dispense notification may follow another: a retry of one in upper case must not count as a second.
    const notifying = randomUUID().toUpperCase();
    const partial = notification(order, 'FA565', '0003');
    const first = await notify(partial, notifying);
    success(first);
    const retried = await notify(partial, notifying.toLowerCase());
    assert.deepEqual([retried.status, retried.text], [first.status, first.text], 'the first answer, byte for byte');
    assert.deepEqual(await eventsOf(order), ['created', 'released', 'partially-dispensed']);
  });

  it('a retry of an answer the previous release kept under the X-Request-ID as sent (upper case) gets that answer, the change made once', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const notifying = randomUUID().toUpperCase();
    const partial = notification(order, 'FA565', '0003');
    const first = await notify(partial, notifying);
    success(first);
    // As the release before ids were read in either case kept it (and still keeps it, in a rolling upgrade): under the id as sent.
    const kept = await rig.spine.ctx.db.query('UPDATE prescriptions.replays SET request_id = $1 WHERE request_id = $2', [notifying, notifying.toLowerCase()]);
    assert.equal(kept.rowCount, 1);
    const retried = await notify(partial, notifying);
    assert.deepEqual([retried.status, retried.text], [first.status, first.text], 'the first answer, byte for byte');
    assert.deepEqual(await eventsOf(order), ['created', 'released', 'partially-dispensed']);
  });

  it('keeps each dispensing message in the history as it was received', async () => {
    const order = await newPrescription();
    assert.equal((await release('FA565', shortFormIdOf(order))).status, 200);
    const text = JSON.stringify(notification(order, 'FA565', '0006'), null, 2);
    success(await call(rig.spine, 'POST', '/fhir-dispensing/FHIR/R4/$process-message', await pharmacy('FA565'), text));
    const { rows } = await rig.spine.ctx.db.query(`SELECT message_text FROM prescriptions.history WHERE short_form_id = $1 AND event = 'dispensed'`, [shortFormIdOf(order)]);
    assert.equal(rows[0].message_text, text);
  });

  it('retries racing the first (same X-Request-ID, all at once) all get its answer, and the change is made once', async () => {
    const order = await newPrescription();
    const headers = { ...(await pharmacy('FA565')), 'x-request-id': randomUUID() };
    const answers = await Promise.all(Array.from({ length: 10 }, () => release('FA565', shortFormIdOf(order), headers)));
    assert.equal(answers[0]!.status, 200, JSON.stringify(answers[0]!.body));
    for (const answer of answers) assert.deepEqual([answer.status, answer.text], [answers[0]!.status, answers[0]!.text]);
    const { rows } = await rig.spine.ctx.db.query(`SELECT count(*)::int AS n FROM prescriptions.history WHERE short_form_id = $1 AND event = 'released'`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 1);
  });

  it('one pharmacy releasing one prescription 16 times at once (distinct X-Request-IDs) is answered each time, in turn: no 503', async () => {
    const order = await newPrescription();
    const headers = await pharmacy('FA565');
    const answers = await Promise.all(Array.from({ length: 16 }, () => release('FA565', shortFormIdOf(order), { ...headers, 'x-request-id': randomUUID() })));
    assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200), JSON.stringify(answers.find((a) => a.status !== 200)?.body));
    for (const answer of answers) assert.deepEqual(passed(answer).entry.map((e: Json) => shortFormIdOf(e.resource)), [shortFormIdOf(order)]);
    const { rows } = await rig.spine.ctx.db.query(`SELECT count(*)::int AS n FROM prescriptions.history WHERE short_form_id = $1 AND event = 'released'`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 16, 'each release recorded once');
  });
});
