import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildMeshAuthorization, formatTimestamp, hashMatches, parseMeshAuthorization, parseTimestamp } from '../../src/services/messaging/auth/nhsmesh-header.js';
import { formatChunkRange, parseChunkRange } from '../../src/services/messaging/protocol/chunk-range.js';
import { MAX_CHUNKS } from '../../src/services/messaging/protocol/limits.js';
import { isSendHeaderProblem, validateSendHeaders, SEND_HEADER_LIMITS } from '../../src/services/messaging/protocol/send-headers.js';
import { ChunkParamsSchema, InboxQuerySchema, RichQuerySchema, SendHeadersSchema } from '../../src/services/messaging/routes/schemas.js';
import { conformanceTo } from '../../src/platform/http/validation.js';
import { apiVersionFromAccept } from '../../src/services/messaging/protocol/api-version.js';
import { parseWorkflowFilter, workflowMatches } from '../../src/services/messaging/protocol/workflow-filter.js';
import { decodeCursor, encodeCursor } from '../../src/services/messaging/protocol/cursor.js';
import { parseStartTime } from '../../src/services/messaging/protocol/query.js';
import { isCalendarDate } from '../../src/platform/fhir/dates.js';

const mailboxId = fc.stringMatching(/^[A-Z0-9]{3,12}$/);
const minute = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:00Z'), noInvalidDate: true })
  .map((d) => new Date(Math.floor(d.getTime() / 60_000) * 60_000));

describe('NHSMESH header parser and validator (properties)', () => {
  it('a header built for any mailbox, nonce, count, password and minute parses back and verifies', () => {
    fc.assert(fc.property(mailboxId, fc.uuid(), fc.nat(1_000_000), fc.string({ maxLength: 40 }), fc.string({ minLength: 1, maxLength: 40 }), minute,
      (mailbox, nonce, count, password, sharedKey, at) => {
        const header = buildMeshAuthorization({ mailboxId: mailbox, password, sharedKey, nonce, nonceCount: count, at });
        const token = parseMeshAuthorization(header);
        assert.ok(token);
        assert.equal(token.mailboxId, mailbox);
        assert.equal(token.nonce, nonce);
        assert.equal(token.nonceCount, String(count));
        assert.equal(token.issuedAt.getTime(), at.getTime());
        assert.ok(hashMatches(token, sharedKey, password));
        assert.equal(hashMatches(token, sharedKey, `${password}x`), false);
        assert.equal(hashMatches(token, `${sharedKey}x`, password), false);
      }));
  });

  it('never throws on arbitrary input, and anything it accepts has five well-formed parts', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string().map((s) => `NHSMESH ${s}`)), (header) => {
      const token = parseMeshAuthorization(header);
      if (token) {
        assert.ok(header.startsWith('NHSMESH '));
        assert.match(token.hash, /^[0-9a-f]{64}$/);
        assert.ok(parseTimestamp(token.timestamp));
      }
    }));
  });

  it('changing any one character of a valid header breaks parsing or verification', () => {
    fc.assert(fc.property(mailboxId, fc.uuid(), minute, fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (mailbox, nonce, at, position, replacement) => {
      const header = buildMeshAuthorization({ mailboxId: mailbox, password: 'password', sharedKey: 'TestKey', nonce, at });
      const index = 'NHSMESH '.length + (position % (header.length - 'NHSMESH '.length));
      if (header[index]!.toLowerCase() === replacement.toLowerCase()) return;
      const changed = header.slice(0, index) + replacement + header.slice(index + 1);
      const token = parseMeshAuthorization(changed);
      if (token) assert.equal(hashMatches(token, 'TestKey', 'password'), false);
    }));
  });

  it('timestamps round-trip and impossible dates are refused', () => {
    fc.assert(fc.property(minute, (at) => assert.equal(parseTimestamp(formatTimestamp(at))?.getTime(), at.getTime())));
    assert.equal(parseTimestamp('202602301200'), undefined);
    assert.equal(parseTimestamp('202613011200'), undefined);
    assert.equal(parseTimestamp('202601011260'), undefined);
  });
});

