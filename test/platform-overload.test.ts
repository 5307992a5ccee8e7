import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { createAppAndToken } from './support/identity.js';
import { ALL_SERVICES } from '../src/services/registry.js';
import type { ServiceModule } from '../src/platform/service.js';
import { holdBackMs } from '../src/platform/http/shed.js';
import fc from 'fast-check';

const root = new URL('..', import.meta.url).pathname;
const READ = '/personal-demographics/FHIR/R4/Patient/9000000009';

interface LoadResult {
  errors: number;
  timeouts: number;
  latency: Record<string, { count: number; p50: number; p99: number; max: number }>;
  withRetryAfter: number;
  shedBodies: string[];
}

/** Runs test/support/load-client.ts (autocannon, loopback, bounded) in a child process. */
function load(options: { url: string; connections: number; seconds: number; headers: Record<string, string> }): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/load-client.ts', JSON.stringify(options)], { cwd: root });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  return new Promise((resolve, reject) => child.on('exit', (code) => {
    if (code !== 0) reject(new Error(`load client failed: ${output}`));
    else resolve(JSON.parse(output.trim().split('\n').at(-1)!) as LoadResult);
  }));
}

/**
 * A route `/test/hold?seconds=` that holds a database connection for a while (`defaultSeconds`
 * unless the query says otherwise); `untilHolding` resolves once a request is in it.
 */
function holdRoute(defaultSeconds: number) {
  let holding = false;
  const module: ServiceModule = {
    name: 'identity',
    migrations: [],
    async routes(app, ctx) {
      app.get<{ Querystring: { seconds?: string } }>('/test/hold', { config: { public: true } }, async (request) => {
        holding = true;
        await ctx.db.query('SELECT pg_sleep($1)', [Number(request.query.seconds ?? defaultSeconds)]);
        return { held: true };
      });
    },
  };
  return {
    module,
    async untilHolding() { while (!holding) await sleep(10); },
    reset() { holding = false; },
  };
}

