import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalServerProcess, startSpineOnOwnPostgres, type OwnPostgres, type SpineOnOwnPostgres, type TestSpine } from '../support/spine.js';
import { DISPENSING, EpsCycle, PRESCRIBING } from './cycle.js';
import { SPINE_CODES } from '../../src/services/prescriptions/errors.js';
import { call, freshNhsNumber, type Json, type Response, workerHeaders } from './support.js';

// EPS over a database that fails, on an embedded PostgreSQL of this file's own (killed and frozen
// here), with tight timeouts: a statement gives up after 1.5 s (the client 2 s later). The time
// limits below only tell a fast refusal from a wait on the database, generously (shared machines).
const PRACTICE = 'A83008';
const PHARMACY = 'FA565';

interface Answer extends Response { ms: number }

/** One write of the cycle, sent again with its own X-Request-ID until the Spine answers it. */
interface Write { name: string; path: string; headers: Record<string, string>; body: Json; shortFormId: string; event: string }

describe('EPS database faults', () => {
  let postgres: OwnPostgres;
  let spine: TestSpine;
  let own: SpineOnOwnPostgres;
  let gp: Record<string, string>;
  let pharmacy: Record<string, string>;
  const cycle = new EpsCycle({ prescriber: PRACTICE, pharmacy: PHARMACY });

  const timed = async (path: string, headers: Record<string, string>, body?: Json, method = 'POST'): Promise<Answer> => {
    const started = Date.now();
    const answer = await call(spine, method, path, headers, body);
    return { ...answer, ms: Date.now() - started };
  };

  /** A prescription taken through the cycle up to (not including) `upTo`; the writes still to make. */
  async function prescriptionBefore(upTo: 'created' | 'released' | 'dispensed' | 'claimed'): Promise<Write[]> {
    const nhsNumber = freshNhsNumber();
    const { order, shortFormId } = cycle.newOrder(nhsNumber);
    const prepared = await timed(`${PRESCRIBING}/$prepare`, gp, order);
    assert.equal(prepared.status, 200, prepared.text);
    const writes: Write[] = [
      { name: 'prescription-order', event: 'created', path: `${PRESCRIBING}/$process-message`, headers: gp, body: cycle.signedOrder(order, prepared.body), shortFormId },
      { name: 'release', event: 'released', path: `${DISPENSING}/Task/$release`, headers: pharmacy, body: cycle.releaseBody(shortFormId), shortFormId },
      { name: 'dispense-notification', event: 'dispensed', path: `${DISPENSING}/$process-message`, headers: pharmacy, body: cycle.dispenseBody(shortFormId, nhsNumber), shortFormId },
      { name: 'claim', event: 'claimed', path: `${DISPENSING}/Claim`, headers: pharmacy, body: cycle.claimBody(shortFormId, nhsNumber), shortFormId },
    ];
    const at = writes.findIndex((w) => w.event === upTo);
    for (const write of writes.slice(0, at)) {
      const answer = await timed(write.path, { ...write.headers, 'x-request-id': randomUUID() }, write.body);
      assert.equal(answer.status, 200, `${write.name}: ${answer.text}`);
    }
    return writes.slice(at).map((w) => ({ ...w, headers: { ...w.headers, 'x-request-id': randomUUID() } }));
  }

  /** EPS's 503: its OperationOutcome in EPS's media type, Retry-After, and nothing of the database's address. */
  function assertEpsUnavailable(what: string, answer: Answer) {
    assert.equal(answer.status, 503, `${what}: ${answer.text}`);
    assert.ok(Number(answer.headers.get('retry-after')) >= 1, `${what}: Retry-After ${answer.headers.get('retry-after')}`);
    assert.equal(answer.headers.get('content-type'), 'application/fhir+json; fhirVersion=4.0', what);
    assert.equal(answer.body.resourceType, 'OperationOutcome', what);
    assert.equal(answer.body.issue.length, 1, what);
    const [issue] = answer.body.issue;
    assert.equal(issue.severity, 'error', what);
    assert.equal(issue.code, 'transient', `${what}: ${answer.text}`);
    // In the system of EPS's other Spine codes (errors.ts: the spec's examples write it without /R4).
    assert.deepEqual(issue.details.coding, [{ system: SPINE_CODES, code: 'SERVICE_UNAVAILABLE', display: 'Service unavailable' }], what);
    const port = new URL(postgres.server.connectionString).port;
    assert.ok(!answer.text.includes('127.0.0.1') && !answer.text.includes(port) && !/postgres(ql)?:\/\//i.test(answer.text), `${what}: internal address in ${answer.text}`);
  }

  /** The cycle's writes, each sent once, plus tracking; each answer with what was asked. */
  async function eachOperation(writes: Write[]): Promise<Array<[string, Answer]>> {
    const answers: Array<[string, Answer]> = [];
    for (const write of writes) answers.push([write.name, await timed(write.path, write.headers, write.body)]);
    const tracked = writes[0]!.shortFormId;
    answers.push(['tracking', await timed(`${DISPENSING}/Task?focus:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/prescription-order-number|${tracked}`)}`, { ...pharmacy, 'x-request-id': randomUUID() }, undefined, 'GET')]);
    return answers;
  }

  /** After the fault: each write sent again with its X-Request-ID lands, and exactly once. */
  async function assertLandOnce(writes: Write[]) {
    for (const write of writes) {
      const answer = await timed(write.path, write.headers, write.body);
      assert.equal(answer.status, 200, `${write.name} retried: ${answer.text}`);
      const again = await timed(write.path, write.headers, write.body);
      assert.equal(again.text, answer.text, `${write.name}: a second retry gets the first answer`);
    }
    const { rows } = await spine.ctx.db.query<{ short_form_id: string; event: string; times: number }>(
      `SELECT short_form_id, event, count(*)::int AS times FROM prescriptions.history WHERE short_form_id = ANY($1) GROUP BY 1, 2`,
      [[...new Set(writes.map((w) => w.shortFormId))]]);
    for (const write of writes) {
      const row = rows.find((r) => r.short_form_id === write.shortFormId && r.event === write.event);
      assert.equal(row?.times, 1, `${write.shortFormId} ${write.event}: ${JSON.stringify(rows)}`);
    }
  }

  /** Until tracking, which reads the database and writes an audit record, answers again. */
  async function waitForRecovery(shortFormId: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tracked = await timed(`${DISPENSING}/Task?focus:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/prescription-order-number|${shortFormId}`)}`, { ...pharmacy, 'x-request-id': randomUUID() }, undefined, 'GET');
      if (tracked.status === 200) return;
      assert.equal(tracked.status, 503, tracked.text);
      assert.ok(Date.now() < deadline, `not recovered: ${tracked.text}`);
      await sleep(200);
    }
  }

  before(async () => {
    ({ postgres, spine } = own = await startSpineOnOwnPostgres({
      env: { OPENSPINE_DB_CONNECT_TIMEOUT_MS: '1000', OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '1500' },
    }));
    gp = await workerHeaders(spine, PRACTICE, 'R8000');
    pharmacy = await workerHeaders(spine, PHARMACY, 'R8003');
    // One whole cycle first, so what the service caches (certificates, organisations) is cached when the faults come.
    for (const write of await prescriptionBefore('created')) {
      const answer = await timed(write.path, write.headers, write.body);
      assert.equal(answer.status, 200, `${write.name}: ${answer.text}`);
    }
  });
  after(async () => {
    await own?.close();
  });

  it('a database refusing connections: every EPS operation answers EPS\'s 503, fast; retried after, each write lands once', { timeout: 120_000 }, async () => {
    const writes = [(await prescriptionBefore('created'))[0]!, (await prescriptionBefore('released'))[0]!,
      (await prescriptionBefore('dispensed'))[0]!, (await prescriptionBefore('claimed'))[0]!];
    const supervisor = postgres.supervisorPid();
    // Hold the supervisor so PostgreSQL stays down, then kill PostgreSQL.
    process.kill(supervisor, 'SIGSTOP');
    try {
      process.kill(postgres.postmasterPid(), 'SIGKILL');
      await sleep(300);
      for (const [what, answer] of await eachOperation(writes)) {
        assertEpsUnavailable(what, answer);
        assert.ok(answer.ms < 3_000, `${what}: a refused connection answers fast, not in ${answer.ms} ms`);
      }
    } finally {
      process.kill(supervisor, 'SIGCONT');
    }
    await waitForRecovery(writes[2]!.shortFormId);
    await assertLandOnce(writes);
  });

  it('a frozen database (SIGSTOP): EPS\'s 503 within the timeouts, then fast while it is known down; retried after it thaws, each write lands once', { timeout: 120_000 }, async () => {
    const writes = [(await prescriptionBefore('created'))[0]!, (await prescriptionBefore('released'))[0]!,
      (await prescriptionBefore('dispensed'))[0]!, (await prescriptionBefore('claimed'))[0]!];
    const frozen = postgres.serverPids();
    for (const pid of frozen) signalServerProcess(pid, 'SIGSTOP');
    try {
      // All at once: each may have reached the database (a commit may even be sent) before it froze.
      const first = await Promise.all(writes.map((w) => timed(w.path, w.headers, w.body)));
      first.forEach((answer, i) => {
        assertEpsUnavailable(writes[i]!.name, answer);
        assert.ok(answer.ms < 12_000, `${writes[i]!.name}: bounded by the timeouts, not ${answer.ms} ms`);
      });
      for (const [what, answer] of await eachOperation(writes)) {
        assertEpsUnavailable(what, answer);
        // Below a frozen statement's 3.5 s (timeout and grace), with room for a loaded machine.
        assert.ok(answer.ms < 2_500, `${what}: known down, so fast: ${answer.ms} ms`);
      }
    } finally {
      for (const pid of frozen) signalServerProcess(pid, 'SIGCONT');
    }
    await waitForRecovery(writes[2]!.shortFormId);
    await assertLandOnce(writes);
  });
});