describe('mex-Chunk-Range parser (properties)', () => {
  it('n:total with 1 ≤ n ≤ total ≤ 100,000 (MAX_CHUNKS) round-trips; a larger total is refused', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 999_999_999 }), fc.integer({ min: 0, max: 999_999_999 }), (chunk, extra) => {
      const range = { chunk, total: Math.min(chunk + extra, 999_999_999) };
      const parsed = parseChunkRange(formatChunkRange(range));
      if (range.total <= MAX_CHUNKS) assert.deepEqual(parsed, range);
      else assert.equal(parsed, undefined, formatChunkRange(range));
    }));
    assert.deepEqual(parseChunkRange('1:100000'), { chunk: 1, total: 100_000 });
    for (const absurd of ['1:100001', '1:9999999', '5:999999999']) assert.equal(parseChunkRange(absurd), undefined, absurd);
  });

  it('refuses n = 0, n > total, and anything not two whole numbers', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 99_999 }), fc.integer({ min: 1, max: 99_999 }), (a, b) => {
      if (a > b) assert.equal(parseChunkRange(`${a}:${b}`), undefined);
      assert.equal(parseChunkRange(`0:${b}`), undefined);
    }));
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (text) => {
      const parsed = parseChunkRange(text);
      if (parsed) {
        assert.match(text.trim(), /^\d+\s*:\s*\d+$/);
        assert.ok(parsed.chunk >= 1 && parsed.chunk <= parsed.total && parsed.total <= MAX_CHUNKS);
      }
    }));
    for (const bad of ['', '1', '1:', ':1', '1:2:3', 'a:b', '-1:2', '1.5:2', '2:1']) assert.equal(parseChunkRange(bad), undefined, bad);
  });
});

