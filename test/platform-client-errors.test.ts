import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { createAppAndToken } from './support/identity.js';
import { MB1, MB2, meshAuthorization, V2, workflowFor } from './messaging/support/mesh-client.js';

/**
 * Requests Node's HTTP parser refuses before or while Fastify handles them (a header section over
 * Node's 16 KB limit: 431; a chunked body that breaks off mid-request: 400) are answered in the
 * error shape of the API they were aimed at, not Fastify's `{error, message, statusCode}`. Spoken
 * over raw sockets, since no HTTP client sends such requests.
 */

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `packets` on one connection (a pause between them), and reads the answer until the server closes. */
async function raw(port: number, packets: string[]): Promise<RawAnswer> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const [i, packet] of packets.entries()) {
    if (i > 0) await sleep(300);
    if (!socket.destroyed) socket.write(packet);
  }
  await Promise.race([closed, sleep(20_000)]);
  socket.destroy();
  const text = Buffer.concat(chunks).toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  assert.ok(split > 0, `no HTTP answer: ${JSON.stringify(text.slice(0, 300))}`);
  const [statusLine, ...fields] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const colon = field.indexOf(':');
    headers[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(split + 4) };
}

const bigHeader = `X-Padding: ${'a'.repeat(20_000)}\r\n`;

function assertOperationOutcome(answer: RawAnswer, status: number, code: string, diagnostics: RegExp) {
  assert.equal(answer.status, status, answer.body);
  assert.match(answer.headers['content-type'] ?? '', /^application\/fhir\+json/);
  const outcome = JSON.parse(answer.body) as { resourceType: string; issue: Array<{ details: { coding: Array<{ code: string }> }; diagnostics: string }> };
  assert.equal(outcome.resourceType, 'OperationOutcome');
  assert.equal(outcome.issue[0]!.details.coding[0]!.code, code);
  assert.match(outcome.issue[0]!.diagnostics, diagnostics);
  assert.equal(Number(answer.headers['content-length']), Buffer.byteLength(answer.body));
  assertSecurityHeaders(answer);
}

