import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, TEXT_HAS_LARGE_NUMBER, TEXT_NESTS_TOO_DEEP, parseEveryBodyAsJson, registerBodyParsers, scanJsonText } from './body-parsers.js';
import { findNestedDeeperThan, findNonFiniteNumber } from './validation-failure.js';

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
      assert.equal((scanJsonText(text, max) & TEXT_NESTS_TOO_DEEP) !== 0, depthOf(value) > max, text.slice(0, 200));
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

/** Whether a parsed JSON value holds a number that is not finite anywhere: the reference, by recursion. */
const holdsNonFinite = (value: unknown): boolean =>
  typeof value === 'number' ? !Number.isFinite(value) : value !== null && typeof value === 'object' && Object.values(value).some(holdsNonFinite);

describe('JSON numbers too large for a double (1e309, parsed as Infinity)', () => {
  const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
  // Lengths about the limits: integers of about 210 and about 309 digits, exponents of up to five
  // digits and often the largest two-digit ones (210 digits and e99 is the shortest literal over a
  // double's range with an exponent the scan lets by).
  const integerPart = fc.oneof(fc.constant('0'),
    fc.tuple(fc.constantFrom(...'123456789'), fc.oneof(digits(0, 5), digits(205, 215), digits(300, 312))).map(([a, b]) => a + b));
  const exponent = fc.oneof(digits(1, 5), fc.integer({ min: 95, max: 99 }).map(String));
  const literal = fc.tuple(fc.constantFrom('', '-'), integerPart, fc.option(digits(1, 30)), fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), exponent)))
    .map(([sign, int, frac, exp]) => `${sign}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : exp.join('')}`);
  // Strings full of what a number looks like (hex ids: `e` then digits), and of quotes and backslashes.
  const tricky = fc.string({ unit: fc.constantFrom('e', 'E', '1', '9', '0', '3', '-', '+', '.', '"', '\\', ' ', 'a') });
  /** JSON text built by hand, so that numbers are written as generated, not as JSON.stringify would. */
  const text = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
      literal, tricky.map((s) => JSON.stringify(s)), fc.constantFrom('true', 'false', 'null'), tie('array'), tie('object')),
    array: fc.tuple(fc.array(tie('value'), { maxLength: 4 }), fc.boolean()).map(([items, spaced]) => `[${items.join(spaced ? ' , ' : ',')}]`),
    object: fc.array(fc.tuple(tricky, tie('value')), { maxLength: 4 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  })).value as fc.Arbitrary<string>;

  it('the text scan never misses a body whose parse holds ±Infinity, and the walk finds it exactly then', () => {
    fc.assert(fc.property(text, (json) => {
      const value = JSON.parse(json) as unknown;
      const flagged = (scanJsonText(json, MAX_JSON_DEPTH) & TEXT_HAS_LARGE_NUMBER) !== 0;
      if (holdsNonFinite(value)) assert.ok(flagged, json.slice(0, 300));
      const found = findNonFiniteNumber(value);
      assert.equal(found !== undefined, holdsNonFinite(value));
      if (found) assert.equal(Number.isFinite(found.reduce<any>((at, segment) => at[segment], value)), false);
    }), { numRuns: 3000 });
  });

  it('strings full of exponent-like text, as every body\'s hex ids are, never set it off', () => {
    fc.assert(fc.property(fc.array(fc.tuple(tricky, fc.uuid(), fc.integer()), { maxLength: 20 }), (entries) => {
      const json = JSON.stringify({ entry: entries.map(([note, id, n]) => ({ id, note, n, url: `urn:uuid:${id}`, big: `1e999${note}` })) });
      assert.equal(scanJsonText(json, MAX_JSON_DEPTH) & TEXT_HAS_LARGE_NUMBER, 0, json.slice(0, 300));
    }), { numRuns: 1000 });
  });

  it('flags the literals that can overflow, short ones included, and not ordinary numbers', () => {
    const flagged = (json: string) => (scanJsonText(json, MAX_JSON_DEPTH) & TEXT_HAS_LARGE_NUMBER) !== 0;
    for (const json of ['1e999', '-1E+309', '[1e309]', `{"a":1${'0'.repeat(309)}}`, '{"a":0.5e-400}', `{"a":${'9'.repeat(200)}}`]) assert.ok(flagged(json), json);
    for (const json of ['1', '-0.5', '[1e99, 2E-99, 12345678901234567890]', '{"e123":"1e999","n":3654}', `{"a":${'9'.repeat(199)}}`, 'true']) assert.ok(!flagged(json), json);
    // Every literal about the limits (200 to 320 digits, with and without the largest two-digit
    // exponents and a fraction) that parses as ±Infinity is flagged.
    let overflowing = 0;
    for (let n = 195; n <= 320; n++) {
      for (const [lead, fraction, exponent] of [['1', '', ''], ['9', '', ''], ['9', '', 'e99'], ['9', '', 'E+99'], ['1', '', 'e98'], ['9', '.5', 'e99'], ['-9', '', 'e99']]) {
        const json = `${lead}${'9'.repeat(n - 1)}${fraction}${exponent}`;
        if (Number.isFinite(JSON.parse(json))) continue;
        overflowing++;
        assert.ok(flagged(json), `${n} digits ${exponent}`);
      }
    }
    assert.ok(overflowing > 500);
    // Depth answers as before: the number check does not end or change it.
    assert.equal(scanJsonText(`${'['.repeat(3)}1e309${']'.repeat(3)}`, 2), TEXT_NESTS_TOO_DEEP);
  });

  it('a body holding one is refused, naming the first one\'s path; a large number a double holds, or one that rounds to 0, is taken', async () => {
    const server = Fastify();
    registerBodyParsers(server);
    server.post('/x', async (request) => ({ refused: request.bodyRefusal?.message ?? null, body: request.body ?? null }));
    const post = async (payload: string) => (await server.inject({ method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, payload })).json();
    for (const [payload, path] of [['{"quantity":{"value":1e309}}', 'quantity/value'], ['[1, -1e400]', '1'], ['1e999', ''],
      [`{"a":[1e308,{"b":1${'0'.repeat(400)}}],"c":1e309}`, 'a/1/b']] as const) {
      const response = await server.inject({ method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, payload });
      assert.equal(response.statusCode, 400, payload);
      assert.equal(response.json().message, `invalid body field '${path}'`, payload);
    }
    assert.deepEqual(await post('{"a":1e308,"b":0.5e-400,"c":-1.7976931348623157e308}'), { refused: null, body: { a: 1e308, b: 0, c: -1.7976931348623157e308 } });
    await server.close();
  });
});
