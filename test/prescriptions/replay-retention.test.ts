import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { userToken, type AppToken } from '../support/identity.js';

/** The role profile the healthcare workers' tokens are issued for (NHSD-Session-URID). */
const ROLE = '555000000101';
import { pruneReplays, replayWindowStart } from '../../src/services/prescriptions/handlers/replay-retention.js';
import { prescriptionsService } from '../../src/services/prescriptions/index.js';
import { call, example, freshOrder, prescribe, shortFormIdOf, type Json } from './support.js';

const MINUTE = 60_000;

/** EPS kept answers over HTTP on PostgreSQL, with a retention window of one hour: replayed within it, forgotten after, pruned. */
describe('EPS replay retention', () => {
  let spine: TestSpine;
  let gp: AppToken;
  let fa565: AppToken;
  /** The server's clock runs this far ahead of the machine's. */
  let clockOffsetMs = 0;

  before(async () => {
    spine = await startTestSpine({ clock: { now: () => new Date(Date.now() + clockOffsetMs) }, env: { OPENSPINE_EPS_REPLAY_RETENTION_HOURS: '1' } });
    gp = await userToken(spine, { roleCode: 'R8000', odsCode: 'A83008', roleProfileId: ROLE });
    fa565 = await userToken(spine, { roleCode: 'R8003', odsCode: 'FA565', roleProfileId: ROLE });
  });
  after(async () => { await spine?.close(); });

  /** The application's headers, with a token minted at the server's time (tokens expire by its clock): a retry is the same application's. */
  const as = async (app: AppToken, requestId: string) =>
    ({ authorization: `Bearer ${(await spine.ctx.tokens.issue(app.principal)).token}`, 'x-request-id': requestId, 'nhsd-session-urid': ROLE });
  /** Runs `step` with the server's clock `minutes` ahead. */
  const later = async <T>(minutes: number, step: () => Promise<T>): Promise<T> => {
    clockOffsetMs = minutes * MINUTE;
    try { return await step(); } finally { clockOffsetMs = 0; }
  };

  const newPrescription = async () => {
    const order = freshOrder({ pharmacy: 'FA565' });
    const sent = await prescribe(spine, await as(gp, randomUUID()), order);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    return order;
  };
  const releaseBody = (shortFormId: string) => {
    const body = structuredClone(example('spec/dispensing/release/acute-primary-example-req.json'));
    for (const p of body.parameter) {
      if (p.name === 'owner') p.resource.identifier[0].value = 'FA565';
      if (p.name === 'group-identifier') p.valueIdentifier.value = shortFormId;
    }
    return body;
  };
  const release = async (order: Json, requestId: string) =>
    call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task/$release', await as(fa565, requestId), releaseBody(shortFormIdOf(order)));
  /** The spec's return example for this prescription, its Task.identifier its own (the same identifier is one return, recorded once). */
  const returnBody = (order: Json) => {
    const body = structuredClone(example('spec/dispensing/return/acute-primary-example-req.json'));
    body.identifier[0].value = randomUUID();
    body.groupIdentifier.value = shortFormIdOf(order);
    body.for.identifier.value = order.entry.find((e: Json) => e.resource.resourceType === 'Patient').resource.identifier[0].value;
    for (const c of body.contained) if (c.resourceType === 'Organization') c.identifier[0].value = 'FA565';
    if (body.owner) body.owner.identifier.value = 'FA565';
    return body;
  };
  const giveBack = async (order: Json, requestId: string) => call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await as(fa565, requestId), returnBody(order));
  const events = async (order: Json) =>
    (await spine.ctx.db.query('SELECT event FROM prescriptions.history WHERE short_form_id = $1 ORDER BY seq', [shortFormIdOf(order)])).rows.map((r) => r.event);
  const kept = async (requestId: string) =>
    (await spine.ctx.db.query('SELECT operation, answer FROM prescriptions.replays WHERE app_id = $1 AND request_id = $2', [fa565.principal.appId, requestId])).rows[0];

  it('a retry within the window (59 minutes on) gets the first answer byte for byte and releases nothing twice', async () => {
    const order = await newPrescription();
    const requestId = randomUUID();
    const first = await release(order, requestId);
    assert.equal(first.status, 200, first.text);
    const retry = await later(59, () => release(order, requestId));
    assert.deepEqual([retry.status, retry.text], [first.status, first.text], 'the first answer, byte for byte');
    assert.deepEqual(await events(order), ['created', 'released']);
  });

  it('documents are compressed with lz4 where the server has it, else with pglz', async () => {
    const order = await newPrescription();
    const requestId = randomUUID();
    const released = await release(order, requestId);
    assert.equal(released.status, 200, released.text);
    assert.ok(released.text.length > 4000, 'a release\'s answer holds the prescription: large enough to be compressed');
    const { rows: [server] } = await spine.ctx.db.query(
      `SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`);
    const { rows: [stored] } = await spine.ctx.db.query(
      `SELECT pg_column_compression(r.answer) AS answer, pg_column_compression(p.order_text) AS order_text, octet_length(r.answer) AS bytes
         FROM prescriptions.replays r, prescriptions.prescriptions p WHERE r.app_id = $1 AND r.request_id = $2 AND p.short_form_id = $3`,
      [fa565.principal.appId, requestId, shortFormIdOf(order)]);
    assert.equal(stored.bytes, Buffer.byteLength(released.text));
    const method = server.lz4 ? 'lz4' : 'pglz';
    assert.deepEqual([stored.answer, stored.order_text], [method, method]);
  });

  it('past the window (61 minutes on) the same X-Request-ID is a new request: decided anew, neither the first answer nor a 503, and its answer kept in place of the old', async () => {
    const order = await newPrescription();
    const requestId = randomUUID();
    const first = await release(order, requestId);
    assert.equal(first.status, 200, first.text);
    await later(61, async () => {
      const again = await release(order, requestId);
      // The pharmacy downloads the prescription it holds again: a new release, a new answer.
      assert.equal(again.status, 200, again.text);
      assert.notEqual(again.text, first.text, 'not the first answer');
      assert.deepEqual(await events(order), ['created', 'released', 'released']);
      assert.equal((await kept(requestId)).answer, again.text, 'the new answer replaced the stale one');
      const retry = await release(order, requestId);
      assert.deepEqual([retry.status, retry.text], [again.status, again.text], 'and is replayed in its turn');
    });
  });

  it('past the window the same request sent five times at once is decided once: one new release, one answer for all', async () => {
    const order = await newPrescription();
    const requestId = randomUUID();
    const first = await release(order, requestId);
    assert.equal(first.status, 200, first.text);
    const answers = await later(61, () => Promise.all(Array.from({ length: 5 }, () => release(order, requestId))));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200]);
    assert.equal(new Set(answers.map((a) => a.text)).size, 1, 'one answer, byte for byte');
    assert.notEqual(answers[0]!.text, first.text);
    assert.deepEqual(await events(order), ['created', 'released', 'released']);
  });

  it('past the window a retry its prescription has moved on from is decided anew, not given the first answer (as it is within the window)', async () => {
    const order = await newPrescription();
    assert.equal((await release(order, randomUUID())).status, 200);
    const requestId = randomUUID();
    const body = returnBody(order);
    const first = await call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await as(fa565, requestId), body);
    assert.equal(first.status, 200, first.text);
    const within = await later(59, async () => call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await as(fa565, requestId), body));
    assert.deepEqual([within.status, within.text], [first.status, first.text], 'the first answer, byte for byte');
    // Past it, the same return (its Task.identifier and body) is the one message already recorded: answered so, by the
    // prescription's own record, not the kept answer (a new one, its own time), returning nothing.
    const again = await later(61, async () => call(spine, 'POST', '/fhir-dispensing/FHIR/R4/Task', await as(fa565, requestId), body));
    assert.equal(again.status, 200, again.text);
    assert.notEqual(again.text, first.text);
    // The prescription is no longer with the pharmacy: a new return of it (a new Task.identifier) is refused (in the return table's code).
    const past = await later(61, () => giveBack(order, randomUUID()));
    assert.equal(past.status, 400, past.text);
    assert.equal(past.body.issue[0].details.coding[0].code, 'INVALID_STATE_TRANSITION');
    assert.equal(past.body.issue[0].diagnostics, 'Cannot return a prescription that is To be Dispensed');
    assert.deepEqual(await events(order), ['created', 'released', 'returned']);
  });

  it('past the window a release\'s X-Request-ID may name a return: refused within the window, a new return after it', async () => {
    const order = await newPrescription();
    const requestId = randomUUID();
    assert.equal((await release(order, requestId)).status, 200);
    const within = await later(59, () => giveBack(order, requestId));
    assert.equal(within.status, 400, within.text);
    assert.equal(within.body.issue[0].details.coding[0].code, 'INVALID_VALUE');
    const past = await later(61, () => giveBack(order, requestId));
    assert.equal(past.status, 200, past.text);
    assert.deepEqual(await events(order), ['created', 'released', 'returned']);
    assert.equal((await kept(requestId)).operation, 'return');
  });

  it('the pruner deletes every answer past the window, in batches, and none within it', async () => {
    const db = spine.ctx.db;
    const stale = await newPrescription();
    const staleId = randomUUID();
    assert.equal((await release(stale, staleId)).status, 200);
    const fresh = await newPrescription();
    const freshId = randomUUID();
    assert.equal((await later(50, () => release(fresh, freshId))).status, 200);
    // More than a batch of old answers from another application, kept two hours before the server's time.
    await db.query(`INSERT INTO prescriptions.replays (app_id, request_id, operation, status_code, answer, created_at)
      SELECT 'retention-test', 'old-' || n, 'release', 200, '{}', $1::timestamptz - interval '2 hours' FROM generate_series(1, 2500) n`, [spine.ctx.clock.now()]);

    await later(70, async () => {
      const windowStart = replayWindowStart(spine.ctx);
      const count = async (past: boolean) =>
        (await db.query(`SELECT count(*)::int AS n FROM prescriptions.replays WHERE (created_at < $1) = $2`, [windowStart, past])).rows[0].n as number;
      const within = await count(false);
      const past = await count(true);
      assert.ok(past >= 2501, `${past} answers past the window`);
      assert.equal(await pruneReplays(spine.ctx), past);
      assert.deepEqual([await count(true), await count(false)], [0, within]);
      assert.equal(await kept(staleId), undefined);
      assert.equal((await kept(freshId)).operation, 'release');
      assert.equal(await pruneReplays(spine.ctx), 0);
    });
  });

  it('the service starts the pruner as one of its workers: ten minutes on, an answer past the window is gone without anyone asking', async () => {
    const db = spine.ctx.db;
    await db.query(`INSERT INTO prescriptions.replays (app_id, request_id, operation, status_code, answer, created_at)
      VALUES ('worker-test', 'old', 'release', 200, '{}', $1::timestamptz - interval '2 hours')`, [spine.ctx.clock.now()]);
    const left = async () => (await db.query(`SELECT count(*)::int AS n FROM prescriptions.replays WHERE app_id = 'worker-test'`)).rows[0].n as number;
    // The workers' timers are made under mocked timers, and ten minutes of them pass at once; the
    // work they start runs on real time.
    mock.timers.enable({ apis: ['setTimeout'] });
    let workers;
    try {
      workers = prescriptionsService.startWorkers!(spine.ctx);
      mock.timers.tick(9 * MINUTE);
      assert.equal(await left(), 1, 'not before its interval');
      mock.timers.tick(MINUTE);
    } finally {
      mock.timers.reset();
    }
    try {
      for (let i = 0; i < 100 && (await left()) > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await left(), 0, 'pruned by the worker');
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  });
});
