import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, MB2, MB3, V2, allowWorkflow, mesh, sendMessage } from './support/mesh-client.js';
import { assertMatchesSpec } from './support/spec-schemas.js';

describe('MESH inbox paging, workflow_filter and rich listings', () => {
  let spine: TestSpine;
  const sent: string[] = [];
  before(async () => {
    spine = await startTestSpine();
    await allowWorkflow(spine, 'TEST_WORKFLOW', MB1, MB3);
    await allowWorkflow(spine, 'TEST_WORKFLOW_ACK', MB1, MB3);
    for (let i = 0; i < 25; i += 1) {
      sent.push(await sendMessage(spine.url, MB1, MB3, `m${i}`, { 'mex-workflowid': i % 5 === 0 ? 'TEST_WORKFLOW_ACK' : 'TEST_WORKFLOW', 'mex-localid': `L${i}` }));
    }
  });
  after(async () => { await spine.close(); });

  const list = async (query: string, version: 1 | 2 = 2) => {
    const response = await mesh(spine.url, `/${MB3}/inbox${query}`, { version });
    assert.equal(response.status, 200, await response.clone().text());
    return response.json() as Promise<{ messages: string[]; links?: { self: string; next?: string }; approx_inbox_count?: number }>;
  };

  it('v2 pages by max_results with links.next until the inbox is exhausted, in send order, each message once', async () => {
    const seen: string[] = [];
    let page = await list('?max_results=10');
    assertMatchesSpec('/messageexchange/{mailbox_id}/inbox', 'get', 200, V2, page);
    assert.equal(page.approx_inbox_count, 25);
    seen.push(...page.messages);
    while (page.links?.next) {
      const next = new URL(page.links.next, spine.url);
      assert.ok(next.pathname.startsWith(`/messageexchange/${MB3}/inbox`));
      page = await list(next.search);
      seen.push(...page.messages);
    }
    assert.deepEqual(seen, sent);
  });

  it('v1 lists without links; max_results outside 10..5000 and foreign cursors are 400', async () => {
    const v1 = await list('', 1);
    assert.deepEqual(Object.keys(v1), ['messages']);
    assert.equal(v1.messages.length, 25);
    for (const bad of ['?max_results=9', '?max_results=5001', '?max_results=ten', '?continue_from=short', '?workflow_filter=!']) {
      const response = await mesh(spine.url, `/${MB3}/inbox${bad}`, { version: 2 });
      assert.equal(response.status, 400, bad);
    }
    const mine = await list('?max_results=10');
    const cursor = new URL(mine.links!.next!, spine.url).searchParams.get('continue_from')!;
    const stolen = await mesh(spine.url, `/${MB2}/inbox?continue_from=${encodeURIComponent(cursor)}`, { version: 2 });
    assert.equal(stolen.status, 400);
  });

  it('v1 pages by max_results with continue_from the last message id of the page before (the spec\'s v1 example), each message once', async () => {
    const seen: string[] = [];
    let page = await list('?max_results=10', 1);
    // Bounded, so a list that never moves on fails rather than loops.
    for (let pages = 0; page.messages.length > 0 && pages < 5; pages += 1) {
      assert.ok(page.messages.length <= 10);
      seen.push(...page.messages);
      page = await list(`?max_results=10&continue_from=${page.messages[page.messages.length - 1]}`, 1);
    }
    assert.deepEqual(seen, sent);
    // A message id not in this inbox (another mailbox's, or acknowledged since) starts the list again.
    assert.deepEqual((await list(`?max_results=10&continue_from=20200101000000000000_AAAAAA`, 1)).messages, sent.slice(0, 10));
  });

  it('workflow_filter: equals, not equals, begins with, contains, does not contain', async () => {
    const ack = sent.filter((_, i) => i % 5 === 0);
    const plain = sent.filter((_, i) => i % 5 !== 0);
    assert.deepEqual((await list('?workflow_filter=TEST_WORKFLOW_ACK')).messages, ack);
    assert.deepEqual((await list('?workflow_filter=!TEST_WORKFLOW_ACK')).messages, plain);
    assert.deepEqual((await list(`?workflow_filter=${encodeURIComponent('TEST_*')}`)).messages, sent);
    assert.deepEqual((await list(`?workflow_filter=${encodeURIComponent('*_ACK*')}`)).messages, ack);
    assert.deepEqual((await list(`?workflow_filter=${encodeURIComponent('!*_ACK*')}`)).messages, plain);
    assert.deepEqual((await list(`?workflow_filter=${encodeURIComponent('!TEST*')}`)).messages, []);
    // LIKE wildcards in the filter are literal.
    assert.deepEqual((await list(`?workflow_filter=${encodeURIComponent('TEST%*')}`)).messages, []);
  });

  it('rich inbox and rich outbox list metadata, 100 at most, with their own paging', async () => {
    const rich = await (await mesh(spine.url, `/${MB3}/inbox/rich?max_results=20`, { version: 2 })).json() as { messages: Array<Record<string, unknown>>; links: { next?: string } };
    assert.equal(rich.messages.length, 20);
    assert.equal(rich.messages[0]!.message_id, sent[0]);
    assert.equal(rich.messages[0]!.sender, MB1);
    assert.equal(rich.messages[0]!.local_id, 'L0');
    assert.equal(rich.messages[0]!.status, 'accepted');
    assert.ok(rich.links.next);
    const rest = await (await mesh(spine.url, new URL(rich.links.next!, spine.url).pathname.replace('/messageexchange', '') + new URL(rich.links.next!, spine.url).search, { version: 2 })).json() as { messages: unknown[]; links: { next?: string } };
    assert.equal(rest.messages.length, 5);
    assert.equal(rest.links.next, undefined);

    const outbox = await (await mesh(spine.url, `/${MB1}/outbox/rich`, { version: 2 })).json() as { messages: Array<{ message_id: string; recipient: string }> };
    assert.deepEqual(outbox.messages.map((m) => m.message_id), sent);
    assert.ok(outbox.messages.every((m) => m.recipient === MB3));
    assert.equal((await mesh(spine.url, `/${MB1}/outbox/rich?max_results=101`, { version: 2 })).status, 400);
    assert.equal((await mesh(spine.url, `/${MB1}/outbox/rich?start_time=yesterday`, { version: 2 })).status, 400);
  });

  it('a continue_from the Spine never gave (a position past any date, an id with a NUL) is a 400 naming it on every listing, never a 500', async () => {
    const forged = (cursor: Record<string, unknown>) => encodeURIComponent(Buffer.from(JSON.stringify(cursor)).toString('base64url'));
    const cursors = [{ mailbox: MB1, after: Number.MAX_SAFE_INTEGER, id: sent[0] }, { mailbox: MB1, after: 8_640_000_000_000_001 }, { mailbox: MB1, after: 1, id: 'a\u0000b' }];
    for (const cursor of cursors) {
      for (const path of ['/outbox/rich', '/inbox/rich', '/inbox']) {
        const response = await mesh(spine.url, `/${MB1}${path}?continue_from=${forged(cursor)}`, { version: 2 });
        assert.equal(response.status, 400, `${path} ${JSON.stringify(cursor)}: ${await response.clone().text()}`);
        const body = await response.json() as { detail: Array<{ loc: string[] }> };
        assert.deepEqual(body.detail[0]!.loc, ['query', 'continue_from']);
      }
    }
  });

  it('the deprecated /count answers v1 and v2 shapes', async () => {
    const v1 = await (await mesh(spine.url, `/${MB3}/count`, { version: 1 })).json() as Record<string, unknown>;
    assert.equal(v1.count, 25);
    assert.equal(v1.allResultsIncluded, true);
    assertMatchesSpec('/messageexchange/{mailbox_id}/count', 'get', 200, 'application/json', v1);
    assert.deepEqual(await (await mesh(spine.url, `/${MB3}/count`, { version: 2 })).json(), { count: 25 });
  });

  it('tracking is for the sender only; a missing messageID is 400', async () => {
    assert.equal((await mesh(spine.url, `/${MB3}/outbox/tracking?messageID=${sent[0]}`, { version: 2 })).status, 404);
    assert.equal((await mesh(spine.url, `/${MB1}/outbox/tracking`, { version: 2 })).status, 400);
  });
});
