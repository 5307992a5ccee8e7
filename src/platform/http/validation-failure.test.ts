import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileSchema } from './validation.js';
import { clipForDiagnostics, clippedFailure, displayValue, failureFrom, fieldPath, findIllFormedString, headerName, pointerSegments, valueAt } from './validation-failure.js';

const key = fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__proto__');
/** A path into a document: object keys and array indexes. */
const path = fc.array(fc.oneof(key.map((k) => ({ key: k })), fc.nat({ max: 3 }).map((i) => ({ index: i }))), { minLength: 1, maxLength: 5 });
type Step = { key: string } | { index: number };
const segmentsOf = (steps: Step[]) => steps.map((s) => ('key' in s ? s.key : String(s.index)));
const pointerOf = (segments: string[]) => segments.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** A document holding `leaf` at `steps`, and a schema that wants a string there (and requires every step). */
function documentAndSchema(steps: Step[], leaf: unknown): { data: unknown; schema: object } {
  let data: unknown = leaf;
  let schema: object = { type: 'string' };
  for (const step of [...steps].reverse()) {
    if ('key' in step) {
      data = leaf === undefined && data === undefined ? {} : { [step.key]: data };
      schema = { type: 'object', required: [step.key], properties: { [step.key]: schema } };
    } else {
      data = [...Array.from({ length: step.index }, () => null), data];
      schema = { type: 'array', items: { anyOf: [{ type: 'null' }, schema] } };
    }
  }
  return { data, schema };
}

