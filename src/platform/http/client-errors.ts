import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { operationOutcome } from '../fhir/operation-outcome.js';
import { PLATFORM_ERRORS, SpineError } from './errors.js';
import { securityHeaders } from './security-headers.js';

/**
 * Requests Node's HTTP parser refuses (`clientError`): a header section over Node's limit (431),
 * a body whose chunked coding or length is malformed, cut short mid-request (400), anything that is
 * not HTTP. Fastify answers these on the raw socket in its own `{error, message, statusCode}`, which
 * no NHS client expects. Here they are answered in the error shape of the API the request was aimed
 * at, by that API's own error handler: the refusal is replayed in-process (`inject`) to the same
 * method and path, where a hook at the front of every request throws it, so it goes through the
 * same route, error handler and response hooks as any refusal. The path is the in-flight request's
 * (a body broken mid-request) or the request line at the start of the packet Node was parsing;
 * when neither is known (a header section sent in several packets) the answer is a neutral FHIR
 * OperationOutcome.
 */

/** What Node's parser said, as the refusal a client is given. */
function refusalFor(code: string | undefined): SpineError | undefined {
  switch (code) {
    case 'ECONNRESET':
      return undefined;
    case 'HPE_HEADER_OVERFLOW':
      return new SpineError(PLATFORM_ERRORS.HEADERS_TOO_LARGE, 'The request\'s header section is larger than this server accepts (16 KB)');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new SpineError(PLATFORM_ERRORS.REQUEST_TIMEOUT, 'The request was not received in time');
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
    case 'HPE_INVALID_EOF_STATE':
      return new SpineError(PLATFORM_ERRORS.MALFORMED_BODY, 'Request body could not be read: its chunked transfer coding is malformed');
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return new SpineError(PLATFORM_ERRORS.MALFORMED_BODY, 'Request body could not be read: its Content-Length is malformed');
    default:
      return new SpineError(PLATFORM_ERRORS.MALFORMED_BODY, 'The request is not well-formed HTTP');
  }
}

export interface RequestHead {
  method: string;
  /** The request target as sent (latin1), when it is an origin-form path. */
  path: string;
  /** The header fields that shape an error answer (lower-case names), as far as they were read. */
  headers: Record<string, string>;
}

/** Headers a refusal's shape or echo depends on: MESH's version by Accept, the ids every API echoes. */
const SHAPING_HEADERS = new Set(['accept', 'x-request-id', 'x-correlation-id']);
const MAX_SHAPING_VALUE = 1_000;
// The target may hold bytes past ASCII (read as latin1), which Node's parser refuses: the request
// is still answered in its API's shape when its path is plain (replayTarget), a byte in its query
// being the client's mistake there (found by probing NRL: the answer was the neutral shape).
const REQUEST_LINE = /^([A-Z]{1,20}) (\/[\x21-\x7e\x80-\xff]{0,8000}) HTTP\/1\.[01]\r?\n/;
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const isSpaceOrTab = (c: number) => c === 0x20 || c === 0x09;

/**
 * A header line's name and value, without the spaces and tabs around the value; undefined when the
 * line is not a field (or its value holds a CR or LF). By hand, in one pass: the pattern it replaces,
 * `^(name):[ \t]*([^\r\n]*?)[ \t]*$`, backtracked in time cubic in a line that holds a bare CR
 * after spaces, and such a line makes the request one Node cannot parse, which is when this runs: a
 * line of 1,500 spaces held the event loop 1 s, 4,000 spaces 42 s, before any authentication.
 */
export function headerField(line: string): { name: string; value: string } | undefined {
  const colon = line.indexOf(':');
  if (colon < 1) return undefined;
  const name = line.slice(0, colon);
  if (!FIELD_NAME.test(name)) return undefined;
  let start = colon + 1;
  let end = line.length;
  while (start < end && isSpaceOrTab(line.charCodeAt(start))) start++;
  while (end > start && isSpaceOrTab(line.charCodeAt(end - 1))) end--;
  const value = line.slice(start, end);
  return value.includes('\r') || value.includes('\n') ? undefined : { name, value };
}

