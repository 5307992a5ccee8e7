import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTwoTestSpines, type TestSpine } from '../support/spine.js';
import { DEMO_IDENTITIES, consoleLogin } from '../support/console.js';
import { userToken } from '../support/identity.js';
import { FLUSH_MS } from '../../src/platform/http/traffic-minutes.js';

/** The overview's figures are the whole Spine's: two processes on one database, either one's page shows the sum. */
describe('the overview with two processes on one database', () => {
  let a: TestSpine;
  let b: TestSpine;
  let close: () => Promise<void>;
  before(async () => { ({ a, b, close } = await startTwoTestSpines()); });
  after(async () => { await close?.(); });

  /** The overview's health row for a service: requests and server errors over the last hour. */
  const figures = async (spine: TestSpine, service: string) => {
    const session = await consoleLogin(spine.url, DEMO_IDENTITIES.operator);
    const html = await (await session.get('/console/overview/live')).text();
    const row = new RegExp(`<th scope="row" class="nhsuk-table__header">${service}</th>[\\s\\S]*?--numeric">(\\d+)</td>\\s*<td[^>]*>(\\d+)`).exec(html);
    assert.ok(row, `no ${service} row`);
    return { requests: Number(row[1]), serverErrors: Number(row[2]) };
  };

  it('PDS requests answered by each process add up on either process\'s overview', async () => {
    const read = async (spine: TestSpine, nhsNumber: string) => {
      const { token } = await userToken(spine, { roleCode: 'R8000' });
      const response = await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/${nhsNumber}`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': crypto.randomUUID() } });
      assert.equal(response.status, 200);
    };
    for (let i = 0; i < 3; i++) await read(a, '9000000009');
    for (let i = 0; i < 5; i++) await read(b, '9000000017');
    // Each process adds its counts every FLUSH_MS; wait for both (generously: the machine may be loaded).
    const deadline = Date.now() + FLUSH_MS * 8;
    let seen = await figures(a, 'demographics');
    while (seen.requests < 8 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      seen = await figures(a, 'demographics');
    }
    assert.deepEqual(seen, { requests: 8, serverErrors: 0 });
    assert.deepEqual(await figures(b, 'demographics'), { requests: 8, serverErrors: 0 });
  });
});
