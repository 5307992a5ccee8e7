import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { headerField, requestHeadOf } from './client-errors.js';

const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND');
const segment = fc.stringMatching(/^[A-Za-z0-9._~%-]{0,20}$/);
const path = fc.array(segment, { minLength: 1, maxLength: 6 }).map((segments) => `/${segments.join('/')}`);
const query = fc.option(fc.stringMatching(/^[A-Za-z0-9=&_-]{0,30}$/), { nil: undefined });
const printable = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,60}[\x21-\x7e])?$/);
const shaping = fc.record({
  accept: fc.option(printable, { nil: undefined }),
  'x-request-id': fc.option(printable, { nil: undefined }),
  'x-correlation-id': fc.option(printable, { nil: undefined }),
});
const otherName = fc.stringMatching(/^X-[A-Za-z0-9-]{1,15}$/).filter((n) => !['x-request-id', 'x-correlation-id'].includes(n.toLowerCase()));
const others = fc.array(fc.tuple(otherName, printable), { maxLength: 5 });
/** Header names as clients spell them: any case. */
const spelled = (name: string, upper: boolean[]) => [...name].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c)).join('');

describe('requestHeadOf: the request line and shaping headers of a raw HTTP/1 packet', () => {
  it('reads back the method, the path and the shaping headers of any well-formed head, whatever the spelling of names', () => {
    fc.assert(fc.property(method, path, query, shaping, others, fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), fc.boolean(),
      (m, p, q, wanted, extra, upper, complete) => {
        const target = q === undefined ? p : `${p}?${q}`;
        const fields = [
          ...Object.entries(wanted).filter(([, v]) => v !== undefined).map(([n, v]) => `${spelled(n, upper)}: ${v}`),
          ...extra.map(([n, v]) => `${n}:${v}`),
        ];
        // A header section complete, or cut by the packet's end after a whole line.
        const raw = Buffer.from(`${m} ${target} HTTP/1.1\r\nHost: example\r\n${fields.map((f) => `${f}\r\n`).join('')}${complete ? '\r\nbody' : 'X-Cut-Off: aaa'}`, 'latin1');
        const head = requestHeadOf(raw);
        assert.ok(head);
        assert.equal(head.method, m);
        assert.equal(head.path, target);
        assert.deepEqual(head.headers, Object.fromEntries(Object.entries(wanted).filter(([, v]) => v !== undefined)));
      }));
  });

  it('never throws on arbitrary bytes; what it reads is an origin-form path (printable, or bytes past ASCII) and printable shaping headers only', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 }).map((s) => new TextEncoder().encode(`GET /${s}`))), (bytes) => {
      const head = requestHeadOf(Buffer.from(bytes));
      if (!head) return;
      assert.match(head.method, /^[A-Z]+$/);
      assert.match(head.path, /^\/[\x21-\x7e\x80-\xff]*$/);
      for (const [name, value] of Object.entries(head.headers)) {
        assert.ok(['accept', 'x-request-id', 'x-correlation-id'].includes(name), name);
        assert.match(value, /^[\x20-\x7e]*$/);
      }
    }));
  });

  it('a packet that does not start with a request line (a later packet of a long header section) gives nothing', () => {
    assert.equal(requestHeadOf(Buffer.from('X-Padding: aaaa\r\n\r\n')), undefined);
    assert.equal(requestHeadOf(Buffer.alloc(0)), undefined);
    assert.equal(requestHeadOf(undefined), undefined);
    assert.equal(requestHeadOf(Buffer.from('GET http://example/ HTTP/1.1\r\n\r\n')), undefined, 'absolute-form is not a path of ours');
  });

  it('a shaping header whose line was cut by the packet end is not read', () => {
    const head = requestHeadOf(Buffer.from('GET /messageexchange/X/inbox HTTP/1.1\r\nAccept: application/vnd.mesh.v2+json\r\nX-Request-ID: abc'));
    assert.deepEqual(head?.headers, { accept: 'application/vnd.mesh.v2+json' });
  });
});

describe('headerField: a header line read in one pass', () => {
  // The pattern it replaced: right on short lines, cubic on a long one with a bare CR after spaces.
  const REFERENCE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n]*?)[ \t]*$/;
  const line = fc.string({ unit: fc.constantFrom(' ', '\t', '\r', '\n', ':', 'a', 'Z', '-', '(', '"', '\u00e9'), maxLength: 24 });

  it('reads every line as the pattern did', () => {
    fc.assert(fc.property(line, (text) => {
      const expected = REFERENCE.exec(text);
      assert.deepEqual(headerField(text), expected ? { name: expected[1], value: expected[2] } : undefined, JSON.stringify(text));
    }), { numRuns: 20_000 });
  });

  it('reads a packet whose header line is 16 kB of spaces with a bare CR in one pass (the pattern would take hours)', { timeout: 10_000 }, () => {
    const packet = Buffer.from(`GET /_ping HTTP/1.1\r\nX-Request-ID: abc\r\nX-A:${' '.repeat(16_000)}\r${' '.repeat(16_000)}x\r\n\r\n`, 'latin1');
    assert.deepEqual(requestHeadOf(packet), { method: 'GET', path: '/_ping', headers: { 'x-request-id': 'abc' } });
  });
});