describe('the door names the field as PDS writes it', () => {
  it('a JSON Pointer becomes the path its segments spell, and names the value there', () => {
    fc.assert(fc.property(path, fc.jsonValue(), (steps, leaf) => {
      const segments = segmentsOf(steps);
      assert.deepEqual(pointerSegments(pointerOf(segments)), segments);
      assert.equal(fieldPath(segments), segments.join('/'));
      const { data } = documentAndSchema(steps, leaf);
      assert.deepEqual(valueAt(data, segments), leaf);
    }));
  });

  it('a value of the wrong type at any depth is invalid at its path, with the value', () => {
    fc.assert(fc.property(path.filter((p) => 'key' in p[p.length - 1]!), fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 })), (steps, leaf) => {
      const { data, schema } = documentAndSchema(steps, leaf);
      const validate = compileSchema(schema, 'body');
      assert.equal(validate(data), false);
      const failure = failureFrom('body', validate.errors!, data);
      assert.deepEqual(failure, { part: 'body', kind: 'invalid', path: segmentsOf(steps).join('/'), value: leaf, keyword: 'type' });
    }), { numRuns: 200 });
  });

  it('a required field that is absent is missing at its path', () => {
    fc.assert(fc.property(path.filter((p) => 'key' in p[p.length - 1]!), (steps) => {
      const { data, schema } = documentAndSchema(steps, undefined);
      const validate = compileSchema(schema, 'body');
      assert.equal(validate(data), false);
      const failure = failureFrom('body', validate.errors!, data);
      assert.equal(failure.kind, 'missing');
      assert.equal(failure.path, segmentsOf(steps).join('/'));
    }), { numRuns: 200 });
  });

  it('in a list of extensions, the branch the url names is the one reported', () => {
    const urls = ['https://a.example/one', 'https://a.example/two', 'https://a.example/three'];
    const schema = {
      type: 'object', properties: {
        extension: { type: 'array', items: { anyOf: urls.map((url, i) => ({
          type: 'object', required: ['url', `value${i}`], additionalProperties: false,
          properties: { url: { type: 'string', enum: [url] }, [`value${i}`]: { type: 'object', required: ['code'], properties: { code: { type: 'string' } } } },
        })) } },
      },
    };
    const validate = compileSchema(schema, 'body');
    fc.assert(fc.property(fc.nat({ max: 2 }), fc.nat({ max: 3 }), fc.oneof(fc.integer(), fc.boolean()), (branch, position, wrong) => {
      const good = (i: number) => ({ url: urls[i], [`value${i}`]: { code: 'x' } });
      const extension: unknown[] = Array.from({ length: position }, (_v, i) => good(i % 3));
      extension.push({ url: urls[branch], [`value${branch}`]: { code: wrong } });
      assert.equal(validate({ extension }), false);
      assert.deepEqual(failureFrom('body', validate.errors!, { extension }),
        { part: 'body', kind: 'invalid', path: `extension/${position}/value${branch}/code`, value: wrong, keyword: 'type' });
      const unknown = [...extension.slice(0, position), { url: 'https://elsewhere.example', value0: { code: 'x' } }];
      assert.deepEqual(failureFrom('body', (validate({ extension: unknown }), validate.errors!), { extension: unknown }),
        { part: 'body', kind: 'invalid', path: `extension/${position}/url`, value: 'https://elsewhere.example', keyword: 'enum' });
    }));
  });

  it('a header is named as the spec spells it', () => {
    const validate = compileSchema({ type: 'object', required: ['if-match', 'x-request-id'], properties: { 'x-request-id': { type: 'string', pattern: '^[0-9a-f-]{36}$' } } }, 'headers');
    assert.equal(validate({ 'x-request-id': 'abc' }), false);
    assert.deepEqual(failureFrom('headers', validate.errors!, {}), { part: 'headers', kind: 'missing', path: 'If-Match', keyword: 'required' });
    const headers = { 'if-match': 'W/"1"', 'x-request-id': 'abc' };
    assert.equal(validate(headers), false);
    assert.deepEqual(failureFrom('headers', validate.errors!, headers), { part: 'headers', kind: 'invalid', path: 'X-Request-ID', value: 'abc', keyword: 'pattern' });
    fc.assert(fc.property(fc.stringMatching(/^[a-z]{1,8}(-[a-z]{1,8}){0,3}$/), (name) => {
      assert.equal(headerName(name).toLowerCase(), name);
    }));
  });

  it('a lone surrogate anywhere in a document is found at its path', () => {
    const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    fc.assert(fc.property(path, fc.string(), surrogate, fc.string(), (steps, before, lone, after) => {
      const { data } = documentAndSchema(steps, `${before}${lone}${after}`);
      const found = findIllFormedString(data);
      assert.deepEqual(found?.segments, segmentsOf(steps));
      assert.equal(findIllFormedString(documentAndSchema(steps, `${before}\ud83d\ude00${after}`).data), undefined, 'a surrogate pair is fine');
    }));
  });

  it('the first lone surrogate is found in document order, keys before their values, as a recursive walk finds it', () => {
    // The walk as it was written first (recursive, copying the path): the reference for order and paths.
    const reference = (value: unknown, at: string[] = []): { segments: string[]; value: string } | undefined => {
      if (typeof value === 'string') return /\p{Surrogate}/u.test(value) ? { segments: at, value } : undefined;
      if (value === null || typeof value !== 'object') return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const found = reference(value[i], [...at, String(i)]);
          if (found) return found;
        }
        return undefined;
      }
      for (const [key, item] of Object.entries(value)) {
        if (/\p{Surrogate}/u.test(key)) return { segments: [...at, key], value: key };
        const found = reference(item, [...at, key]);
        if (found) return found;
      }
      return undefined;
    };
    const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    const text = fc.oneof(fc.string({ maxLength: 4 }), lone, fc.constant('\ud83d\ude00'), fc.tuple(fc.string({ maxLength: 3 }), lone).map(([a, b]) => a + b));
    const { json } = fc.letrec((tie) => ({
      json: fc.oneof({ depthSize: 'small', withCrossShrink: true }, text, fc.integer(), fc.constant(null), fc.boolean(),
        fc.array(tie('json'), { maxLength: 4 }), fc.dictionary(text, tie('json'), { maxKeys: 4 })),
    }));
    fc.assert(fc.property(json, (value) => {
      assert.deepEqual(findIllFormedString(value), reference(value));
    }), { numRuns: 2000 });
  });

  it('a body nested far deeper than the stack allows is walked to its lone surrogate', () => {
    const depth = 100_000;
    const value = JSON.parse(`{"a":${'['.repeat(depth)}"\\ud800"${']'.repeat(depth)}}`);
    const found = findIllFormedString(value);
    assert.equal(found?.value, '\ud800');
    assert.equal(found?.segments.length, depth + 1);
    assert.deepEqual(found?.segments.slice(0, 3), ['a', '0', '0']);
  });

  it('values read in diagnostics as they were sent', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const shown = displayValue(value);
      assert.equal(shown, typeof value === 'string' ? value : JSON.stringify(value));
    }));
  });

  it('a value nested too deeply to serialise is described, never a throw (the door would answer 500)', () => {
    const deep = JSON.parse(`${'['.repeat(50_000)}${']'.repeat(50_000)}`) as unknown;
    assert.throws(() => JSON.stringify(deep), RangeError, 'the case this guards');
    assert.equal(displayValue(deep), '(a value nested too deeply to show)');
  });
});

describe('a quoted value is clipped, never echoed whole', () => {
  it('a value of at most the limit is quoted whole; a longer one as its head (no half surrogate pair) and its length', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 2, max: 120 }), (text, max) => {
      const clipped = clipForDiagnostics(text, max);
      if (text.length <= max) return assert.equal(clipped, text);
      const suffix = `… (${text.length} characters)`;
      assert.ok(clipped.endsWith(suffix));
      const head = clipped.slice(0, -suffix.length);
      assert.ok(text.startsWith(head));
      assert.ok(head.length === max || head.length === max - 1);
      // Cut before a pair's second half, never inside it.
      if (head.length === max - 1) assert.match(text[max - 1]!, /[\ud800-\udbff]/);
    }));
  });

  it('a failure keeps its kind and keyword; its value and long path segments are clipped', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.string({ minLength: 1, maxLength: 300 }), (value, segment) => {
      const failure = { part: 'body' as const, kind: 'invalid' as const, path: `a/0/${segment}`, value, keyword: 'type' };
      const clipped = clippedFailure(failure, 50);
      assert.equal(clipped.kind, 'invalid');
      assert.equal(clipped.keyword, 'type');
      assert.equal(clipped.value, clipForDiagnostics(value, 50));
      assert.equal(clipped.path, failure.path.length <= 50 ? failure.path : failure.path.split('/').map((s) => clipForDiagnostics(s, 50)).join('/'));
    }));
  });
});
