import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalServerProcess, startSpineOnOwnPostgres, type OwnPostgres, type SpineOnOwnPostgres, type TestSpine } from '../support/spine.js';
import { assertSpecSchema, call, ERROR_SYSTEM, nextNhsNumber, pointerBody, nrlApplication } from './support.js';

// NRL over a database that fails, on an embedded PostgreSQL of this file's own (killed and frozen
// here), with tight timeouts: a statement gives up after 1.5 s (the client 2 s later). The time
// limits below only tell a fast refusal from a wait on the database, generously (shared machines).
const ODS = 'FLT01';

interface Answer { status: number; ms: number; retryAfter: string | null; body: any }

describe('NRL database faults', () => {
  let postgres: OwnPostgres;
  let spine: TestSpine;
  let own: SpineOnOwnPostgres;
  let identity: Record<string, string>;
  const patient = nextNhsNumber();

  const timed = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const started = Date.now();
    const answer = await call(spine, method, path, identity, body === undefined ? {} : { body });
    return { status: answer.status, ms: Date.now() - started, retryAfter: answer.headers.get('retry-after'), body: answer.body };
  };
  const search = () => timed('GET', `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${patient}`)}`);
  const create = () => timed('POST', '/producer/FHIR/R4/DocumentReference', pointerBody(ODS, patient));
  const nrlStatus = async () => {
    const started = Date.now();
    const response = await fetch(`${spine.url}/record-locator/consumer/FHIR/R4/_status`);
    return { status: response.status, ms: Date.now() - started, text: await response.text() };
  };

  /** NRL's 503: its OperationOutcome (profile, Spine coding, transient), Retry-After, no internals. */
  function assertNrlUnavailable(answer: Answer) {
    assert.equal(answer.status, 503, JSON.stringify(answer.body));
    assert.ok(Number(answer.retryAfter) >= 1, `Retry-After: ${answer.retryAfter}`);
    assertSpecSchema('consumer', 'OperationOutcome', answer.body);
    assert.deepEqual(answer.body.meta, { profile: ['https://fhir.nhs.uk/StructureDefinition/NHSDigital-OperationOutcome'] });
    assert.equal(answer.body.issue.length, 1);
    const [issue] = answer.body.issue;
    assert.equal(issue.severity, 'error');
    assert.equal(issue.code, 'transient');
    assert.deepEqual(issue.details.coding, [{ system: ERROR_SYSTEM, code: 'INTERNAL_SERVER_ERROR', display: 'Unexpected internal server error' }]);
    const text = JSON.stringify(answer.body);
    const port = new URL(postgres.server.connectionString).port;
    assert.ok(!text.includes('127.0.0.1') && !text.includes(port) && !/postgres(ql)?:\/\//i.test(text), `internal address in ${text}`);
  }

  async function waitForRecovery(timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [read, write] = [await search(), await create()];
      if (read.status === 200 && write.status === 201) return;
      assert.ok(Date.now() < deadline, `not recovered: ${read.status} ${write.status} ${JSON.stringify(write.body)}`);
      await sleep(200);
    }
  }

  before(async () => {
    ({ postgres, spine } = own = await startSpineOnOwnPostgres({
      env: { OPENSPINE_DB_CONNECT_TIMEOUT_MS: '1000', OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '1500' },
    }));
    ({ identity } = await nrlApplication(spine, ODS, ['record-locator:produce', 'record-locator:consume']));
    // Both APIs answered once, so the caller's permissions are cached when the faults come.
    await waitForRecovery();
  });
  after(async () => {
    await own?.close();
  });

  it('a database refusing connections: search and create answer 503 in NRL\'s shape with Retry-After, fast; /_status 503; back by itself', { timeout: 90_000 }, async () => {
    const supervisor = postgres.supervisorPid();
    // Hold the supervisor so PostgreSQL stays down, then kill PostgreSQL.
    process.kill(supervisor, 'SIGSTOP');
    try {
      process.kill(postgres.postmasterPid(), 'SIGKILL');
      await sleep(300);
      for (let i = 0; i < 3; i++) {
        for (const answer of [await search(), await create()]) {
          assertNrlUnavailable(answer);
          assert.ok(answer.ms < 3_000, `a refused connection answers fast, not in ${answer.ms} ms`);
        }
      }
      const health = await nrlStatus();
      assert.equal(health.status, 503, health.text);
      assert.ok(health.ms < 3_000, `/_status took ${health.ms} ms`);
    } finally {
      process.kill(supervisor, 'SIGCONT');
    }
    await waitForRecovery();
    assert.equal((await nrlStatus()).status, 200);
  });

  it('a frozen database (SIGSTOP): 503s within the timeouts, then fast while it is known down; recovers when it thaws', { timeout: 90_000 }, async () => {
    const frozen = postgres.serverPids();
    for (const pid of frozen) signalServerProcess(pid, 'SIGSTOP');
    try {
      const first = await Promise.all([search(), create(), search(), create()]);
      for (const answer of first) {
        assertNrlUnavailable(answer);
        assert.ok(answer.ms < 12_000, `bounded by the timeouts, not ${answer.ms} ms`);
      }
      for (let i = 0; i < 3; i++) {
        for (const answer of [await search(), await create()]) {
          assertNrlUnavailable(answer);
          // Below a frozen statement's 3.5 s (timeout and grace), with room for a loaded machine.
          assert.ok(answer.ms < 2_500, `known down, so fast: ${answer.ms} ms`);
        }
      }
    } finally {
      for (const pid of frozen) signalServerProcess(pid, 'SIGCONT');
    }
    await waitForRecovery();
    // Nothing written while the database was down is half there: every stored pointer has its event.
    const { rows } = await spine.ctx.db.query<{ pointers: number; events: number }>(
      `SELECT (SELECT count(*)::int FROM record_locator.pointers WHERE nhs_number = $1) AS pointers,
              (SELECT count(*)::int FROM platform.outbox WHERE nhs_number = $1 AND event_type = 'nrl-pointer-created') AS events`, [patient]);
    assert.equal(rows[0]!.pointers, rows[0]!.events);
  });
});
