import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { DISPENSING, EpsCycle, PRESCRIBING } from './cycle.js';
import { call, freshNhsNumber, type Json, workerHeaders } from './support.js';
import { CLI } from '../support/cli.js';

const PRACTICE = 'A83008';
const PHARMACY = 'FA565';
const root = new URL('../..', import.meta.url).pathname;

/** A second Spine as a process of its own (`openspine serve`, as built) on `databaseUrl`: its own modules, batches and caches. */
async function serveProcess(databaseUrl: string, publicUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--demo', '--port', '0'], {
    cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl, OPENSPINE_PUBLIC_URL: publicUrl, LOG_LEVEL: 'info' },
  });
  let output = '';
  child.stdout.on('data', (d) => { output = (output + d).slice(-20_000); });
  child.stderr.on('data', (d) => { output = (output + d).slice(-20_000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let url: string | undefined;
  for (let i = 0; i < 600 && !url && child.exitCode === null; i++) {
    url = /listening on (http:\/\/[0-9.:]+)/.exec(output)?.[1];
    if (!url) await sleep(100);
  }
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`the second process did not start:\n${output}`);
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * EPS served by two processes on one database, as behind a load balancer (API processes are
 * stateless): each process batches and coalesces only its own calls, so exactly once must hold
 * where the calls of one prescription, or the retries of one request, reach both. The second is a
 * real `serve` process, so nothing in memory is shared.
 */
describe('EPS with two processes on one database', () => {
  let a: TestSpine;
  let b: { url: string; stop(): Promise<void> };
  let gp: Record<string, string>;
  const pharmacies = new Map<string, Record<string, string>>();
  const cycle = new EpsCycle({ prescriber: PRACTICE, pharmacy: PHARMACY });

  before(async () => {
    a = await startTestSpine();
    // Behind one balancer: both processes answer to the same public address (the tokens' audience).
    b = await serveProcess(a.databaseUrl, a.config.publicBaseUrl);
    gp = await workerHeaders(a, PRACTICE, 'R8000');
  });
  after(async () => {
    await b?.stop();
    await a?.close();
  });

  const pharmacy = async (ods: string) => {
    if (!pharmacies.has(ods)) {
      pharmacies.set(ods, await workerHeaders(a, ods, 'R8003'));
    }
    return pharmacies.get(ods)!;
  };
  /** A release of the prescription by `ods`. */
  const releaseBy = (ods: string, shortFormId: string): Json => {
    const body = cycle.releaseBody(shortFormId);
    for (const p of body.parameter as Json[]) if (p.name === 'owner') p.resource.identifier[0].value = ods;
    return body;
  };
  /** A new prescription, prepared through one process and ordered through the other. */
  const prescribed = async () => {
    const nhsNumber = freshNhsNumber();
    const { order, shortFormId } = cycle.newOrder(nhsNumber);
    const prepared = await call(a, 'POST', `${PRESCRIBING}/$prepare`, gp, order);
    assert.equal(prepared.status, 200, prepared.text);
    const ordered = await call(b, 'POST', `${PRESCRIBING}/$process-message`, gp, cycle.signedOrder(order, prepared.body));
    assert.equal(ordered.status, 200, ordered.text);
    return { nhsNumber, shortFormId };
  };
  const historyOf = async (shortFormId: string) =>
    (await a.ctx.db.query<{ event: string }>('SELECT event FROM prescriptions.history WHERE short_form_id = $1 ORDER BY seq', [shortFormId])).rows.map((r) => r.event);

  it('a prescription\'s calls may reach either process: each step sees the one before it, and tracking through either agrees', async () => {
    const { nhsNumber, shortFormId } = await prescribed();
    const headers = await pharmacy(PHARMACY);
    assert.equal((await call(a, 'POST', `${DISPENSING}/Task/$release`, headers, cycle.releaseBody(shortFormId))).status, 200);
    const dispensed = await call(b, 'POST', `${DISPENSING}/$process-message`, headers, cycle.dispenseBody(shortFormId, nhsNumber));
    assert.equal(dispensed.status, 200, dispensed.text);
    const claimed = await call(a, 'POST', `${DISPENSING}/Claim`, headers, cycle.claimBody(shortFormId, nhsNumber));
    assert.equal(claimed.status, 200, claimed.text);
    assert.deepEqual(await historyOf(shortFormId), ['created', 'released', 'dispensed', 'claimed']);
    const tracked = await Promise.all([a, b].map(async (spine) => {
      const answer = await call(spine, 'GET', `${PRESCRIBING}/Task?focus:identifier=${encodeURIComponent(shortFormId)}`, gp);
      assert.equal(answer.status, 200, answer.text);
      return answer.body.entry.at(-1).resource.businessStatus.coding[0].code;
    }));
    assert.deepEqual(tracked, ['0008', '0008'], 'claimed');
  });

  it('50 pharmacies racing through both processes to release one prescription: one gets it, 49 are told it is with another dispenser', async () => {
    const { shortFormId } = await prescribed();
    const racers = Array.from({ length: 50 }, (_, i) => `FT${String(i).padStart(3, '0')}`);
    for (const ods of racers) await pharmacy(ods);
    const answers = await Promise.all(racers.map(async (ods, i) =>
      call(i % 2 ? a : b, 'POST', `${DISPENSING}/Task/$release`, await pharmacy(ods), releaseBy(ods, shortFormId))));
    assert.deepEqual(answers.filter((x) => x.status === 200).length, 1, answers.map((x) => x.status).join(','));
    for (const loser of answers.filter((x) => x.status !== 200)) {
      assert.equal(loser.status, 400, loser.text);
      assert.equal(loser.body.issue[0].details.coding[0].code, 'PRESCRIPTION_WITH_ANOTHER_DISPENSER');
    }
    assert.deepEqual(await historyOf(shortFormId), ['created', 'released']);
    const { rows } = await a.ctx.db.query(`SELECT count(*)::int AS n FROM platform.outbox WHERE event_type = 'eps-prescription-released' AND payload->>'shortFormId' = $1`, [shortFormId]);
    assert.equal(rows[0].n, 1, 'one release event');
  });

  it('retries of one request (one X-Request-ID) racing through both processes all get the first answer, byte for byte, and change once', async () => {
    const { nhsNumber, shortFormId } = await prescribed();
    const headers = await pharmacy(PHARMACY);
    assert.equal((await call(b, 'POST', `${DISPENSING}/Task/$release`, headers, cycle.releaseBody(shortFormId))).status, 200);
    const once = { ...headers, 'x-request-id': randomUUID() };
    const body = cycle.dispenseBody(shortFormId, nhsNumber);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => call(i % 2 ? a : b, 'POST', `${DISPENSING}/$process-message`, once, body)));
    assert.equal(answers[0]!.status, 200, answers[0]!.text);
    for (const answer of answers) assert.deepEqual([answer.status, answer.text], [answers[0]!.status, answers[0]!.text]);
    assert.deepEqual(await historyOf(shortFormId), ['created', 'released', 'dispensed']);
  });
});
