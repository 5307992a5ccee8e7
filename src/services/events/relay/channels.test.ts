import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookClient } from './channels.js';
import type { DueDelivery } from '../store/deliveries.js';

/** The relay's webhook client against real local receivers: its pools come and go with their origins. */
describe('webhook client pools', () => {
  const receivers: Server[] = [];
  const origins: string[] = [];
  before(async () => {
    for (let i = 0; i < 3; i++) {
      const server = createServer((req, res) => { req.resume().on('end', () => res.writeHead(204).end()); });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      receivers.push(server);
      origins.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });
  after(async () => { for (const server of receivers) await new Promise((resolve) => server.close(resolve)); });

  const delivery = (endpoint: string): DueDelivery => ({
    id: 1, attempts: 0, outboxId: 1, eventId: 'e', eventType: 't', destination: endpoint, orderKey: 'k', subscriptionIds: ['s'],
    channel: 'rest-hook', endpoint, contentType: 'application/json', body: '{}', idempotencyKey: 'i', eventTime: new Date(0),
  });

  it('keeps a pool per origin while it is used, and closes and forgets one unused for ten minutes', async () => {
    let now = 0;
    const client = new WebhookClient(2_000, 2, () => now);
    try {
      assert.deepEqual(await client.send(delivery(`${origins[0]}/hook`), 'secret'), { ok: true });
      assert.deepEqual(await client.send(delivery(`${origins[1]}/hook?s=1`), 'secret'), { ok: true });
      assert.deepEqual(await client.send(delivery(`${origins[1]}/hook?s=2`), 'secret'), { ok: true });
      assert.deepEqual(client.origins, [origins[0], origins[1]], 'one pool per origin, oldest use first');
      now += 9 * 60_000;
      assert.deepEqual(await client.send(delivery(`${origins[0]}/hook`), 'secret'), { ok: true });
      assert.deepEqual(client.origins, [origins[1], origins[0]], 'a use moves its pool to the back');
      now += 2 * 60_000;
      // origins[1] was last used eleven minutes ago: the next use of any pool closes it.
      assert.deepEqual(await client.send(delivery(`${origins[2]}/hook`), 'secret'), { ok: true });
      assert.deepEqual(client.origins, [origins[0], origins[2]]);
      // A forgotten origin gets a new pool when it is used again.
      assert.deepEqual(await client.send(delivery(`${origins[1]}/hook`), 'secret'), { ok: true });
      assert.deepEqual(client.origins, [origins[0], origins[2], origins[1]]);
    } finally {
      await client.close();
    }
    assert.deepEqual(client.origins, []);
  });
});
