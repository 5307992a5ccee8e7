import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB3, allowWorkflow, mesh, sendMessage } from './support/mesh-client.js';

/**
 * A delivery that commits late must not be skipped by a client already paging past its place.
 *
 * The delivery is held open deterministically: a trigger the test adds on `messaging.inbox` makes
 * the transaction that delivers a message of workflow HOLD wait for an advisory lock the test
 * holds, after its inbox row (and so its place in the order) exists and before it commits. Other
 * messages are sent meanwhile; the inbox is paged (v1, v2, rich) while the held one is invisible;
 * then it is let go and each paging run carries on from where it was.
 */
const HOLD_KEY = 7_301_984;
const HOLD = 'TEST_WORKFLOW_HOLD';
const PLAIN = 'TEST_WORKFLOW';

describe('MESH inbox paging: a message whose delivery commits out of order is never skipped', () => {
  let spine: TestSpine;
  let holder: pg.Client;
  before(async () => {
    spine = await startTestSpine();
    await allowWorkflow(spine, PLAIN, MB1, MB3);
    await allowWorkflow(spine, HOLD, MB1, MB3);
    holder = new pg.Client({ connectionString: spine.databaseUrl });
    await holder.connect();
    await holder.query(`
      CREATE FUNCTION messaging.test_hold_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.workflow_id = '${HOLD}' THEN PERFORM pg_advisory_xact_lock(${HOLD_KEY}); END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_hold_delivery AFTER INSERT ON messaging.inbox FOR EACH ROW EXECUTE FUNCTION messaging.test_hold_delivery();`);
  });
  after(async () => {
    await holder.end();
    await spine.close();
  });

  type Listing = { messages: Array<string | { message_id: string }>; links?: { next?: string } };
  const ids = (page: Listing) => page.messages.map((m) => (typeof m === 'string' ? m : m.message_id));
  const get = async (path: string, version: 1 | 2): Promise<Listing> => {
    const response = await mesh(spine.url, path, { version });
    assert.equal(response.status, 200, await response.clone().text());
    return response.json() as Promise<Listing>;
  };
  const follow = (next: string) => { const url = new URL(next, 'http://x'); return url.pathname.replace('/messageexchange', '') + url.search; };

  /** Waits until `predicate` holds (polling), failing after 10 s. */
  const until = async (what: string, predicate: () => Promise<boolean>) => {
    for (const deadline = Date.now() + 10_000; !(await predicate());) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const backendsWaitingOnLocks = async () => (await holder.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0]!.n;

  it('v1 (continue_from a message id), v2 (links.next) and the rich inbox each see it once it commits', async () => {
    const before: string[] = [];
    for (let i = 0; i < 9; i += 1) before.push(await sendMessage(spine.url, MB1, MB3, `m${i}`, { 'mex-workflowid': PLAIN }));

    // A, a chunked message: its last chunk's transaction delivers it, then waits on the test's lock.
    await holder.query('SELECT pg_advisory_lock($1)', [HOLD_KEY]);
    const first = await mesh(spine.url, `/${MB1}/outbox`, { method: 'POST', version: 2, body: 'held, part 1',
      headers: { 'content-type': 'application/octet-stream', 'mex-to': MB3, 'mex-workflowid': HOLD, 'mex-chunk-range': '1:2' } });
    assert.equal(first.status, 202);
    const held = ((await first.json()) as { message_id: string }).message_id;
    const lastChunk = mesh(spine.url, `/${MB1}/outbox/${held}/2`, { method: 'POST', version: 2, body: 'held, part 2',
      headers: { 'content-type': 'application/octet-stream', 'mex-chunk-range': '2:2' } });
    await until('the held delivery to wait on the test\'s lock', async () => (await holder.query(
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted`, [HOLD_KEY])).rowCount === 1);

    // B, C, D: sent while A is held. They either commit (ordered after A) or wait for A.
    let answered = 0;
    const later = ['B', 'C', 'D'].map((body) => sendMessage(spine.url, MB1, MB3, body, { 'mex-workflowid': PLAIN }).then((id) => { answered += 1; return id; }));
    await until('B, C and D to commit or wait', async () => answered + (await backendsWaitingOnLocks()) - 1 === 3);

    // Paging runs, each reading its first page(s) while A is not yet visible.
    const v1Seen = ids(await get(`/${MB3}/inbox?max_results=10`, 1));
    const v2Seen: string[] = [];
    let v2 = await get(`/${MB3}/inbox?max_results=10`, 2);
    v2Seen.push(...ids(v2));
    const richSeen: string[] = [];
    let rich = await get(`/${MB3}/inbox/rich?max_results=5`, 2);
    richSeen.push(...ids(rich));
    if (rich.links?.next) {
      rich = await get(follow(rich.links.next), 2);
      richSeen.push(...ids(rich));
    }
    assert.ok(!v1Seen.includes(held) && !v2Seen.includes(held) && !richSeen.includes(held), 'A is not visible while its delivery is held');

    // A commits; B, C, D complete.
    await holder.query('SELECT pg_advisory_unlock($1)', [HOLD_KEY]);
    assert.equal((await lastChunk).status, 202);
    const laterIds = await Promise.all(later);
    const everything = [...before, held, ...laterIds];
    const inbox = ids(await get(`/${MB3}/inbox`, 2));
    assert.deepEqual([...inbox].sort(), [...everything].sort());

    // v1: continue from the last id seen until an empty page: every message, each once.
    for (let pages = 0, page = v1Seen; page.length > 0 && pages < 10; pages += 1) {
      page = ids(await get(`/${MB3}/inbox?max_results=10&continue_from=${v1Seen[v1Seen.length - 1]}`, 1));
      v1Seen.push(...page);
    }
    assert.deepEqual(v1Seen, inbox, 'v1 paging saw every message once, in inbox order');

    // v2 and rich: follow links.next to the end. What a run saw must be a prefix of the inbox's
    // order: a message ordered before one it saw, but not seen by it, was skipped.
    for (let pages = 0; v2.links?.next && pages < 10; pages += 1) {
      v2 = await get(follow(v2.links.next), 2);
      v2Seen.push(...ids(v2));
    }
    assert.deepEqual(v2Seen, inbox.slice(0, v2Seen.length), 'v2 paging skipped nothing');
    for (let pages = 0; rich.links?.next && pages < 10; pages += 1) {
      rich = await get(follow(rich.links.next), 2);
      richSeen.push(...ids(rich));
    }
    assert.deepEqual(richSeen, inbox.slice(0, richSeen.length), 'rich inbox paging skipped nothing');
    // Whatever a run had not reached, a poll from the start finds.
  });
});
