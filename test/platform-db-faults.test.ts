import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { signalServerProcess, startSpineOnOwnPostgres, type OwnPostgres, type SpineOnOwnPostgres, type TestSpine } from './support/spine.js';
import { userToken } from './support/identity.js';
import { meshAuthorization, MB2 } from './messaging/support/mesh-client.js';
import { REGISTERING_AUTHORITY } from './demographics/support/pds.js';
import { clientCredentials, signRaw } from './identity/fixtures.js';
import { generateSigningKey } from '../src/services/identity/keys.js';

// Database faults over HTTP, on an embedded PostgreSQL of this file's own (killed and frozen here).
// Tight timeouts keep each case short: a statement gives up after 1.5 s (the client 2 s later).
const PDS = '/personal-demographics/FHIR/R4';

function newPerson(family: string) {
  return {
    resourceType: 'Patient',
    name: [{ use: 'usual', given: ['Jane'], family, prefix: ['Mrs'], period: { start: '1986-07-01' } }],
    gender: 'female',
    birthDate: '1982-07-10',
    address: [{ use: 'home', line: ['1 Trevelyan Square', 'Leeds'], postalCode: 'LS1 6AE', period: { start: '2020-01-01' } }],
    extension: [REGISTERING_AUTHORITY],
  };
}

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  body: string;
  id?: string;
}

