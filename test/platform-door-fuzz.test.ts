import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { startTestSpine, type TestSpine } from './support/spine.js';

/**
 * Whatever bytes a client sends to the door (method, path bytes, header values, content type, body),
 * the answer is well-formed HTTP, never a 5xx, never Fastify's own `{statusCode, error, message}`,
 * and carries the security headers; each request on its own connection over a raw socket, as no
 * HTTP client would send most of them. In sandbox mode, so a request without a valid credential
 * reaches past authentication as the sandbox caller.
 */

const BASES = [
  '/personal-demographics/FHIR/R4/Patient', '/messageexchange/X26ABC1', '/record-locator/consumer/FHIR/R4/DocumentReference',
  '/record-locator/producer/FHIR/R4/DocumentReference', '/fhir-prescribing/FHIR/R4', '/fhir-dispensing/FHIR/R4',
  '/spine-directory/FHIR/R4/Endpoint', '/audit/FHIR/R4/AuditEvent', '/consent/STU3/Consent', '/nems/STU3/Subscription',
  '/multicast-notification-service/subscriptions', '/export/FHIR/R4', '/oauth2/token', '/admin/identity/applications', '/console', '',
];

/** Bytes as latin1 text, one character a byte. */
const latin1 = (min: number, max: number, maxLength: number) =>
  fc.array(fc.integer({ min, max }), { maxLength }).map((codes) => String.fromCharCode(...codes));

const segment = fc.oneof(
  fc.constantFrom('', '.', '..', '%00', '%FF', '%2F', '%ED%A0%80', '%', 'a%0', '$process-message', '_search', '9000000009', 'X26ABC1', 'inbox', 'outbox', 'metadata'),
  fc.string({ unit: fc.constantFrom(...'aZ09-._~!$&\'()*+,;=:@%'.split('')), maxLength: 12 }),
  latin1(0x21, 0xff, 8),
);
const query = fc.option(fc.string({ unit: fc.constantFrom(...'ab=&%0F+;?:/[]|*'.split('')), maxLength: 20 }), { nil: undefined });
const headerValue = fc.oneof(latin1(0x20, 0x7e, 40), latin1(0x20, 0xff, 20), fc.constant(''), fc.constant('x'.repeat(300)));
const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/fhir+json', 'application/fhir+json; fhirVersion=4.0', 'application/x-www-form-urlencoded',
    'application/octet-stream', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/xml', '*/*', ';', ''),
  headerValue,
);
const optionalHeaders = fc.record({
  'Content-Type': contentType,
  Accept: fc.oneof(fc.constantFrom('application/vnd.mesh.v2+json', 'application/fhir+json', 'text/html', '*/*;q=0'), headerValue),
  Authorization: fc.oneof(fc.constantFrom('Bearer x', 'NHSMESH X26ABC1:a:1:202501010000:b', 'Basic Og=='), headerValue),
  'X-Request-ID': headerValue,
  'X-Correlation-ID': headerValue,
  'Content-Encoding': fc.constantFrom('gzip', 'br', 'deflate', 'identity', 'x'),
  'If-Match': headerValue,
  'mex-Chunk-Range': headerValue,
  'NHSD-Session-URID': headerValue,
  Expect: fc.constantFrom('100-continue', 'x'),
}, { requiredKeys: [] });
const body = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.json({ maxDepth: 3 }).map((text) => Buffer.from(text)),
);

/**
 * The APIs whose error shape tells them apart from the platform's FHIR R4 one, by what every error
 * answer of theirs holds.
 */
const OWN_SHAPE: Array<[string, (body: string) => boolean]> = [
  ['/record-locator/', (body) => body.includes('https://fhir.nhs.uk/ValueSet/Spine-ErrorOrWarningCode-1')],
  ['/nems/STU3/', (body) => body.includes('https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1')],
  ['/fhir-', (body) => body.includes('"https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode"')],
  ['/messageexchange/', (body) => /"(detail|errorEvent)"/.test(body)],
  // The token endpoint's (RFC 6749 §5.2); other paths under /oauth2 are no endpoint of it.
  ['/oauth2/token?', (body) => /^\{"error":/.test(body)],
];

interface Case { method: string; path: string; headers: Record<string, string>; body: Buffer; chunked: boolean }

const requestCase: fc.Arbitrary<Case> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'FOO', 'get'),
  base: fc.constantFrom(...BASES),
  segments: fc.array(segment, { maxLength: 3 }),
  query,
  headers: optionalHeaders,
  body,
  chunked: fc.boolean(),
}).map(({ method, base, segments, query: q, headers, body: bytes, chunked }) => ({
  method,
  path: `${base}${segments.map((s) => `/${s}`).join('')}${q === undefined ? '' : `?${q}`}` || '/',
  headers: headers as Record<string, string>,
  body: bytes,
  chunked,
}));

