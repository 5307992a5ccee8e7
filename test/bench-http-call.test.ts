import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpCall } from '../bench/support/http-call.js';

/** The load client's request against a plain loopback listener that answers what it is told and notes what it got. */
describe('the load client\'s HTTP call', () => {
  let server: Server;
  let url: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();
  const received: Array<{ length: string | undefined; body: string }> = [];
  const ANSWER = JSON.stringify({ resourceType: 'Bundle', entry: Array.from({ length: 2000 }, (_, i) => ({ i })) });

  before(async () => {
    server = createServer((req, res) => {
      sockets.add(req.socket);
      const parts: Buffer[] = [];
      req.on('data', (part: Buffer) => parts.push(part));
      req.on('end', () => {
        received.push({ length: req.headers['content-length'], body: Buffer.concat(parts).toString() });
        res.writeHead(Number(req.headers['x-status'] ?? 200), { 'content-type': 'application/fhir+json' }).end(ANSWER);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('an answer with the drained status comes back without its body, and the connection serves the next request', async () => {
    sockets.clear();
    const drained = await httpCall(agent, url, 'POST', { 'content-type': 'application/fhir+json' }, '{"a":"b"}', 200);
    assert.equal(drained.status, 200);
    assert.equal(drained.body.length, 0);
    const kept = await httpCall(agent, url, 'POST', {}, '{"a":"c"}');
    assert.equal(kept.body.toString(), ANSWER);
    assert.equal(sockets.size, 1, 'one keep-alive connection for both');
  });

  it('an answer with any other status keeps its body, so a failure is reported with it', async () => {
    const failed = await httpCall(agent, url, 'POST', { 'x-status': '500' }, '{}', 200);
    assert.equal(failed.status, 500);
    assert.equal(failed.body.toString(), ANSWER);
  });

  it('a JSON text body is sent as its UTF-8 bytes with their Content-Length', async () => {
    received.length = 0;
    const json = `{"id":"${'x'.repeat(40_000)}","name":"Zoë"}`;
    await httpCall(agent, url, 'POST', { 'content-type': 'application/fhir+json' }, json, 200);
    assert.deepEqual(received, [{ length: String(Buffer.byteLength(json)), body: json }]);
  });
});
