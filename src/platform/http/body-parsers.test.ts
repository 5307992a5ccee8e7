import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseEveryBodyAsJson, registerBodyParsers } from './body-parsers.js';
import { findNestedDeeperThan } from './validation-failure.js';

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

/** Containers (objects and arrays) one inside another, at the deepest: the reference, by recursion. */
const depthOf = (value: unknown): number =>
  value === null || typeof value !== 'object' ? 0 : 1 + Math.max(0, ...Object.values(value as object).map(depthOf));

describe('JSON nesting depth', () => {
  // Strings full of what the text scan must not count: brackets, quotes and backslashes, escaped.
  const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ' ', '\u00e9') });
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tricky, fc.integer(), fc.constant(null), tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(tricky, tie('value'), { maxKeys: 4 }),
  })).value;
  /** A value nested `depth` containers deep, at a random path. */
  const nested = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), json).map(([depth, arrays, bottom]) => {
    let value: unknown = bottom;
    for (let i = 0; i < depth; i++) value = arrays[i] ? ['x', value] : { '"]}': 1, key: value };
    return value;
  });

  it('the text scan agrees with the depth of the parsed value, whatever the strings hold, and with any spacing', () => {
    fc.assert(fc.property(fc.oneof(json, nested), fc.integer({ min: 0, max: 45 }), fc.boolean(), (value, max, spaced) => {
      const text = JSON.stringify(value, null, spaced ? 1 : undefined);
      assert.equal(nestsDeeperThan(text, max), depthOf(value) > max, text.slice(0, 200));
    }), { numRuns: 3000 });
  });

  it('the walk finds a path `max` steps long to a container past the limit, exactly when there is one', () => {
    fc.assert(fc.property(fc.oneof(json, nested), fc.integer({ min: 0, max: 45 }), (value, max) => {
      const found = findNestedDeeperThan(value, max);
      assert.equal(found !== undefined, depthOf(value) > max);
      if (!found) return;
      assert.equal(found.length, max);
      const reached = found.reduce<any>((at, segment) => at[segment], value);
      assert.ok(reached !== null && typeof reached === 'object');
    }), { numRuns: 3000 });
  });

  it('a body past the limit is refused, naming where it goes too deep; one at the limit is taken', async () => {
    const server = Fastify();
    registerBodyParsers(server);
    server.post('/x', async (request) => ({ refused: request.bodyRefusal?.message ?? null, depth: depthOf(request.body) }));
    const at = (depth: number) => `{"a":${'['.repeat(depth - 1)}1${']'.repeat(depth - 1)}}`;
    const taken = await server.inject({ method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, payload: at(MAX_JSON_DEPTH) });
    assert.deepEqual(taken.json(), { refused: null, depth: MAX_JSON_DEPTH });
    for (const depth of [MAX_JSON_DEPTH + 1, 50_000]) {
      const refused = await server.inject({ method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, payload: at(depth) });
      assert.equal(refused.statusCode, 400, `${depth}`);
      assert.equal(refused.json().message, `invalid body field 'a${'/0'.repeat(MAX_JSON_DEPTH - 1)}'`, `${depth}`);
    }
    await server.close();
  });
});