describe('mex-* send header validators (properties)', () => {
  const base = { 'mex-to': 'x26abc2', 'mex-workflowid': 'TEST_WORKFLOW' };

  // The send route's header schema (checked at the door, before the handler reads the headers).
  const failureOf = (headers: Record<string, string>) => conformanceTo(SendHeadersSchema, 'headers').failure(headers);

  it('any header with a control character is refused at the door by its pattern, naming that header', () => {
    const names = Object.keys(SEND_HEADER_LIMITS).filter((n) => n !== 'mex-chunk-range');
    fc.assert(fc.property(fc.constantFrom(...names), fc.string({ maxLength: 20 }), fc.integer({ min: 0, max: 31 }), (name, text, code) => {
      const value = `${text}${String.fromCharCode(code)}x`;
      const failure = failureOf({ ...base, [name]: value });
      assert.equal(failure?.keyword, 'pattern');
      assert.equal(failure?.path.toLowerCase(), name);
    }));
  });

  it('values past the spec maximum length are refused at the door; at the maximum they pass', () => {
    fc.assert(fc.property(fc.constantFrom('mex-subject', 'mex-localid', 'mex-filename', 'mex-content-checksum', 'mex-partnerid'), (name) => {
      const max = SEND_HEADER_LIMITS[name as keyof typeof SEND_HEADER_LIMITS];
      assert.equal(failureOf({ ...base, [name]: 'a'.repeat(max) }), undefined);
      assert.ok(!isSendHeaderProblem(validateSendHeaders({ ...base, [name]: 'a'.repeat(max) })));
      const long = failureOf({ ...base, [name]: 'a'.repeat(max + 1) });
      assert.equal(long?.keyword, 'maxLength');
      assert.equal(long?.path.toLowerCase(), name);
    }));
  });

  it('whatever content type a send keeps is within mex-Content-Type\'s limit: a longer Content-Type is refused at the door only when it would be kept', () => {
    const max = SEND_HEADER_LIMITS['mex-content-type'];
    const mexContentType = fc.option(fc.string({ maxLength: max, unit: fc.constantFrom('a', '/', ';', ' ', '=') }), { nil: undefined });
    // Lengths drawn evenly up to twice the limit (fc.string alone keeps to short strings).
    const contentTypeHeader = fc.tuple(fc.string({ maxLength: 10 }), fc.nat(2 * max)).map(([text, length]) => text.padEnd(length, 'x'));
    fc.assert(fc.property(contentTypeHeader, mexContentType, (contentType, mex) => {
      const headers = { ...base, 'content-type': contentType, ...(mex === undefined ? {} : { 'mex-content-type': mex }) };
      const failure = failureOf(headers);
      if (failure) {
        assert.deepEqual({ keyword: failure.keyword, path: failure.path.toLowerCase() }, { keyword: 'maxLength', path: 'content-type' });
        return;
      }
      const kept = validateSendHeaders(headers);
      assert.ok(!isSendHeaderProblem(kept));
      assert.ok((kept.contentType ?? '').length <= max);
      if (contentType.length > max) assert.equal(kept.contentType, mex);
    }));
  });

  it('URLs in mex-To, mex-WorkflowID or the checksum are refused at the door by their pattern', () => {
    fc.assert(fc.property(fc.constantFrom('mex-to', 'mex-workflowid', 'mex-content-checksum'), fc.constantFrom('http://', 'HTTPS://'), fc.webSegment(), (name, scheme, rest) => {
      const failure = failureOf({ ...base, [name]: `${scheme}${rest}` });
      assert.equal(failure?.keyword, 'pattern');
      assert.equal(failure?.path.toLowerCase(), name);
    }));
  });

  it('recipient ids are upper-cased; only gzip or no Content-Encoding is accepted', () => {
    const ok = validateSendHeaders({ ...base, 'content-encoding': 'GZIP', 'mex-content-compressed': 'Y' });
    assert.ok(!isSendHeaderProblem(ok));
    assert.equal(ok.to, 'X26ABC2');
    assert.equal(ok.contentEncoding, 'gzip');
    assert.equal(ok.compressed, true);
    fc.assert(fc.property(fc.stringMatching(/^[a-z0-9-]{1,12}$/), (encoding) => {
      const result = validateSendHeaders({ ...base, 'content-encoding': encoding });
      if (encoding === 'gzip' || encoding === 'identity') assert.ok(!isSendHeaderProblem(result));
      else assert.ok(isSendHeaderProblem(result) && result.problem === 'unsupported-encoding');
    }));
    assert.deepEqual(validateSendHeaders({ 'mex-workflowid': 'W' }), { problem: 'missing-to' });
    assert.deepEqual(validateSendHeaders({ 'mex-to': 'A' }), { problem: 'missing-workflow' });
    assert.deepEqual(validateSendHeaders({ ...base, 'mex-chunk-range': '2:3' }), { problem: 'bad-chunk-range' });
  });
});

