import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { createAppAndToken, userToken } from './support/identity.js';
import { startStreamingPair, type StreamingPair } from './support/replica.js';
import { freePort } from '../src/platform/db/embedded.js';
import { recordLocatorService } from '../src/services/record-locator/index.js';
import { REGISTERING_AUTHORITY } from './demographics/support/pds.js';
import { MENTAL_HEALTH_CRISIS_PLAN, call, nextNhsNumber, pointerBody } from './record-locator/support.js';

const root = new URL('..', import.meta.url).pathname;
const PDS = '/personal-demographics/FHIR/R4';
const WRITER_ODS = 'RQI';
const READER_ODS = 'RX898';
// Applications as an API gateway names them (`NHSD-Connection-Metadata`), not OpenSpine's.
const GATEWAY_WRITER = 'gateway-writer-app';
const GATEWAY_READER = 'gateway-reader-app';
const behindGateway = (appId: string, odsCode: string) => ({
  'nhsd-connection-metadata': JSON.stringify({ 'nrl.app-id': appId, 'nrl.ods-code': odsCode }),
  'nhsd-client-rp-details': JSON.stringify({ 'developer.app.name': `App ${appId}`, 'developer.app.id': `dev-${appId}` }),
});

/**
 * Lag-tolerant reads (PDS search, NRL consumer search, audit search) on a real streaming replica
 * of an embedded PostgreSQL. Replay on the replica is paused to make it observably behind: a
 * caller who has not written then gets the replica's (older) answer, while the caller who wrote
 * gets its own write from the primary, at this process and at another `openspine serve` process.
 * Past the lag bound, and with the replica down, every read is answered by the primary.
 */