/**
 * The method, path and shaping headers at the start of a raw HTTP/1 request, as far as they were
 * received; undefined when the bytes do not start with a request line (a later packet of the request).
 */
export function requestHeadOf(raw: Buffer | undefined): RequestHead | undefined {
  if (!raw || raw.length === 0) return undefined;
  const text = raw.subarray(0, 64 * 1024).toString('latin1');
  const line = REQUEST_LINE.exec(text);
  if (!line) return undefined;
  const headers: Record<string, string> = {};
  const section = text.slice(line[0].length);
  const end = section.search(/\r?\n\r?\n/);
  // The last line may have been cut by the packet's end: only complete lines count.
  const lines = (end >= 0 ? section.slice(0, end) : section.slice(0, Math.max(0, section.lastIndexOf('\n')))).split('\n');
  for (const rawLine of lines) {
    const field = headerField(rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine);
    if (!field) continue;
    const name = field.name.toLowerCase();
    const { value } = field;
    if (SHAPING_HEADERS.has(name) && !(name in headers) && value.length <= MAX_SHAPING_VALUE && /^[\x20-\x7e]*$/.test(value)) headers[name] = value;
  }
  return { method: line[1]!, path: line[2]!, headers };
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Where a refusal is replayed: the request's own method and path when the router can take them, else the neutral root. */
function replayTarget(head: RequestHead | undefined): { method: HTTPMethods; url: string; headers: Record<string, string> } {
  if (!head) return { method: 'GET', url: '/', headers: {} };
  const path = head.path.split('?')[0]!;
  let decodable = true;
  try {
    decodeURIComponent(path);
  } catch {
    decodable = false;
  }
  // A path the router would refuse itself (its own error) is answered at the root.
  const usable = decodable && !/[^\x21-\x7e]/.test(path) && path.split('/').every((segment) => segment.length <= 512);
  return {
    method: (METHODS.has(head.method) ? head.method : 'GET') as HTTPMethods,
    url: usable ? path : '/',
    headers: head.headers,
  };
}

/** The head of the request in flight on this socket (its body was cut short), if any. */
function inFlightHead(socket: Socket): RequestHead | undefined {
  const response = (socket as Socket & { _httpMessage?: ServerResponse & { req?: IncomingMessage } })._httpMessage;
  return inFlightHeadOf(response?.req);
}

/** A parsed request's method, path and shaping headers. */
function inFlightHeadOf(request: IncomingMessage | undefined): RequestHead | undefined {
  if (!request?.url || !request.method) return undefined;
  const headers: Record<string, string> = {};
  for (const name of SHAPING_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string' && value.length <= MAX_SHAPING_VALUE) headers[name] = value;
  }
  return { method: request.method, path: request.url, headers };
}

function responseHeaderSent(socket: Socket): boolean {
  return Boolean((socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent);
}

// Hop-by-hop fields of the replayed answer, which describe the replay's own connection.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

/** A refusal with no API to shape it (the replay itself failed): the platform's OperationOutcome, with the security headers. */
function neutralAnswer(refusal: SpineError, security: Readonly<Record<string, string>>): { statusCode: number; headers: Record<string, string>; rawPayload: Buffer } {
  const body = Buffer.from(JSON.stringify(operationOutcome({ ...refusal.spec, diagnostics: refusal.diagnostics })));
  return { statusCode: refusal.spec.status, headers: { ...security, 'content-type': 'application/fhir+json; charset=utf-8' }, rawPayload: body };
}

/**
 * Sets up the refusal hook and returns Fastify's `clientErrorHandler`, and `attach`, which answers
 * the requests Node's server would answer itself, bare (no body, no security headers, no ids):
 * an HTTP/1.1 request with no Host (Node's 400, turned off in shed.ts's server), an `Expect` other
 * than 100-continue (Node's 417), and CONNECT (dropped unanswered).
 */
export function clientErrorRouting() {
  // Only this process can mark a replayed request: a client sending the header gets nothing from it.
  const marker = randomBytes(24).toString('hex');
  const pending = new Map<string, SpineError>();
  // Requests Node parsed but must be refused (an unmet expectation), refused by the same hook.
  const refuseAtDoor = new WeakMap<IncomingMessage, SpineError>();
  const handled = new WeakSet<Socket>();
  const security = securityHeaders();
  let sequence = 0;
  let app: FastifyInstance | undefined;

  /** Answers `refusal` on the raw socket in the shape of the API `target` is aimed at, then closes it. */
  function answerOnSocket(socket: Socket, target: ReturnType<typeof replayTarget>, refusal: SpineError) {
    const mark = `${marker}:${++sequence}`;
    pending.set(mark, refusal);
    const replay = app
      ? app.inject({ method: target.method, url: target.url, headers: { ...target.headers, 'x-openspine-refusal': mark } })
      : Promise.reject(new Error('no server'));
    replay
      .catch(() => neutralAnswer(refusal, security))
      .then((answer) => {
        if (socket.destroyed || !socket.writable) return;
        const body = answer.rawPayload;
        const fields = Object.entries(answer.headers)
          .filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase()))
          .flatMap(([name, value]) => [value ?? ''].flat().map((v) => `${name}: ${v}\r\n`));
        socket.write(`HTTP/1.1 ${answer.statusCode} ${STATUS_CODES[answer.statusCode] ?? ''}\r\n${fields.join('')}`
          + `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
        socket.end(body);
      })
      .catch(() => undefined)
      .finally(() => {
        pending.delete(mark);
        // The parser cannot go on with this connection: close it once the answer is out.
        setTimeout(() => socket.destroy(), 2_000).unref();
      });
  }

  return {
    /**
     * First on every request (after the security headers): a replayed refusal is thrown here, before
     * any other hook, as is a request Node parsed but that cannot be served (no Host, an unmet Expect).
     */
    register(instance: FastifyInstance) {
      app = instance;
      instance.addHook('onRequest', (request, _reply, done) => {
        const raw = request.raw;
        // RFC 9112 §3.2: a server responds 400 to an HTTP/1.1 request that lacks a Host header field.
        if (request.headers.host === undefined && raw.httpVersionMajor === 1 && raw.httpVersionMinor === 1) {
          return done(new SpineError(PLATFORM_ERRORS.MISSING_VALUE, 'Missing value - the Host header, which every HTTP/1.1 request carries (RFC 9112 section 3.2)'));
        }
        const atDoor = refuseAtDoor.get(raw);
        if (atDoor) return done(atDoor);
        const mark = request.headers['x-openspine-refusal'];
        const refusal = typeof mark === 'string' && mark.startsWith(`${marker}:`) ? pending.get(mark) : undefined;
        if (refusal) {
          pending.delete(mark as string);
          return done(refusal);
        }
        done();
      });
    },

    /** Takes over from Node the answers it would give bare. */
    attach(server: Server) {
      // Node answers these 417 with no body itself unless a listener takes them: it goes through Fastify instead.
      server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
        refuseAtDoor.set(request, new SpineError(PLATFORM_ERRORS.EXPECTATION_FAILED,
          `Expectation failed - the Expect header '${String(request.headers.expect).slice(0, 100)}' cannot be met: only 100-continue is supported`));
        server.emit('request', request, response);
      });
      // CONNECT (a proxy tunnel) is served by no route; Node drops it unanswered without a listener.
      server.on('connect', (request: IncomingMessage, socket: Socket) => {
        socket.on('error', () => undefined);
        const target = replayTarget(inFlightHeadOf(request));
        answerOnSocket(socket, { ...target, method: 'GET', url: '/' },
          new SpineError(PLATFORM_ERRORS.METHOD_NOT_ALLOWED, 'Method not allowed - CONNECT is not served here'));
      });
    },

    /** Fastify's `clientErrorHandler`. */
    clientErrorHandler(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket) {
      if (handled.has(socket) || socket.destroyed) return;
      handled.add(socket);
      const refusal = refusalFor(err.code);
      // Nothing can be said on a connection whose answer has begun, or that the client reset.
      if (!refusal || !socket.writable || responseHeaderSent(socket) || !app) {
        socket.destroy();
        return;
      }
      answerOnSocket(socket, replayTarget(inFlightHead(socket) ?? requestHeadOf(Buffer.isBuffer(err.rawPacket) ? err.rawPacket : undefined)), refusal);
    },
  };
}