describe('database faults', () => {
  let postgres: OwnPostgres;
  let spine: TestSpine;
  let bearer: string;
  let own: SpineOnOwnPostgres;

  async function pds(path: string, init: { method?: string; body?: unknown } = {}): Promise<Answer> {
    const started = Date.now();
    const response = await fetch(`${spine.url}${PDS}/${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${bearer}`, 'x-request-id': randomUUID(),
        ...(init.body ? { 'content-type': 'application/fhir+json' } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
      // No fault may leave a request hanging: the timeouts bound every answer.
      signal: AbortSignal.timeout(15_000),
    });
    const body = await response.text();
    const id = response.status === 201 ? (JSON.parse(body) as { id: string }).id : undefined;
    return { status: response.status, ms: Date.now() - started, retryAfter: response.headers.get('retry-after'), body, id };
  }

  async function status(): Promise<Answer> {
    const started = Date.now();
    const response = await fetch(`${spine.url}/_status`);
    const body = await response.text();
    return { status: response.status, ms: Date.now() - started, retryAfter: response.headers.get('retry-after'), body };
  }

  /** A 503 as the FHIR APIs answer it: OperationOutcome SERVICE_UNAVAILABLE, Retry-After, no addresses. */
  function assertUnavailable(answer: Answer) {
    assert.equal(answer.status, 503, answer.body);
    assert.ok(Number(answer.retryAfter) >= 1, `Retry-After: ${answer.retryAfter}`);
    const outcome = JSON.parse(answer.body) as { resourceType: string; issue: Array<{ code: string; details: { coding: Array<{ code: string }> }; diagnostics: string }> };
    assert.equal(outcome.resourceType, 'OperationOutcome');
    assert.equal(outcome.issue[0]!.code, 'transient');
    assert.equal(outcome.issue[0]!.details.coding[0]!.code, 'SERVICE_UNAVAILABLE');
    assertNoAddresses(answer.body);
  }

  function assertNoAddresses(body: string) {
    const port = new URL(postgres.server.connectionString).port;
    assert.ok(!body.includes('127.0.0.1') && !body.includes(port) && !/postgres(ql)?:\/\//.test(body), `internal address in ${body}`);
  }

  async function waitForRecovery(timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const read = await pds('Patient/9000000009');
      if (read.status === 200) return;
      assert.ok(Date.now() < deadline, `not recovered: ${read.status} ${read.body}`);
      await sleep(200);
    }
  }

  before(async () => {
    ({ postgres, spine } = own = await startSpineOnOwnPostgres({
      env: { OPENSPINE_DB_CONNECT_TIMEOUT_MS: '1000', OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '1500' },
    }));
    bearer = (await userToken(spine, { roleCode: 'R8000' })).token;
  });
  after(async () => {
    await own?.close();
  });

  it('PostgreSQL killed under load: the Spine lives on, answers 503 with Retry-After meanwhile, recovers by itself, loses no acknowledged write', { timeout: 60_000 }, async () => {
    const answers: Answer[] = [];
    const failures: string[] = [];
    let running = true;
    const worker = async (n: number) => {
      for (let i = 0; running; i++) {
        try {
          answers.push(i % 2 === 0 ? await pds('Patient/9000000009') : await pds('Patient', { method: 'POST', body: newPerson(`Crash${n}x${i}`) }));
        } catch (err) {
          failures.push(`${i % 2 === 0 ? 'read' : 'create'} at ${Date.now() - startedAt} ms: ${(err as Error).message}`);
        }
        // A failure that comes without I/O must not starve the timers that end the load.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const startedAt = Date.now();
    const workers = Array.from({ length: 12 }, (_, n) => worker(n));
    // Kill once writes are being acknowledged; keep the load on until a while after the restart.
    while (!answers.some((a) => a.status === 201)) {
      if (Date.now() - startedAt > 20_000) {
        running = false;
        await Promise.all(workers);
        assert.fail(`no create acknowledged before the kill: ${answers.find((a) => a.status !== 200)?.body}`);
      }
      await sleep(50);
    }
    const killedPid = postgres.postmasterPid();
    process.kill(killedPid, 'SIGKILL');
    const killedAt = Date.now() - startedAt;
    await postgres.waitUntilUp();
    await sleep(1_500);
    running = false;
    await Promise.all(workers);
    await waitForRecovery();

    assert.deepEqual(failures, [], `every request got an answer (PostgreSQL killed at ${killedAt} ms)`);
    const byStatus: Record<string, Answer[]> = {};
    for (const answer of answers) (byStatus[String(answer.status)] ??= []).push(answer);
    assert.deepEqual(Object.keys(byStatus).filter((s) => !['200', '201', '503'].includes(s)), [], `unexpected statuses ${JSON.stringify(Object.keys(byStatus))}: ${answers.find((a) => ![200, 201, 503].includes(a.status))?.body}`);
    assert.ok((byStatus['503'] ?? []).length > 0, 'some requests met the crash');
    for (const answer of byStatus['503'] ?? []) assertUnavailable(answer);
    assert.ok((byStatus['201'] ?? []).length > 0, 'creates were acknowledged');

    // Every create that was acknowledged is there; every create the database holds (acknowledged
    // or not) is whole: its row, its historic name keys and its outbox event, or none of them.
    const check = new pg.Client({ connectionString: spine.databaseUrl });
    await check.connect();
    try {
      for (const created of byStatus['201'] ?? []) assert.equal((await pds(`Patient/${created.id}`)).status, 200);
      const { rows } = await check.query<{ nhs_number: string; names: number; events: number }>(
        `SELECT p.nhs_number,
                (SELECT count(*)::int FROM demographics.historic_names h WHERE h.nhs_number = p.nhs_number) AS names,
                (SELECT count(*)::int FROM platform.outbox o WHERE o.nhs_number = p.nhs_number) AS events
           FROM demographics.patients p WHERE p.family LIKE 'CRASH%' OR p.family LIKE 'Crash%'`);
      const acknowledged = new Set((byStatus['201'] ?? []).map((a) => a.id));
      for (const id of acknowledged) assert.ok(rows.some((r) => r.nhs_number === id), `acknowledged ${id} is stored`);
      for (const row of rows) assert.ok(row.events === 1, `whole write: ${JSON.stringify(row)}`);
    } finally {
      await check.end();
    }

    // The supervisor restarted PostgreSQL and said so.
    assert.notEqual(postgres.postmasterPid(), killedPid);
    const log = readFileSync(join(postgres.cluster, '..', 'pg-supervisor.log'), 'utf8');
    assert.match(log, new RegExp(`PostgreSQL \\(pid ${killedPid}\\) exited unexpectedly \\(signal SIGKILL\\): restarting it`));
    assert.match(log, /PostgreSQL recovered: accepting connections again/);
  });

  it('a database refusing connections: fast 503s (FHIR, MESH and OAuth2 shapes), /_status 503 without addresses; back by itself when it returns', { timeout: 60_000 }, async () => {
    const supervisor = postgres.supervisorPid();
    // Hold the supervisor so PostgreSQL stays down, then kill PostgreSQL.
    process.kill(supervisor, 'SIGSTOP');
    try {
      const postmaster = postgres.postmasterPid();
      process.kill(postmaster, 'SIGKILL');
      // (It stays a zombie until its held supervisor reaps it, but its port is closed at once.)
      await sleep(300);
      for (let i = 0; i < 5; i++) {
        const answer = await pds('Patient/9000000009');
        assertUnavailable(answer);
        assert.ok(answer.ms < 1_000, `a refused connection answers fast, not in ${answer.ms} ms`);
      }
      const health = await status();
      assert.equal(health.status, 503);
      assert.ok(health.ms < 1_000, `/_status took ${health.ms} ms`);
      assert.equal(JSON.parse(health.body).checks.database.status, 'fail');
      assertNoAddresses(health.body);

      const mesh = await fetch(`${spine.url}/messageexchange/${MB2}/inbox`, {
        headers: { authorization: meshAuthorization(MB2), accept: 'application/vnd.mesh.v2+json' },
      });
      const meshBody = await mesh.text();
      assert.equal(mesh.status, 503, meshBody);
      assert.ok(Number(mesh.headers.get('retry-after')) >= 1, 'MESH 503 has Retry-After');
      assert.match(mesh.headers.get('content-type') ?? '', /application\/vnd\.mesh\.v2\+json/);
      const meshError = JSON.parse(meshBody) as { internal_id: string; detail: Array<{ code: string }> };
      assert.equal(typeof meshError.internal_id, 'string');
      assert.equal(meshError.detail[0]!.code, '503');
      assertNoAddresses(meshBody);

      // The token endpoint answers in the OAuth2 shape it uses for every error: a well-formed
      // assertion gets as far as looking its application up.
      const key = await generateSigningKey('RS512', 2048);
      const apiKey = randomUUID();
      const assertion = signRaw({ alg: 'RS512', typ: 'JWT', kid: key.kid },
        { iss: apiKey, sub: apiKey, aud: `${spine.config.publicBaseUrl}/oauth2/token`, jti: randomUUID(), exp: Math.floor(Date.now() / 1000) + 240 }, key.privateKeyPem);
      const token = await fetch(`${spine.url}/oauth2/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(clientCredentials(assertion)),
      });
      const tokenBody = await token.text();
      assert.equal(token.status, 503, tokenBody);
      assert.ok(Number(token.headers.get('retry-after')) >= 1, 'OAuth2 503 has Retry-After');
      assert.equal(token.headers.get('cache-control'), 'no-store');
      assert.deepEqual(JSON.parse(tokenBody), {
        error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable (database unreachable or too slow); retry later',
      });
    } finally {
      process.kill(supervisor, 'SIGCONT');
    }
    await waitForRecovery();
    assert.equal((await status()).status, 200);
  });

  it('a frozen database (SIGSTOP): calls end in 503 within the timeouts, later calls fail fast, /_status within a second; recovers when it thaws', { timeout: 60_000 }, async () => {
    const frozen = postgres.serverPids();
    for (const pid of frozen) signalServerProcess(pid, 'SIGSTOP');
    try {
      const first = await Promise.all(Array.from({ length: 5 }, () => pds('Patient/9000000009')));
      for (const answer of first) {
        assertUnavailable(answer);
        assert.ok(answer.ms < 6_000, `bounded by the timeouts, not ${answer.ms} ms`);
      }
      const health = await status();
      assert.equal(health.status, 503);
      assert.ok(health.ms < 1_000, `/_status took ${health.ms} ms`);
      assertNoAddresses(health.body);
      // The database is known to be down: no more waiting on it.
      for (let i = 0; i < 5; i++) {
        const answer = await pds('Patient/9000000009');
        assertUnavailable(answer);
        assert.ok(answer.ms < 500, `known down, so fast: ${answer.ms} ms`);
      }
    } finally {
      for (const pid of frozen) signalServerProcess(pid, 'SIGCONT');
    }
    await waitForRecovery();
    assert.equal((await status()).status, 200);
  });
});

