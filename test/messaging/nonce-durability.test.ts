import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSpineOnOwnPostgres, untilHealthy, type OwnPostgres, type SpineOnOwnPostgres, type TestSpine } from '../support/spine.js';
import { MB2, V2, meshAuthorization } from './support/mesh-client.js';

/**
 * A used NHSMESH header is never accepted again, even when PostgreSQL crashes right after it was
 * used: the nonce claim commits synchronously. (On an asynchronous-commit pool, most of the
 * claims of the last instant before a crash were lost and their headers accepted a second time.)
 * PostgreSQL here is this file's own, killed with SIGKILL (every one of its processes at once).
 */
describe('MESH nonces survive a crash of PostgreSQL', () => {
  let postgres: OwnPostgres;
  let spine: TestSpine;
  let own: SpineOnOwnPostgres;

  before(async () => {
    ({ postgres, spine } = own = await startSpineOnOwnPostgres());
  });
  after(async () => {
    await own?.close();
  });

  const call = (path: string, authorization: string) =>
    fetch(`${spine.url}/messageexchange/${MB2}${path}`, { headers: { accept: V2, authorization }, signal: AbortSignal.timeout(15_000) });

  it('list and count headers used just before a SIGKILL of PostgreSQL are refused (403) after it restarts', { timeout: 60_000 }, async () => {
    // The crash comes in the instant after the calls: hold the processes that would write the WAL
    // out in the background meanwhile (an unsynchronised commit would stay in memory only).
    const writers = postgres.serverPidsNamed(/postgres: (walwriter|background writer|checkpointer)/);
    assert.equal(writers.length, 3);
    for (const pid of writers) process.kill(pid, 'SIGSTOP');
    const used: Array<{ path: string; token: string }> = [];
    for (let i = 0; i < 10; i++) used.push({ path: i % 2 === 0 ? '/inbox' : '/count', token: meshAuthorization(MB2) });
    const first = await Promise.all(used.map(async ({ path, token }) => {
      const response = await call(path, token);
      const body = await response.text();
      return response.status === 200 ? 200 : `${response.status} ${body}`;
    }));
    assert.deepEqual(first, used.map(() => 200));

    postgres.signalAll('SIGKILL');
    await postgres.waitUntilUp();
    await untilHealthy(spine, 20_000);

    const replays = await Promise.all(used.map(async ({ path, token }) => {
      const response = await call(path, token);
      const body = await response.json() as { detail?: Array<{ msg: string }> };
      return { path, status: response.status, msg: body.detail?.[0]?.msg };
    }));
    assert.deepEqual(replays, used.map(({ path }) => ({ path, status: 403, msg: 'Error Duplicated Authentication Token' })));
  });
});