function wire(c: Case): Buffer {
  const fields = Object.entries(c.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const framing = c.chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${c.body.length}\r\n`;
  const head = Buffer.from(`${c.method} ${c.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${fields}${framing}\r\n`, 'latin1');
  const payload = c.chunked
    ? Buffer.concat([...(c.body.length > 0 ? [Buffer.from(`${c.body.length.toString(16)}\r\n`), c.body, Buffer.from('\r\n')] : []), Buffer.from('0\r\n\r\n')])
    : c.body;
  return Buffer.concat([head, payload]);
}

interface RawAnswer { status: number; headers: Record<string, string>; body: string }

/** Sends one request on its own connection and reads the answer until the server closes it. */
async function send(port: number, bytes: Buffer): Promise<RawAnswer> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(bytes);
  const timedOut = await Promise.race([closed.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 10_000))]);
  socket.destroy();
  let text = Buffer.concat(chunks).toString('latin1');
  // An interim 100 Continue (the client sent Expect: 100-continue) comes before the answer.
  while (/^HTTP\/1\.1 1\d\d /.test(text) && text.includes('\r\n\r\n')) text = text.slice(text.indexOf('\r\n\r\n') + 4);
  assert.ok(!timedOut || text.length > 0, 'no answer within 10 s and the connection still open');
  const split = text.indexOf('\r\n\r\n');
  assert.ok(split > 0, `no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...fields] = text.slice(0, split).split('\r\n');
  assert.match(statusLine!, /^HTTP\/1\.1 \d{3} /);
  const headers: Record<string, string> = {};
  for (const field of fields) headers[field.slice(0, field.indexOf(':')).toLowerCase()] = field.slice(field.indexOf(':') + 1).trim();
  return { status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(split + 4) };
}

describe('the door, fuzzed over raw HTTP', () => {
  let spine: TestSpine;
  let port: number;
  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true } });
    port = Number(new URL(spine.url).port);
  });
  after(async () => { await spine?.close(); });

  it('any method, path, header values, content type and body: well-formed HTTP, no 5xx, no framework shape, the security headers', { timeout: 60_000 }, async () => {
    const started = Date.now();
    let runs = 0;
    await fc.assert(fc.asyncProperty(requestCase, async (c) => {
      runs += 1;
      const answer = await send(port, wire(c));
      const about = `${c.method} ${JSON.stringify(c.path)} ${JSON.stringify(c.headers)} chunked=${c.chunked} body=${c.body.length}B -> ${answer.status} ${answer.body.slice(0, 300)}`;
      assert.ok(answer.status < 500, about);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff', about);
      assert.equal(answer.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', about);
      // A request line Node's parser cannot read has no path to say whose it is: the neutral answer.
      const unreadable = answer.body.includes('not well-formed HTTP');
      const own = OWN_SHAPE.find(([prefix]) => `${c.path}?`.startsWith(prefix));
      if (own && answer.status >= 400 && answer.body.length > 0 && !unreadable) assert.ok(own[1](answer.body), `not the API's own shape: ${about}`);
      if (answer.body.startsWith('{')) {
        const keys = Object.keys(JSON.parse(answer.body) as object).sort().join(',');
        assert.notEqual(keys, 'code,error,message,statusCode', `Fastify's own shape: ${about}`);
        assert.notEqual(keys, 'error,message,statusCode', `Fastify's own shape: ${about}`);
      }
    }), { numRuns: 1000, interruptAfterTimeLimit: 15_000 });
    process.stdout.write(`# door fuzz: ${runs} requests in ${Date.now() - started} ms\n`);
    assert.equal((await fetch(`${spine.url}/_ping`)).status, 200);
  });
});
