import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startTestSpine, startTwoTestSpines, type TestSpine } from './support/spine.js';
import { createAppAndToken, userToken } from './support/identity.js';
import { assertionParts, clientCredentials, postToken, registerApp, signRaw } from './identity/fixtures.js';
import { REGISTERING_AUTHORITY } from './demographics/support/pds.js';
import { fixedClock } from '../src/platform/clock.js';
import { SHARE_INTERVAL_MS } from '../src/platform/http/rate-limit.js';
import { identityService } from '../src/services/identity/index.js';

const USERS = '/admin/identity/users';
const PDS = '/personal-demographics/FHIR/R4';

/**
 * Any number of `serve` processes on one database behave as one Spine: what one process has
 * seen (a client assertion's jti, a request id, an app's requests this second) binds the others.
 * (MESH across processes: test/messaging/two-processes.test.ts.)
 */
describe('several processes on one database', () => {
  // One fixed second for both processes, so the rate-limit windows cannot roll over mid-test.
  const clock = fixedClock(new Date('2026-12-01T12:00:00.250Z'));
  let a: TestSpine;
  let b: TestSpine;
  let db: pg.Pool;
  before(async () => {
    a = await startTestSpine({ clock });
    // Behind one balancer: both processes answer to the same public address (the OAuth2 audience).
    b = await startTestSpine({ clock, databaseUrl: a.databaseUrl, env: { OPENSPINE_PUBLIC_URL: a.config.publicBaseUrl } });
    db = new pg.Pool({ connectionString: a.databaseUrl, max: 2 });
  });
  after(async () => {
    await db.end();
    await b.stop();
    await a.close();
  });

  /** Waits until the shared window of the app holds `count` and both processes have read it back. */
  async function shared(appId: string, count: number) {
    for (let i = 0; i < 200; i += 1) {
      const { rows } = await db.query<{ count: number }>('SELECT count FROM platform.rate_windows WHERE app_id = $1', [appId]);
      if (rows[0]?.count === count) {
        await sleep(SHARE_INTERVAL_MS * 4);
        return;
      }
      await sleep(50);
    }
    assert.fail(`the shared window of ${appId} never reached ${count}`);
  }

  it('an application\'s requests-per-second limit is one limit across processes', async () => {
    const limited = await createAppAndToken(a, { activities: ['identity:admin'], rateLimit: 20 });
    const call = (spine: TestSpine) => fetch(`${spine.url}${USERS}`, { headers: { authorization: `Bearer ${limited.token}` } })
      .then(async (r) => { await r.arrayBuffer(); return r.status; });

    const first = await Promise.all(Array.from({ length: 15 }, () => call(a)));
    assert.deepEqual(first, Array(15).fill(200));
    await shared(limited.principal.appId, 15);
    assert.equal(await call(b), 200);
    await shared(limited.principal.appId, 16);
    // 16 of 20 used between the two processes: process B lets 4 more through, not 19.
    const second = await Promise.all(Array.from({ length: 10 }, () => call(b)));
    assert.equal(second.filter((s) => s === 200).length, 4, second.join());
    assert.equal(second.filter((s) => s === 429).length, 6, second.join());
    await shared(limited.principal.appId, 26);
    // And process A, which has made no call since, has heard of them.
    assert.equal(await call(a), 429);

    // Another app's window is its own.
    const other = await createAppAndToken(a, { activities: ['identity:admin'], rateLimit: 20 });
    const response = await fetch(`${b.url}${USERS}`, { headers: { authorization: `Bearer ${other.token}` } });
    assert.equal(response.status, 200);
  });

  it('a client assertion used at one process is refused at the other', async () => {
    const app = await registerApp(a, { activities: ['patient:read'] });
    const { header, claims } = assertionParts(app, Math.floor(clock.now().getTime() / 1000));
    const assertion = signRaw(header, claims, app.key.privateKeyPem);
    const once = await postToken(a, clientCredentials(assertion));
    assert.equal(once.status, 200, JSON.stringify(once.body));
    const replayed = await postToken(b, clientCredentials(assertion));
    assert.equal(replayed.status, 400, JSON.stringify(replayed.body));
    assert.equal(replayed.body.error, 'invalid_request');
    assert.match(replayed.body.error_description ?? '', /jti/i);
  });

  it('a create retried at another process with the same X-Request-ID replays the first answer and creates nothing twice', async () => {
    const user = await userToken(a, { roleCode: 'R8000' });
    const requestId = randomUUID();
    // A retry sends the request again as it was: the same body.
    const body = JSON.stringify({
      resourceType: 'Patient', gender: 'male', birthDate: '1981-03-14', extension: [REGISTERING_AUTHORITY],
      name: [{ use: 'usual', family: `Processes${randomUUID().slice(0, 8)}`, given: ['Owain'] }],
      address: [{ use: 'home', line: ['9 Bute Street'], postalCode: 'CF10 5AL' }],
    });
    const create = (spine: TestSpine) => fetch(`${spine.url}${PDS}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'x-request-id': requestId, 'content-type': 'application/fhir+json' },
      body,
    }).then(async (r) => ({ status: r.status, body: await r.json() as { id: string } }));
    const first = await create(a);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const retried = await create(b);
    assert.equal(retried.status, 201, JSON.stringify(retried.body));
    assert.equal(retried.body.id, first.body.id);
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit.events WHERE request_id = $1 AND action = 'patient.create'`, [requestId]);
    assert.equal(rows[0]!.n, 2, 'the create and its replay are both audited');
  });
});

describe('the token endpoint\'s per-address limit across processes', () => {
  // One fixed minute for both processes, so the window cannot roll over mid-test.
  const clock = fixedClock(new Date('2026-12-01T12:00:10.000Z'));
  let a: TestSpine;
  let b: TestSpine;
  let close: () => Promise<void>;
  let db: pg.Pool;
  before(async () => {
    ({ a, b, close } = await startTwoTestSpines({ clock, demo: false, modules: [identityService], flags: { services: 'identity', tokenRateLimit: 6 } }));
    db = new pg.Pool({ connectionString: a.databaseUrl, max: 1 });
  });
  after(async () => {
    await db?.end();
    await close?.();
  });

  // A form without an assertion: refused (400) after the limit is checked, so each one counts.
  const post = (spine: TestSpine) => fetch(`${spine.url}/oauth2/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials',
  }).then(async (r) => { await r.arrayBuffer(); return r.status; });

  async function sharedCount(count: number) {
    for (let i = 0; i < 200; i += 1) {
      const { rows } = await db.query<{ count: number }>(`SELECT count FROM platform.rate_windows WHERE app_id LIKE 'oauth2-token %'`);
      if (rows[0]?.count === count) {
        await sleep(SHARE_INTERVAL_MS * 4);
        return;
      }
      await sleep(50);
    }
    assert.fail(`the shared token window never reached ${count}`);
  }

  it('one address gets one allowance a minute, however many processes it calls', async () => {
    for (let i = 0; i < 4; i += 1) assert.equal(await post(a), 400);
    await sharedCount(4);
    // A process hears of a key's window once it has counted the key itself (then within a share interval).
    assert.equal(await post(b), 400);
    await sharedCount(5);
    // 5 of 6 used between the two processes: process B lets 1 more through, not 5.
    const atB = [];
    for (let i = 0; i < 3; i += 1) atB.push(await post(b));
    assert.deepEqual(atB, [400, 429, 429]);
    await sharedCount(8);
    // And process A, which has made no call since, has heard of them.
    assert.equal(await post(a), 429);
  });
});