describe('overload', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => { for (const cleanup of cleanups.reverse()) await cleanup(); });

  /**
   * Floods one read for `seconds` from `connections` connections, sampling RSS and requests in flight;
   * `during` runs alongside the flood.
   */
  async function flood(spine: TestSpine, connections: number, seconds: number, path = READ, during: () => Promise<void> = async () => undefined) {
    const { token } = await createAppAndToken(spine, { activities: ['patient:read'] });
    const headers = { authorization: `Bearer ${token}`, 'x-request-id': randomUUID() };
    for (let i = 0; i < 50; i++) assert.equal((await fetch(`${spine.url}${path}`, { headers: { ...headers, 'x-request-id': randomUUID() } })).status, 200);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let peakInFlight = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
      peakInFlight = Math.max(peakInFlight, spine.app.inFlight());
    }, 50);
    const warmUp = spine.app.admission.recentLatenciesMs().length;
    const [result] = await Promise.all([load({ url: `${spine.url}${path}`, connections, seconds, headers }), during()]);
    clearInterval(sampler);
    // In the server, from admission to the end of the response: what shedding keeps short. (The
    // client's figures also count the time a client that ignored Retry-After was held back.)
    const served = spine.app.admission.recentLatenciesMs().slice(warmUp).sort((a, b) => a - b);
    const waited = spine.app.admission.recentWaitsMs().slice(warmUp).sort((a, b) => a - b);
    const at = (sorted: number[], q: number) => Math.round(sorted[Math.floor(sorted.length * q)] ?? 0);
    const latencies = spine.app.admission.recentLatenciesMs().slice(warmUp);
    const service = spine.app.admission.recentWaitsMs().slice(warmUp).map((w, i) => latencies[i]! - w).sort((a, b) => a - b);
    const admittedMs = {
      count: served.length, p50: at(served, 0.5), p99: at(served, 0.99),
      waitedP50: at(waited, 0.5), waitedP99: at(waited, 0.99), serviceP50: at(service, 0.5), serviceP99: at(service, 0.99),
    };
    return { result, admittedMs, rssBaselineMb: Math.round(baseline / 1048576), rssGrownMb: Math.round((peak - baseline) / 1048576), peakInFlight };
  }

  it('ten times the concurrency it admits: the excess gets FHIR 503s with Retry-After, memory stays bounded, admitted requests stay far faster than without shedding', { timeout: 120_000 }, async () => {
    // A route whose work is 50 ms on the database, on a pool of one connection: a known capacity
    // (20 a second; admitting 2 with 2 waiting) set by the database rather than by the two shared
    // cores, so that a client on those cores really offers ten times what the server admits.
    const slowModule: ServiceModule = {
      name: 'identity',
      migrations: [],
      async routes(app, ctx) {
        app.get('/test/slow', { config: { public: true } }, async () => {
          await ctx.db.query('SELECT pg_sleep(0.05)');
          return { done: true };
        });
      },
    };
    const options = { modules: [...ALL_SERVICES, slowModule], env: { OPENSPINE_DB_POOL_MAX: '1' } };
    const shedding = await startTestSpine(options);
    const limit = shedding.config.overload.maxInFlight;
    const connections = 10 * limit;
    let shed: Awaited<ReturnType<typeof flood>>;
    try {
      shed = await flood(shedding, connections, 5, '/test/slow');
    } finally {
      await shedding.close();
    }
    // The same server and load, with every limit off: everything queues.
    const unshedding = await startTestSpine({ ...options, env: { ...options.env, OPENSPINE_MAX_IN_FLIGHT: '0', OPENSPINE_MAX_HEAP_MB: '0' } });
    let unshed: Awaited<ReturnType<typeof flood>>;
    try {
      unshed = await flood(unshedding, connections, 5, '/test/slow');
    } finally {
      await unshedding.close();
    }
    // Figures for the report, whatever the outcome.
    const figures = (run: typeof shed) => ({ ...run.result, shedBodies: run.result.shedBodies.length, inServer: run.admittedMs, rssBaselineMb: run.rssBaselineMb, rssGrownMb: run.rssGrownMb, peakInFlight: run.peakInFlight });
    process.stdout.write(`# overload at ${connections} connections, limit ${limit}: shedding ${JSON.stringify(figures(shed))}\n`);
    process.stdout.write(`# overload at ${connections} connections, no limit: ${JSON.stringify(figures(unshed))}\n`);

    const admitted = shed.result.latency['200'];
    const refused = shed.result.latency['503'];
    const queued = unshed.result.latency['200'];
    assert.deepEqual(Object.keys(shed.result.latency).filter((s) => s !== '200' && s !== '503'), [], 'only answers and sheds');
    assert.ok(admitted && admitted.count > 0, 'reads were served');
    assert.ok(refused && refused.count > 0, 'the excess was shed');
    assert.ok(queued && queued.count > 0, 'the unshed server served reads');
    assert.equal(shed.result.withRetryAfter, refused.count, 'every 503 says when to retry');
    for (const body of shed.result.shedBodies) {
      const outcome = JSON.parse(body) as { resourceType: string; issue: Array<{ code: string; details: { coding: Array<{ code: string }> } }> };
      assert.equal(outcome.resourceType, 'OperationOutcome', body);
      assert.equal(outcome.issue[0]!.details.coding[0]!.code, 'SERVICE_UNAVAILABLE', body);
    }
    assert.ok(shed.result.errors + shed.result.timeouts <= (admitted.count + refused.count) / 100, `errors ${shed.result.errors}, timeouts ${shed.result.timeouts}`);
    assert.ok(shed.peakInFlight <= limit, `in flight bounded: ${shed.peakInFlight}`);
    assert.ok(shed.rssGrownMb < 150, `RSS grew ${shed.rssGrownMb} MB`);
    // Compared within this run, not with fixed milliseconds: the machine is shared.
    assert.ok(shed.admittedMs.p99 * 2 <= unshed.admittedMs.p99, `admitted p99 in the server ${shed.admittedMs.p99} ms, without shedding ${unshed.admittedMs.p99} ms`);
  });

  it('1,000 connections: the excess is shed at once with 503 and Retry-After, memory stays bounded, admitted reads stay fast, /_ping and /_status still answer', { timeout: 60_000 }, async () => {
    const spine = await startTestSpine();
    const limit = spine.config.overload.maxInFlight;
    cleanups.push(() => spine.close());
    // Health checks during the flood: a balancer and monitoring must still hear from a busy process.
    const health: Array<{ path: string; status: number; ms: number }> = [];
    const checkHealth = async () => {
      await sleep(1_500);
      for (let i = 0; i < 6; i++) {
        for (const path of ['/_ping', '/_status']) {
          const t0 = performance.now();
          const response = await fetch(`${spine.url}${path}`);
          await response.arrayBuffer();
          health.push({ path, status: response.status, ms: Math.round(performance.now() - t0) });
        }
        await sleep(300);
      }
    };
    const { result, admittedMs, rssBaselineMb, rssGrownMb, peakInFlight } = await flood(spine, 1_000, 6, READ, checkHealth);
    const ok = result.latency['200'];
    const shed = result.latency['503'];
    // Figures for the report, whatever the outcome.
    process.stdout.write(`# overload: ${JSON.stringify({ ...result, rssBaselineMb, rssGrownMb, peakInFlight, limitAtEnd: spine.app.admission.limit(), admittedInServer: admittedMs, health })}\n`);

    assert.deepEqual(Object.keys(result.latency).filter((s) => s !== '200' && s !== '503'), [], 'only answers and sheds');
    assert.ok(ok && ok.count > 0, 'reads were served');
    assert.ok(shed && shed.count > 0, 'the excess was shed');
    assert.equal(result.withRetryAfter, shed.count, 'every 503 says when to retry');
    assert.ok(result.errors + result.timeouts <= (ok.count + shed.count) / 100, `errors ${result.errors}, timeouts ${result.timeouts}`);
    assert.ok(peakInFlight <= limit, `in flight bounded: ${peakInFlight} of ${limit}`);
    // Bounded memory: before shedding, RSS grew by over a gigabyte at this load.
    assert.ok(rssGrownMb < 250, `RSS grew ${rssGrownMb} MB`);
    // Latency of admitted reads is printed above: the target is p99 < 50 ms on a quiet machine;
    // on two shared cores the closed-loop flood of sheds competes with them for the event loop,
    // so only a bound well inside the clients' timeout is asserted here.
    assert.ok(ok.p99 < 8_000, `admitted p99 ${ok.p99} ms`);
    // In the server, from arrival (the waiting room included) to the end of the answer: once the
    // waiting room has overflowed it sheds a waiter that could no longer be served within the latency
    // target, and the limit keeps service time within half of it. The target is
    // p99 < 50 ms on a quiet machine; asserted generously for two shared cores (a full-suite run at
    // load average ~21 served 15 reads in these 6 s, with an in-server p99 of 3.4 s).
    assert.ok(admittedMs.p99 < 8_000, `admitted p99 in the server ${admittedMs.p99} ms`);
    assert.deepEqual(health.filter((h) => h.status !== 200), [], 'health checks are answered, never shed');
  });

  it('at capacity a burst waits its turn; once the waiting room overflows every API is answered at once, before Fastify, with a 503, Retry-After and its own error shape, waiters are shed once they could no longer be served within the latency target, and a shed request with a body closes its connection', { timeout: 60_000 }, async () => {
    const hold = holdRoute(3);
    const spine = await startTestSpine({ modules: [...ALL_SERVICES, hold.module], env: { OPENSPINE_MAX_IN_FLIGHT: '1' } });
    cleanups.push(() => spine.close());

    // A burst (the waiting room never overflows): the second request waits far past the latency target
    // (50 ms) for the first to finish, and is served.
    const first = fetch(`${spine.url}/test/hold?seconds=0.4`);
    await hold.untilHolding();
    const burstStarted = performance.now();
    const second = await fetch(`${spine.url}/test/hold?seconds=0`);
    const burstWaitMs = performance.now() - burstStarted;
    assert.equal((await first).status, 200);
    assert.equal(second.status, 200, 'a burst is served');
    assert.ok(burstWaitMs > 100, `the second waited for the first (${Math.round(burstWaitMs)} ms)`);
    assert.equal(spine.app.admission.shed(), 0);

    hold.reset();
    const started = Date.now();
    const held = fetch(`${spine.url}/test/hold`);
    await hold.untilHolding();
    // One in progress, one waiting: the next overflow the waiting room and are refused at once, and
    // from then on the waiting one is shed once it could no longer be served within the latency target,
    // not after a whole Retry-After.
    const waitStarted = performance.now();
    const waited = fetch(`${spine.url}/test/hold`).then((response) => ({ response, ms: performance.now() - waitStarted }));
    while (spine.app.admission.waiting() === 0) await sleep(5);
    const timed = async (path: string, init: RequestInit = {}) => {
      const t0 = performance.now();
      const response = await fetch(`${spine.url}${path}`, init);
      const body = await response.text();
      return { response, body: JSON.parse(body) as Record<string, unknown>, ms: performance.now() - t0 };
    };
    const requestId = randomUUID();
    const [fhir, meshV1, meshV2, oauth] = await Promise.all([
      timed(READ, { headers: { 'x-request-id': requestId } }),
      timed('/messageexchange/X26ABC1/inbox'),
      timed('/messageexchange/X26ABC1/inbox', { headers: { accept: 'application/vnd.mesh.v2+json' } }),
      timed('/oauth2/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' }),
    ]);
    // Health checks are answered beside the limit, not shed.
    const health = await Promise.all(['/_ping', '/_status', '/record-locator/consumer/FHIR/R4/_status'].map((path) => fetch(`${spine.url}${path}`)));
    const shedAll = Date.now() - started;
    assert.deepEqual(health.map((response) => response.status), [200, 200, 200], 'health checks at capacity');
    process.stdout.write(`# raw shed: ${JSON.stringify({ fhirMs: Math.round(fhir.ms), meshV1Ms: Math.round(meshV1.ms), meshV2Ms: Math.round(meshV2.ms), oauthMs: Math.round(oauth.ms) })}\n`);
    assert.equal((await held).status, 200);
    const { response: waitedResponse, ms: waitedMs } = await waited;
    assert.equal(waitedResponse.status, 503, 'the waiting request was refused');
    // Before the overflow a waiter waits up to a Retry-After (1 s); after it, at most half the latency
    // target (25 ms) and the sweeper's turn on a busy event loop.
    assert.ok(waitedMs < 1_000, `the waiting request was shed after ${Math.round(waitedMs)} ms, sooner than a Retry-After`);
    // All four were answered while the one admitted request was still at work.
    assert.ok(shedAll < 3_000, `shed in ${shedAll} ms, within the admitted request's 3 s`);
    for (const { response } of [fhir, meshV1, meshV2, oauth]) {
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '1');
      // Refused by the admission before Fastify (the count below), with the security headers all the same.
      assert.equal(response.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains');
    }
    assert.equal(spine.app.admission.shed(), 5, 'refused by the admission: the four, and the one that waited');
    assert.equal(fhir.response.headers.get('x-request-id'), requestId);
    assert.equal(fhir.response.headers.get('content-type'), 'application/fhir+json');
    assert.deepEqual(fhir.body, {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'transient', details: { coding: [{ system: 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode', version: '1', code: 'SERVICE_UNAVAILABLE', display: 'Service unavailable' }] }, diagnostics: 'The service is overloaded; retry after 1 s' }],
    });
    assert.equal(meshV1.response.headers.get('content-type'), 'application/json');
    assert.deepEqual(meshV1.body, { errorEvent: 'REQUEST', errorCode: '503', errorDescription: 'Service unavailable' });
    assert.equal(meshV2.response.headers.get('content-type'), 'application/vnd.mesh.v2+json');
    assert.deepEqual(meshV2.body, { internal_id: 'overloaded', detail: [{ event: 'REQUEST', code: '503', msg: 'Service unavailable', diagnostics: 'The service is overloaded; retry after 1 s' }] });
    assert.equal(oauth.response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(oauth.body, { error: 'temporarily_unavailable', error_description: 'The service is overloaded; retry after 1 s' });
    assert.equal(oauth.response.headers.get('connection'), 'close', 'the unread body is not kept for the next request');
  });

  it('a request whose client gave up while it waited its turn does no work and is not audited', { timeout: 60_000 }, async () => {
    // One request in progress at a time: the held one. The read behind it waits in the waiting room.
    const hold = holdRoute(0.8);
    const spine: TestSpine = await startTestSpine({ modules: [...ALL_SERVICES, hold.module], env: { OPENSPINE_MAX_IN_FLIGHT: '1' } });
    cleanups.push(() => spine.close());
    const { token } = await createAppAndToken(spine, { activities: ['patient:read'] });
    const read = (requestId: string, signal?: AbortSignal) =>
      fetch(`${spine.url}${READ}`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId }, signal });

    const held = fetch(`${spine.url}/test/hold`);
    await hold.untilHolding();
    const departed = randomUUID();
    const controller = new AbortController();
    const abandoned = read(departed, controller.signal).catch(() => 'aborted');
    while (spine.app.admission.waiting() === 0) await sleep(5);
    controller.abort();
    assert.equal(await abandoned, 'aborted');
    assert.equal((await held).status, 200);
    const stayed = randomUUID();
    assert.equal((await read(stayed)).status, 200);
    await sleep(300);

    const { rows } = await spine.ctx.db.query<{ request_id: string }>(
      'SELECT request_id FROM audit.events WHERE request_id = ANY($1)', [[departed, stayed]]);
    assert.deepEqual(rows.map((r) => r.request_id), [stayed], 'only the request whose client stayed was done and audited');
    assert.equal(spine.app.admission.shed(), 0, 'the departed request was dropped, not refused with a 503');
  });

  it('past the heap limit (@fastify/under-pressure) every API sheds at once with 503, Retry-After and its own error shape', { timeout: 60_000 }, async () => {
    const spine = await startTestSpine({ env: { OPENSPINE_MAX_HEAP_MB: '1' } });
    cleanups.push(() => spine.close());
    await sleep(500); // a memory sample has been taken
    const fhir = await fetch(`${spine.url}${READ}`, { headers: { 'x-request-id': randomUUID() } });
    assert.equal(fhir.status, 503);
    assert.equal(fhir.headers.get('retry-after'), '1');
    // Answered before Fastify, still with the security headers every answer carries.
    assert.equal(fhir.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains');
    assert.equal(fhir.headers.get('x-frame-options'), 'SAMEORIGIN');
    const outcome = await fhir.json() as { resourceType: string; issue: Array<{ details: { coding: Array<{ code: string }> }; diagnostics: string }> };
    assert.equal(outcome.resourceType, 'OperationOutcome');
    assert.equal(outcome.issue[0]!.details.coding[0]!.code, 'SERVICE_UNAVAILABLE');
    assert.match(outcome.issue[0]!.diagnostics, /overloaded/);

    const mesh = await fetch(`${spine.url}/messageexchange/X26ABC1/inbox`, { headers: { accept: 'application/vnd.mesh.v2+json' } });
    assert.equal(mesh.status, 503);
    assert.equal(mesh.headers.get('retry-after'), '1');
    assert.equal(((await mesh.json()) as { detail: Array<{ code: string }> }).detail[0]!.code, '503');

    const oauth = await fetch(`${spine.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    await assertOAuthUnavailable(oauth, /overloaded/);
  });

  it('at capacity the token endpoint sheds in the OAuth2 error shape, not an OperationOutcome', { timeout: 60_000 }, async () => {
    const hold = holdRoute(3);
    const spine = await startTestSpine({ modules: [...ALL_SERVICES, hold.module], env: { OPENSPINE_MAX_IN_FLIGHT: '1' } });
    cleanups.push(() => spine.close());
    // One request admitted and held by its work (a request whose body is slow to arrive gives its place back).
    const held = fetch(`${spine.url}/test/hold`);
    await hold.untilHolding();
    assert.equal(spine.app.inFlight(), 1, 'the held request is in flight');
    const oauth = await fetch(`${spine.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    // Shed on the raw server (platform/http/shed.ts), in the OAuth2 shape the identity service gives it.
    await assertOAuthUnavailable(oauth, /overloaded|at capacity/);
    assert.equal((await held).status, 200);
  });

  it('a client that asks again at once on the connection it was shed on is not read for half to all of the Retry-After, so connections shed together come back spread out', { timeout: 60_000 }, async () => {
    const hold = holdRoute(3);
    const spine = await startTestSpine({ modules: [...ALL_SERVICES, hold.module], env: { OPENSPINE_MAX_IN_FLIGHT: '1' } });
    cleanups.push(() => spine.close());
    const held = fetch(`${spine.url}/test/hold`);
    await hold.untilHolding();
    const waiter = fetch(`${spine.url}/test/hold`);
    while (spine.app.admission.waiting() === 0) await sleep(5);
    // A client that ignores Retry-After: as soon as its 503 arrives, it asks again on the same connection.
    const socket = connect(Number(new URL(spine.url).port), '127.0.0.1');
    await once(socket, 'connect');
    const answers: Array<{ status: number; ms: number }> = [];
    const t0 = performance.now();
    const get = `GET ${READ} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      // Each answer is a small body with Content-Length: count status lines as they complete.
      for (;;) {
        const head = /^HTTP\/1\.1 (\d{3})[^]*?\r\ncontent-length: (\d+)\r\n[^]*?\r\n\r\n/i.exec(buffered);
        if (!head || buffered.length < head[0].length + Number(head[2])) break;
        buffered = buffered.slice(head[0].length + Number(head[2]));
        answers.push({ status: Number(head[1]), ms: performance.now() - t0 });
        if (answers.length === 1) socket.write(get);
      }
    });
    socket.write(get);
    try {
      for (let i = 0; i < 400 && answers.length < 2; i++) await sleep(10);
      assert.equal(answers.length, 2, JSON.stringify(answers));
      assert.deepEqual(answers.map((a) => a.status), [503, 503]);
      assert.ok(answers[0]!.ms < 400, `the first was shed at once (${Math.round(answers[0]!.ms)} ms)`);
      const heldMs = answers[1]!.ms - answers[0]!.ms;
      assert.ok(heldMs >= 450 && heldMs < 2_500, `the second was answered ${Math.round(heldMs)} ms after the first`);
    } finally {
      socket.destroy();
    }
    assert.equal((await held).status, 200);
    await waiter;
  });

  it('the hold-back lasts between half and the whole of the Retry-After', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (random) => {
      const ms = holdBackMs(random);
      assert.ok(ms >= 500 && ms <= 1_000, String(ms));
    }));
  });
});

/** A 503 from POST /oauth2/token as the identity service answers it: `{error, error_description}`, no-store, Retry-After. */
async function assertOAuthUnavailable(response: Response, description: RegExp) {
  const text = await response.text();
  assert.equal(response.status, 503, text);
  assert.equal(response.headers.get('retry-after'), '1');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
  assert.equal(body.error, 'temporarily_unavailable');
  assert.match(String(body.error_description), description);
}