/** The security headers every answer carries (security-headers.ts), refusals at the parser included. */
function assertSecurityHeaders(answer: RawAnswer) {
  assert.equal(answer.headers['x-content-type-options'], 'nosniff', JSON.stringify(answer.headers));
  assert.equal(answer.headers['x-frame-options'], 'SAMEORIGIN', JSON.stringify(answer.headers));
  assert.equal(answer.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', JSON.stringify(answer.headers));
  assert.equal(answer.headers['cross-origin-resource-policy'], 'same-origin', JSON.stringify(answer.headers));
}

describe('requests the HTTP parser refuses are answered in the API\'s error shape', () => {
  let spine: TestSpine;
  let port: number;
  let bearer: string;
  /** The server's warnings and errors. */
  const logged: string[] = [];
  const log = pino({ level: 'warn', base: undefined }, { write: (line: string) => { logged.push(line); } });
  before(async () => {
    spine = await startTestSpine({ log });
    port = Number(new URL(spine.url).port);
    bearer = (await createAppAndToken(spine)).token;
  });
  after(async () => { await spine.close(); });

  it('a header section over the limit on a PDS path: 431 OperationOutcome, X-Request-ID echoed', async () => {
    const requestId = randomUUID();
    const answer = await raw(port, [`GET /personal-demographics/FHIR/R4/Patient/9000000009 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: ${requestId}\r\n${bigHeader}\r\n`]);
    assertOperationOutcome(answer, 431, 'MESSAGE_TOO_LARGE', /header section is larger than this server accepts/);
    assert.equal(answer.headers['x-request-id'], requestId);
    assert.equal(answer.headers.connection, 'close');
  });

  it('a header section over the limit under /messageexchange: 431 in MESH\'s v2 error shape', async () => {
    const answer = await raw(port, [`GET /messageexchange/${MB1}/inbox HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ${V2}\r\n${bigHeader}\r\n`]);
    assert.equal(answer.status, 431, answer.body);
    assert.match(answer.headers['content-type'] ?? '', /application\/vnd\.mesh\.v2\+json/);
    const body = JSON.parse(answer.body) as { internal_id: string; detail: Array<{ code: string }> };
    assert.equal(typeof body.internal_id, 'string');
    assert.equal(body.detail[0]!.code, '431');
    assertSecurityHeaders(answer);
  });

  it('a header section over the limit on /oauth2/token: 431 in the OAuth2 shape', async () => {
    const answer = await raw(port, [`POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n${bigHeader}\r\n`]);
    assert.equal(answer.status, 431, answer.body);
    assert.deepEqual(Object.keys(JSON.parse(answer.body) as object).sort(), ['error', 'error_description']);
    assert.equal((JSON.parse(answer.body) as { error: string }).error, 'invalid_request');
    assertSecurityHeaders(answer);
  });

  it('a header section that overflows in a later packet (no request line to read): a neutral 431 OperationOutcome', async () => {
    const answer = await raw(port, [`GET /messageexchange/${MB1}/inbox HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ${V2}\r\n`, `${bigHeader}\r\n`]);
    assertOperationOutcome(answer, 431, 'MESSAGE_TOO_LARGE', /header section/);
  });

  it('a PDS create whose chunked body breaks off with a bad chunk size: 400 OperationOutcome, its request id echoed', async () => {
    const requestId = randomUUID();
    const answer = await raw(port, [
      `POST /personal-demographics/FHIR/R4/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${bearer}\r\nX-Request-ID: ${requestId}\r\n`
      + 'Content-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"res\r\nZZ\r\n',
    ]);
    assertOperationOutcome(answer, 400, 'MESSAGE_NOT_WELL_FORMED', /chunked transfer coding is malformed/);
    assert.equal(answer.headers['x-request-id'], requestId);
  });

  it('a MESH send whose chunked body breaks off: 400 in MESH\'s error shape, and no message is sent', async () => {
    const inbox = async () => {
      const response = await fetch(`${spine.url}/messageexchange/${MB2}/inbox`, { headers: { authorization: meshAuthorization(MB2), accept: V2 } });
      assert.equal(response.status, 200);
      return ((await response.json()) as { messages: string[] }).messages;
    };
    const before = await inbox();
    const answer = await raw(port, [
      `POST /messageexchange/${MB1}/outbox HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ${V2}\r\nAuthorization: ${meshAuthorization(MB1)}\r\n`
      + `mex-To: ${MB2}\r\nmex-WorkflowID: ${workflowFor(MB1, MB2)}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\nnot-a-size\r\n`,
    ]);
    assert.equal(answer.status, 400, answer.body);
    assert.match(answer.headers['content-type'] ?? '', /application\/vnd\.mesh\.v2\+json/);
    assert.ok(Array.isArray((JSON.parse(answer.body) as { detail?: unknown }).detail), answer.body);
    assertSecurityHeaders(answer);
    await sleep(500);
    assert.deepEqual(await inbox(), before);
  });

  it('a client that closes its connection mid-body is not reported as a database fault', async () => {
    // Node fails the request's stream with 'aborted', code ECONNRESET: a lost database connection's code too.
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const requestId = randomUUID();
    socket.write(`POST /admin/identity/applications HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${bearer}\r\nX-Request-ID: ${requestId}\r\n`
      + 'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name": "Half');
    await sleep(300);
    socket.destroy();
    // The server has seen the close once it has answered the request, to nobody (the warning of a 503 is logged before that).
    await sleep(500);
    const aboutIt = logged.filter((line) => line.includes(requestId));
    assert.deepEqual(aboutIt.filter((line) => line.includes('database fault')), [], aboutIt.join('\n'));
    assert.equal((await fetch(`${spine.url}/_ping`)).status, 200);
  });

  it('a header line of spaces broken by a bare CR is answered at once, in the API\'s shape, and the server stays free', { timeout: 30_000 }, async () => {
    // Read back with a backtracking pattern, 4,000 spaces held the event loop 42 s; 8,000, minutes.
    const requestId = randomUUID();
    const answer = await raw(port, [`GET /personal-demographics/FHIR/R4/Patient/9000000009 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: ${requestId}\r\nX-A:${' '.repeat(8_000)}\r${' '.repeat(10)}\r\n\r\n`]);
    assertOperationOutcome(answer, 400, 'MESSAGE_NOT_WELL_FORMED', /not well-formed HTTP|header/i);
    assert.equal(answer.headers['x-request-id'], requestId);
    assert.equal((await fetch(`${spine.url}/_ping`)).status, 200);
  });

  it('bytes that are not HTTP at all: a neutral 400 OperationOutcome', async () => {
    const answer = await raw(port, ['GARBAGE\r\n\r\n']);
    assertOperationOutcome(answer, 400, 'MESSAGE_NOT_WELL_FORMED', /not well-formed HTTP/);
  });

  it('a request line with a raw non-ASCII byte in its query is refused in the API\'s shape (NRL\'s here), not the neutral one', async () => {
    const answer = await raw(port, ['GET /record-locator/consumer/FHIR/R4/DocumentReference?subject:identifier=\u00e9 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n']);
    assert.equal(answer.status, 400, answer.body);
    const outcome = JSON.parse(answer.body) as { issue: Array<{ details: { coding: Array<{ system: string }> } }> };
    assert.equal(outcome.issue[0]!.details.coding[0]!.system, 'https://fhir.nhs.uk/ValueSet/Spine-ErrorOrWarningCode-1');
  });

  it('an HTTP/1.1 request with no Host is refused in the API\'s shape (PDS\'s here), with its ids, not with Node\'s empty 400', async () => {
    const requestId = randomUUID();
    const correlationId = randomUUID();
    const answer = await raw(port, [`GET /personal-demographics/FHIR/R4/Patient/9000000009 HTTP/1.1\r\nX-Request-ID: ${requestId}\r\nX-Correlation-ID: ${correlationId}\r\n\r\n`]);
    assertOperationOutcome(answer, 400, 'MISSING_VALUE', /Host/);
    assert.equal(answer.headers['x-request-id'], requestId);
    assert.equal(answer.headers['x-correlation-id'], correlationId);
    assert.equal(answer.headers.connection, 'close');
  });

  it('an expectation other than 100-continue is refused with 417 in the API\'s shape (MESH\'s here), not Node\'s empty 417', async () => {
    const answer = await raw(port, [`GET /messageexchange/${MB1}/inbox HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ${V2}\r\nExpect: 200-ok\r\n\r\n`]);
    assert.equal(answer.status, 417, answer.body);
    assert.match(answer.headers['content-type'] ?? '', /application\/vnd\.mesh\.v2\+json/);
    assert.equal((JSON.parse(answer.body) as { detail: Array<{ code: string }> }).detail[0]!.code, '417');
    assertSecurityHeaders(answer);
  });

  it('an unmet expectation under /nems/STU3: 417 in NEMS\'s STU3 codes, not the platform\'s R4 coding in NEMS\'s XML', async () => {
    const answer = await raw(port, ['GET /nems/STU3/Subscription HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/fhir+json\r\nExpect: x\r\n\r\n']);
    assert.equal(answer.status, 417, answer.body);
    const outcome = JSON.parse(answer.body) as { issue: Array<{ details: { coding: Array<{ system: string; code: string }> } }> };
    assert.deepEqual(outcome.issue[0]!.details.coding.map(({ system, code }) => ({ system, code })),
      [{ system: 'https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1', code: 'INVALID_REQUEST_MESSAGE' }]);
    assertSecurityHeaders(answer);
  });

  it('a CONNECT request is answered 405 in the neutral shape and its connection closed, not dropped unanswered', async () => {
    const answer = await raw(port, ['CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n']);
    assertOperationOutcome(answer, 405, 'NOT_IMPLEMENTED', /CONNECT/);
  });

  it('a header section not received in time: 408 OperationOutcome with the security headers, and the connection closed', { timeout: 30_000 }, async () => {
    // Node's own limits (60 s, checked every 30 s) are shortened for this test on the running server.
    const server = spine.app.server as typeof spine.app.server & { connectionsCheckingInterval: number };
    const { headersTimeout, connectionsCheckingInterval } = server;
    const track = server.listeners('listening').find((listener) => listener.name === 'setupConnectionsTracking') as (() => void) | undefined;
    assert.ok(track, 'Node\'s connection tracking listener');
    server.headersTimeout = 500;
    server.connectionsCheckingInterval = 100;
    track.call(server);
    try {
      const answer = await raw(port, ['GET /personal-demographics/FHIR/R4/Patient/9000000009 HTTP/1.1\r\nHost: 127.0.0.1\r\n']);
      assertOperationOutcome(answer, 408, 'TIMEOUT', /not received in time/);
    } finally {
      server.headersTimeout = headersTimeout;
      server.connectionsCheckingInterval = connectionsCheckingInterval;
      track.call(server);
    }
  });

  it('a client cannot trigger a replayed refusal by sending the marker header itself', async () => {
    const response = await fetch(`${spine.url}/_ping`, { headers: { 'x-openspine-refusal': 'guess:1' } });
    assert.equal(response.status, 200);
  });
});