describe('Accept, workflow_filter and cursor parsers (properties)', () => {
  it('v2 only for application/vnd.mesh.v2+json; other vnd.mesh types are refused; anything else is v1', () => {
    assert.equal(apiVersionFromAccept(undefined), 1);
    assert.equal(apiVersionFromAccept('application/json'), 1);
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v1+json'), 1);
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v2+json'), 2);
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v3+json'), undefined);
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v2+xml'), undefined);
    fc.assert(fc.property(fc.string(), (accept) => {
      const version = apiVersionFromAccept(accept);
      if (!/vnd\.mesh/i.test(accept)) assert.equal(version, 1);
    }));
  });

  it('q=0 refuses a media range (RFC 9110): refused v2 is never chosen, refused types change nothing', () => {
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v2+json;q=0'), 1);
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v2+json; Q=0.000'), 1);
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v2+json;q=0.001'), 2);
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v9+json;q=0, application/vnd.mesh.v2+json'), 2);
    assert.equal(apiVersionFromAccept('application/json;q=0.5, application/vnd.mesh.v2+json;q=0.9'), 2);
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v2+json;q=0.1, application/json'), 1);
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v1+json, application/vnd.mesh.v2+json'), 1);
    assert.equal(apiVersionFromAccept('application/json, application/vnd.mesh.v2+json'), 2);
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v2+json;q=2'), undefined);
    assert.equal(apiVersionFromAccept('application/vnd.mesh.v2+json;q=0.0001'), undefined);

    const qvalue = fc.oneof(fc.constant(''), fc.constantFrom('0', '0.', '0.0', '0.5', '0.25', '0.999', '1', '1.000').map((q) => `;q=${q}`));
    const supported = fc.tuple(fc.constantFrom('application/json', 'application/vnd.mesh.v1+json', 'application/vnd.mesh.v2+json', 'text/plain', '*/*'), qvalue)
      .map(([type, q]) => `${type}${q}`);
    const refusedMesh = fc.tuple(fc.constantFrom('application/vnd.mesh.v2+json', 'application/vnd.mesh.v7+json', 'application/vnd.mesh.v1+xml'),
      fc.constantFrom(';q=0', '; q=0.0', ';Q=0.000', ';level=1;q=0')).map(([type, q]) => `${type}${q}`);
    const join = (ranges: string[], spaces: boolean) => ranges.join(spaces ? ' , ' : ',');
    fc.assert(fc.property(fc.array(supported, { maxLength: 5 }), fc.array(refusedMesh, { maxLength: 3 }), fc.boolean(), (ranges, refused, spaces) => {
      const version = apiVersionFromAccept(join(ranges, spaces));
      // Supported types only: always a version, and v2 only when some v2 range is acceptable.
      assert.ok(version === 1 || version === 2);
      if (version === 2) assert.ok(ranges.some((r) => r.startsWith('application/vnd.mesh.v2+json') && !/;q=0\.?0*$/.test(r)));
      // Adding ranges the client refuses, anywhere, changes nothing.
      const mixed = [...ranges];
      for (const r of refused) mixed.splice(r.length % (mixed.length + 1), 0, r);
      assert.equal(apiVersionFromAccept(join(mixed, spaces)), version);
      // Refusing every v2 range gives v1.
      const noV2 = ranges.map((r) => r.startsWith('application/vnd.mesh.v2+json') ? 'application/vnd.mesh.v2+json;q=0' : r);
      assert.equal(apiVersionFromAccept(join(noV2, spaces)), 1);
    }));
  });

  it('workflow filters match as the spec describes', () => {
    const id = fc.stringMatching(/^[A-Z_]{1,12}$/);
    fc.assert(fc.property(id, id, fc.boolean(), fc.constantFrom('equals', 'begins', 'contains'), (text, workflow, negate, kind) => {
      const raw = `${negate ? '!' : ''}${kind === 'contains' ? '*' : ''}${text}${kind === 'equals' ? '' : '*'}`;
      const filter = parseWorkflowFilter(raw);
      if (raw.length < 2) return;
      assert.ok(filter);
      const expected = kind === 'equals' ? workflow === text : kind === 'begins' ? workflow.startsWith(text) : workflow.includes(text);
      assert.equal(workflowMatches(filter, workflow), negate ? !expected : expected);
    }));
  });

  it('cursors round-trip and garbage never decodes', () => {
    fc.assert(fc.property(mailboxId, fc.nat(), (mailbox, after) => assert.deepEqual(decodeCursor(encodeCursor({ mailbox, after })), { mailbox, after })));
    fc.assert(fc.property(fc.string(), (text) => {
      const cursor = decodeCursor(text);
      if (cursor) assert.ok(Number.isSafeInteger(cursor.after) && cursor.after >= 0);
    }));
    // Whatever JSON a cursor carries, one that decodes names a position a query can take: a real
    // time (the outbox pages by creation time) and an id PostgreSQL can compare (no NUL).
    const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    fc.assert(fc.property(mailboxId, fc.oneof(fc.integer(), fc.maxSafeNat(), fc.double()), fc.option(fc.string({ maxLength: 120 }), { nil: undefined }), (mailbox, after, id) => {
      const cursor = decodeCursor(encoded({ mailbox, after, ...(id === undefined ? {} : { id }) }));
      if (!cursor) return;
      assert.ok(!Number.isNaN(new Date(cursor.after).getTime()));
      if (cursor.id !== undefined) assert.match(cursor.id, /^[\x20-\x7e]{1,100}$/);
    }));
  });
});

