import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { parseEveryBodyAsJson, registerBodyParsers } from './body-parsers.js';

/**
 * What the door and the handler each see of a body holding prototype-poisoning keys, under the
 * platform's parsers (refused) and under `parseEveryBodyAsJson` (the door checks the keys as
 * parsed; the handler never sees them).
 */
describe('prototype-poisoning keys in a JSON body', () => {
  const TEXT = '{"__proto__":{"polluted":true},"a":1,"nested":{"constructor":{"prototype":{"polluted":true}},"b":2}}';

  async function app() {
    const server = Fastify();
    registerBodyParsers(server);
    const seen: Record<string, unknown> = {};
    const describeBody = (body: any) => ({ keys: Object.keys(body), ownProto: Object.hasOwn(body, '__proto__'), nested: Object.keys(body.nested) });
    server.post('/platform', async (request) => describeBody(request.body));
    await server.register(async (scope) => {
      parseEveryBodyAsJson(scope);
      scope.post('/any', {
        preValidation: (request, _reply, done) => { seen.door = describeBody(request.body); done(); },
      }, async (request) => describeBody(request.body));
    }, { prefix: '/scope' });
    return { server, seen };
  }

  it('the platform refuses the body before any handler', async () => {
    const { server } = await app();
    const response = await server.inject({ method: 'POST', url: '/platform', headers: { 'content-type': 'application/json' }, payload: TEXT });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /__proto__/);
    await server.close();
  });

  it('parseEveryBodyAsJson: the door sees the keys as own properties, the handler the body without them, and no prototype changes', async () => {
    const { server, seen } = await app();
    for (const [contentType, payload] of [['application/json', TEXT], ['text/plain', TEXT], ['application/json', `\ufeff${TEXT}`]] as const) {
      const response = await server.inject({ method: 'POST', url: '/scope/any', headers: { 'content-type': contentType }, payload });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(seen.door, { keys: ['__proto__', 'a', 'nested'], ownProto: true, nested: ['constructor', 'b'] });
      assert.deepEqual(response.json(), { keys: ['a', 'nested'], ownProto: false, nested: ['b'] });
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await server.close();
  });
});