describe('read replica: lag-tolerant reads, read-your-writes across processes, and fallbacks', { timeout: 600_000 }, () => {
  let pair: StreamingPair;
  let spine: TestSpine;
  let strict: TestSpine;
  let gateway: TestSpine;
  let other: { url: string; child: ChildProcess; dataDir: string };
  let primary: pg.Pool;
  const nhsNumber = nextNhsNumber();
  const subject = encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`);
  let writer: Record<string, string>;
  let reader: Record<string, string>;
  let readerToken = '';

  const replicaEnv = (maxLagMs: number) => ({
    OPENSPINE_REPLICA_MAX_LAG_MS: String(maxLagMs), OPENSPINE_REPLICA_CHECK_INTERVAL_MS: '200',
  });

  before(async () => {
    pair = await startStreamingPair();
    const env = { DATABASE_REPLICA_URL: pair.replicaUrl, ...replicaEnv(120_000) };
    spine = await startTestSpine({ databaseUrl: pair.primaryUrl, env });
    primary = new pg.Pool({ connectionString: pair.primaryUrl, max: 2 });
    // Another process on the same primary and replica, behind the same public address.
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'openspine-replica-serve-'));
    const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'serve', '--demo', '--no-seed-demo', '--port', String(port)], {
      env: {
        ...process.env, ...env, DATABASE_URL: pair.primaryUrl, OPENSPINE_DATA_DIR: dataDir, LOG_LEVEL: 'warn',
        OPENSPINE_PUBLIC_URL: spine.config.publicBaseUrl, OPENSPINE_MAX_EVENT_LOOP_DELAY_MS: '0',
      },
      stdio: 'ignore',
    });
    other = { url: `http://127.0.0.1:${port}`, child, dataDir };
    // A third, with a lag bound of one second.
    strict = await startTestSpine({
      databaseUrl: pair.primaryUrl, modules: [recordLocatorService],
      env: { DATABASE_REPLICA_URL: pair.replicaUrl, OPENSPINE_PUBLIC_URL: spine.config.publicBaseUrl, ...replicaEnv(1_000) },
    });
    // A fourth behind an API gateway: NRL takes its callers from the headers the gateway injects.
    gateway = await startTestSpine({
      databaseUrl: pair.primaryUrl, modules: [recordLocatorService],
      env: { DATABASE_REPLICA_URL: pair.replicaUrl, OPENSPINE_PUBLIC_URL: spine.config.publicBaseUrl, OPENSPINE_TRUST_GATEWAY: 'true', ...replicaEnv(120_000) },
    });

    const admin = await createAppAndToken(spine, { activities: ['record-locator:admin'] });
    const grant = async (appId: string, ods: string) => {
      const response = await fetch(`${spine.url}/admin/record-locator/permissions/${appId}/${ods}`, {
        method: 'PUT', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' }, body: JSON.stringify([MENTAL_HEALTH_CRISIS_PLAN]),
      });
      assert.equal(response.status, 200, await response.text());
    };
    const writerApp = await createAppAndToken(spine, { activities: ['record-locator:produce', 'record-locator:consume'], odsCode: WRITER_ODS });
    await grant(writerApp.principal.appId, WRITER_ODS);
    writer = { authorization: `Bearer ${writerApp.token}`, 'nhsd-end-user-organisation-ods': WRITER_ODS };
    const readerApp = await createAppAndToken(spine, { activities: ['record-locator:consume', 'audit:read', 'audit:read-all'], odsCode: READER_ODS });
    await grant(readerApp.principal.appId, READER_ODS);
    readerToken = readerApp.token;
    reader = { authorization: `Bearer ${readerApp.token}`, 'nhsd-end-user-organisation-ods': READER_ODS };
    await grant(GATEWAY_WRITER, WRITER_ODS);
    await grant(GATEWAY_READER, READER_ODS);
    for (let i = 0; ; i += 1) {
      if ((await fetch(`${other.url}/_status`).then((r) => r.status, () => 0)) === 200) break;
      assert.ok(i < 600, 'the second serve process answers /_status');
      await sleep(200);
    }
  });

  after(async () => {
    other?.child.kill('SIGTERM');
    await primary?.end();
    await strict?.close();
    await gateway?.close();
    await spine?.close();
    await pair?.close();
    if (other) rmSync(other.dataDir, { recursive: true, force: true });
  });

  const createPointer = async () => {
    const response = await call(spine, 'POST', '/producer/FHIR/R4/DocumentReference', writer, { body: pointerBody(WRITER_ODS, nhsNumber) });
    assert.equal(response.status, 201, JSON.stringify(response.body));
  };
  /** The number of the patient's pointers a caller finds with a consumer search at a process. */
  const pointersFound = async (baseUrl: string, identity: Record<string, string>) => {
    const response = await fetch(`${baseUrl}/record-locator/consumer/FHIR/R4/DocumentReference?subject:identifier=${subject}`, {
      headers: { 'x-request-id': randomUUID(), ...identity },
    });
    const body = await response.json() as { total: number };
    assert.equal(response.status, 200, JSON.stringify(body));
    return body.total;
  };
  const pointersOnPrimary = async () => Number((await primary.query(
    'SELECT count(*) AS n FROM record_locator.pointers WHERE nhs_number = $1', [nhsNumber])).rows[0].n);
  /** `openspine_db_lag_tolerant_reads_total` of a process, by `pool reason`. */
  const reads = async (baseUrl: string) => {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    const counts = new Map<string, number>();
    for (const m of text.matchAll(/^openspine_db_lag_tolerant_reads_total\{pool="(\w+)",reason="([\w-]+)"\} (\d+)/gm)) counts.set(`${m[1]} ${m[2]}`, Number(m[3]));
    // Only the database lines: enough to explain a failed assertion.
    const lines = text.split('\n').filter((line) => line.startsWith('openspine_db_')).join('\n');
    return { counts, text: lines, get: (key: string) => counts.get(key) ?? 0 };
  };
  const replicaInUse = async (baseUrl: string) => /^openspine_db_replica_in_use 1$/m.test((await reads(baseUrl)).text);
  const until = async (what: string, probe: () => Promise<boolean>) => {
    for (let i = 0; !(await probe()); i += 1) {
      assert.ok(i < 300, what);
      await sleep(200);
    }
  };

  it('with replay paused, a caller who has not written is answered by the replica: the state before the pause, at either process', async () => {
    await createPointer();
    await pair.caughtUp();
    await until('the replica in use at both processes', async () => (await replicaInUse(spine.url)) && (await replicaInUse(other.url)));
    const admin = pair.replicaAdmin();
    await admin.connect();
    await admin.query('SELECT pg_wal_replay_pause()');
    await admin.end();
    await createPointer();
    assert.equal(await pointersOnPrimary(), 2);

    const before = await reads(spine.url);
    assert.equal(await pointersFound(spine.url, reader), 1, 'the replica has not replayed the second pointer');
    assert.equal(await pointersFound(other.url, reader), 1, 'nor at the other process');
    const afterwards = await reads(spine.url);
    assert.equal(afterwards.get('replica replica') - before.get('replica replica'), 1, afterwards.text);
  });

  it('the writing caller reads its own write from the primary, at this process and at another one', async () => {
    const before = await reads(other.url);
    assert.equal(await pointersFound(spine.url, writer), 2);
    assert.equal(await pointersFound(other.url, writer), 2, 'the write made at one process is known at the other');
    const afterwards = await reads(other.url);
    assert.equal(afterwards.get('primary own-write') - before.get('primary own-write'), 1, afterwards.text);
  });

  it('PDS search and audit search are lag-tolerant reads too: stale for others, fresh for the writer', async () => {
    const family = `Replica${randomUUID().replace(/-/g, '').slice(0, 8)}`;
    const clinician = await userToken(spine, { roleCode: 'R8000', userId: '555000000001' });
    const colleague = await userToken(spine, { roleCode: 'R8000', userId: '555000000002' });
    const created = await fetch(`${spine.url}${PDS}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clinician.token}`, 'x-request-id': randomUUID(), 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Patient', gender: 'female', birthDate: '1979-06-02', extension: [REGISTERING_AUTHORITY],
        name: [{ use: 'usual', family, given: ['Ffion'] }], address: [{ use: 'home', line: ['3 Quay Street'], postalCode: 'CF10 1EA' }],
      }),
    });
    assert.equal(created.status, 201, await created.text());
    const search = async (token: string) => {
      const response = await fetch(`${spine.url}${PDS}/Patient?family=${family}&birthdate=eq1979-06-02`, {
        headers: { authorization: `Bearer ${token}`, 'x-request-id': randomUUID() },
      });
      const body = await response.json() as { total: number };
      assert.equal(response.status, 200, JSON.stringify(body));
      return body.total;
    };
    assert.equal(await search(colleague.token), 0, 'the colleague\'s search is served by the paused replica');
    assert.equal(await search(clinician.token), 1, 'the clinician finds the patient just created');

    // The trail of the patient's pointers: the replica has the records from before the pause only.
    const trail = await fetch(`${spine.url}/audit/FHIR/R4/AuditEvent?patient=${nhsNumber}`, { headers: { authorization: `Bearer ${readerToken}` } });
    const bundle = await trail.json() as { total: number };
    assert.equal(trail.status, 200, JSON.stringify(bundle));
    const onPrimary = Number((await primary.query('SELECT count(*) AS n FROM audit.events WHERE nhs_numbers @> ARRAY[$1]', [nhsNumber])).rows[0].n);
    assert.ok(bundle.total < onPrimary, `the audit search answered from the replica (${bundle.total} records) is behind the primary (${onPrimary})`);
  });

  it('behind a gateway (OPENSPINE_TRUST_GATEWAY) a caller named by the injected headers reads its own write from the primary; another, the replica', async () => {
    // A patient of its own: the other tests count the first patient's pointers.
    const patient = nextNhsNumber();
    const found = async (identity: Record<string, string>) => {
      const response = await call(gateway, 'GET', `/consumer/FHIR/R4/DocumentReference?subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${patient}`)}`, identity);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return (response.body as { total: number }).total;
    };
    await until('the replica in use at the gateway process', () => replicaInUse(gateway.url));
    const before = await reads(gateway.url);
    const created = await call(gateway, 'POST', '/producer/FHIR/R4/DocumentReference', behindGateway(GATEWAY_WRITER, WRITER_ODS), { body: pointerBody(WRITER_ODS, patient) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(await found(behindGateway(GATEWAY_WRITER, WRITER_ODS)), 1, 'the writer finds the pointer it has just created');
    assert.equal(await found(behindGateway(GATEWAY_READER, READER_ODS)), 0, 'another caller is served by the paused replica');
    const afterwards = await reads(gateway.url);
    assert.equal(afterwards.get('primary own-write') - before.get('primary own-write'), 1, afterwards.text);
    assert.equal(afterwards.get('replica replica') - before.get('replica replica'), 1, afterwards.text);
  });

  it('past the lag bound the replica is left alone: reads go to the primary', async () => {
    await until('the strict process sees the paused replica lag past one second', async () => !(await replicaInUse(strict.url)));
    const before = await reads(strict.url);
    assert.equal(await pointersFound(strict.url, reader), 2);
    const afterwards = await reads(strict.url);
    assert.equal(afterwards.get('primary replica-lagging') - before.get('primary replica-lagging'), 1, afterwards.text);
    assert.match(afterwards.text, /^openspine_db_replica_lag_seconds [1-9]/m);

    // Replay resumed, the replica catches up and is used again.
    const admin = pair.replicaAdmin();
    await admin.connect();
    await admin.query('SELECT pg_wal_replay_resume()');
    await admin.end();
    await pair.caughtUp();
    await until('the strict process back on the replica', () => replicaInUse(strict.url));
    assert.equal(await pointersFound(strict.url, reader), 2);
    assert.equal((await reads(strict.url)).get('replica replica') - before.get('replica replica'), 1);
  });

  it('with the replica down, reads are still answered (200) by the primary, at every process', async () => {
    await pair.stopReplica();
    await createPointer();
    for (const url of [spine.url, other.url, strict.url]) assert.equal(await pointersFound(url, reader), 3, url);
    const { counts, text } = await reads(spine.url);
    const fellBack = (counts.get('primary replica-failed') ?? 0) + (counts.get('primary replica-unavailable') ?? 0);
    assert.ok(fellBack >= 1, text);
    await until('the replica reported out of use', async () => !(await replicaInUse(spine.url)));
    assert.equal(await pointersFound(spine.url, reader), 3);
  });
});