describe('whole-number parameters: max_results and chunk numbers (properties)', () => {
  const cases = [
    { name: 'inbox max_results', check: conformanceTo(InboxQuerySchema, 'querystring'), field: 'max_results', min: 10, max: 5000 },
    { name: 'rich max_results', check: conformanceTo(RichQuerySchema, 'querystring'), field: 'max_results', min: 1, max: 100 },
    { name: 'chunk', check: conformanceTo(ChunkParamsSchema, 'params'), field: 'chunk', min: 1, max: 999_999_999 },
  ];
  // Texts Number() reads as a number that are not an integer as the spec writes one.
  const sloppy = fc.tuple(fc.integer({ min: 0, max: 6000 }), fc.constantFrom((n: number) => `+${n}`, (n: number) => ` ${n}`, (n: number) => `${n} `, (n: number) => `0${n}`,
    (n: number) => `${n}.0`, (n: number) => `${n}e0`, (n: number) => `${n / 1000}e3`, (n: number) => `0x${n.toString(16)}`, (n: number) => `\t${n}`, (n: number) => `${n}.`)).map(([n, write]) => write(n));
  const text = fc.oneof(fc.nat(1_000_000_000).map(String), sloppy, fc.string({ maxLength: 12 }), fc.stringMatching(/^[-+ 0-9.eExX]{0,12}$/));
  it('is taken exactly when it is decimal digits without a leading zero naming a number within the spec\'s bounds, and means that number', () => {
    for (const { name, check, field, min, max } of cases) {
      fc.assert(fc.property(text, (value) => {
        const data: Record<string, unknown> = { ...(field === 'chunk' ? { mailbox: 'X26ABC1', messageId: 'M' } : {}), [field]: value };
        const failure = check.failure(data);
        const expected = /^(0|[1-9][0-9]*)$/.test(value) && Number(value) >= min && Number(value) <= max;
        assert.equal(failure === undefined, expected, `${name}: ${JSON.stringify(value)}`);
        if (failure) assert.equal(failure.path, field, `${name}: ${JSON.stringify(value)}`);
        else assert.equal(data[field], Number(value));
      }), { numRuns: 1000 });
    }
  });
});

describe('rich listing start_time (properties)', () => {
  const day = fc.record({ year: fc.integer({ min: 0, max: 9999 }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 31 }) });
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  it('a start_time is taken exactly when its date is a day that exists (year 0001 on), with or without a time, and means that day', () => {
    fc.assert(fc.property(day, fc.boolean(), ({ year, month, day: d }, withTime) => {
      const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(d, 2)}`;
      const parsed = parseStartTime(withTime ? `${date}T10:20:30Z` : date);
      const exists = isCalendarDate(date);
      assert.equal(parsed !== undefined, exists, date);
      if (parsed) assert.equal(parsed.toISOString().slice(0, 10), date);
    }), { numRuns: 2000 });
  });
});

describe('a chunk\'s size limit (properties)', () => {
  it('never more than 100 MB a request, and never past the message\'s cap with the chunks already stored', async () => {
    const { chunkLimit } = await import('../../src/services/messaging/handlers/chunk-body.js');
    const { MAX_CHUNK_BYTES } = await import('../../src/services/messaging/protocol/limits.js');
    const MB = 1024 * 1024;
    fc.assert(fc.property(fc.integer({ min: 1, max: 100 * 1024 }), fc.nat(200 * 1024 * MB), fc.integer({ min: 1, max: 999_999_999 }), (capMb, stored, chunkNo) => {
      const cap = capMb * MB;
      const limit = chunkLimit(cap, stored, 'M', chunkNo);
      assert.ok(limit.maxBytes >= 0 && limit.maxBytes <= MAX_CHUNK_BYTES);
      // Room left, or none at all when the stored chunks already fill it (a cap lowered since).
      if (limit.maxBytes < MAX_CHUNK_BYTES) assert.ok(stored + limit.maxBytes <= Math.max(cap, stored));
      else assert.ok(stored + MAX_CHUNK_BYTES <= cap);
      const refusal = limit.tooLarge();
      assert.equal(refusal.spec.status, 413);
      assert.equal(refusal.details.messageId, 'M');
    }));
  });
});
