import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTwoTestSpines, type TestSpine } from '../support/spine.js';
import { MB1, MB2, mesh, sendMessage } from './support/mesh-client.js';

describe('MESH with two processes on one database', () => {
  let a: TestSpine;
  let b: TestSpine;
  let close: () => Promise<void>;
  before(async () => { ({ a, b, close } = await startTwoTestSpines()); });
  after(async () => { await close?.(); });

  it('messages sent through either process page out once each, in one order, whichever process serves each page', async () => {
    const sent = await Promise.all(Array.from({ length: 40 }, (_, i) => sendMessage((i % 2 ? a : b).url, MB1, MB2, `m${i}`)));
    const seen: string[] = [];
    let path = `/${MB2}/inbox?max_results=10`;
    for (let page = 0; ; page += 1) {
      const server = page % 2 ? a : b;
      const body = await (await mesh(server.url, path, { version: 2 })).json() as { messages: string[]; links: { next?: string } };
      seen.push(...body.messages);
      if (!body.links.next) break;
      path = body.links.next.replace('/messageexchange', '');
    }
    assert.equal(new Set(seen).size, seen.length, 'no message in two pages');
    assert.deepEqual([...seen].sort(), [...sent].sort());
    const again = await (await mesh(a.url, `/${MB2}/inbox?max_results=50`, { version: 2 })).json() as { messages: string[] };
    assert.deepEqual(again.messages, seen, 'both processes agree on the order');
    // A message acknowledged through one process is gone through the other.
    assert.equal((await mesh(a.url, `/${MB2}/inbox/${seen[0]}/status/acknowledged`, { method: 'PUT' })).status, 200);
    assert.equal((await mesh(b.url, `/${MB2}/inbox/${seen[0]}`)).status, 410);
    // Any process serves any chunk.
    assert.equal(await (await mesh(b.url, `/${MB2}/inbox/${seen[1]}`)).text(), await (await mesh(a.url, `/${MB2}/inbox/${seen[1]}`)).text());
  });
});
