import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookClient } from './channels.js';
import { WebhookReach } from '../domain/webhook-reach.js';
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
    const client = new WebhookClient(2_000, new WebhookReach([], true), 2, () => now);
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

  it('connects only where the reach allows: an address in the URL before the request, a name as it resolves', async () => {
    let served = 0;
    const counting = createServer((req, res) => { served++; req.resume().on('end', () => res.writeHead(204).end()); });
    await new Promise<void>((resolve) => counting.listen(0, '127.0.0.1', resolve));
    const port = (counting.address() as AddressInfo).port;
    const outward = new WebhookReach([], false);
    const client = new WebhookClient(2_000, outward);
    try {
      assert.deepEqual(await client.send(delivery(`http://127.0.0.1:${port}/hook`), 'secret'), { ok: false, error: 'webhook endpoint is an address a webhook may not reach' });
      assert.deepEqual(await client.send(delivery(`http://[::ffff:127.0.0.1]:${port}/hook`), 'secret'), { ok: false, error: 'webhook endpoint is an address a webhook may not reach' });
      assert.deepEqual(await client.send(delivery(`http://localhost:${port}/hook`), 'secret'), { ok: false, error: 'webhook endpoint is an address a webhook may not reach' });
      // A name that passed when subscribed (as one pointed inward later would) is refused as it resolves.
      Object.assign(outward, { allowsHost: () => true });
      const rebound = await client.send(delivery(`http://localhost:${port}/other-hook`), 'secret');
      assert.equal(rebound.ok, false);
      assert.match((rebound as { error: string }).error, /^webhook unreachable: localhost resolves to (127\.0\.0\.1|::1), which a webhook may not reach$/);
      assert.equal(served, 0, 'nothing reached the receiver');
      // The deployment's own network is reached.
      const own = new WebhookClient(2_000, new WebhookReach(['127.0.0.0/8', '::1/128'], false));
      try {
        assert.deepEqual(await own.send(delivery(`http://localhost:${port}/hook`), 'secret'), { ok: true });
        assert.equal(served, 1);
      } finally {
        await own.close();
      }
    } finally {
      await client.close();
      await new Promise((resolve) => counting.close(resolve));
    }
  });
});
