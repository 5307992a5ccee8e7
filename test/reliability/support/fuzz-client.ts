import { readFileSync } from 'node:fs';
// The fuzz suite's load client, run as a child process so that the server under test keeps its own
// event loop (and core): fast-check generates batches of malformed requests against every route it
// is given, sends them over keep-alive HTTP with modest concurrency, and checks each answer (never a
// 5xx, always the API's error shape). Prints one JSON line: cases tried, status histogram, the
// violations found and the time taken.
// Usage: node --import tsx test/reliability/support/fuzz-client.ts < plan.json (a FuzzPlan as JSON on stdin)
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { buildMeshAuthorization } from '../../../src/services/messaging/auth/nhsmesh-header.js';
import { bodyArbitraries, type BodyKind } from './fuzz-bodies.js';
import { BAD_NHS, encodeSegment, INJECTIONS, segment, string } from './fuzz-values.js';

export interface FuzzPlan {
  url: string;
  /** Bearer token of an application granted every activity. */
  token: string;
  odsCode: string;
  /** Valid NHS numbers of patients that exist, so reads and writes reach the handlers. */
  nhsNumbers: string[];
  routes: Array<{ method: string; url: string }>;
  cases: number;
  batch: number;
  concurrency: number;
  seed: number;
  /** Only requests that can never be valid (bad JSON, wrong types) to write routes. */
  invalidWritesOnly?: boolean;
  meshPassword: string;
  meshSharedKey: string;
  /**
   * The database is down (refusing connections, or frozen): a request that needs it must get its
   * API's 503 (in the API's error shape, with Retry-After) within `downAnswerMs`; any other 5xx is
   * still a violation.
   */
  databaseDown?: boolean;
  /** How long a request may take while the database is down: a refusal, or the timeouts' wait, not a hang. */
  downAnswerMs?: number;
}

export interface FuzzResult {
  tried: number;
  histogram: Record<string, number>;
  violations: string[];
  accepted: string[];
  ms: number;
  seed: number;
}

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent this many times at once (concurrent duplicates). */
  copies: number;
  /** The body is invalid by construction: a 2xx would mean something invalid was accepted. */
  invalid: boolean;
  /** Sent on a raw socket that stops part-way through the body (or the chunked framing) and closes. */
  truncated?: 'length' | 'chunked';
}

// The plan arrives on stdin (every route with its schemas is more than one argument may hold).
const plan = JSON.parse(readFileSync(0, 'utf8') || '{}') as FuzzPlan;
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(plan.url)) throw new Error(`loopback only, not ${plan.url}`);
const base = new URL(plan.url);
const agent = new Agent({ keepAlive: true, maxSockets: plan.concurrency });
const MAILBOXES = ['X26ABC1', 'X26ABC2', 'X26ABC3'];
const nhs = plan.nhsNumbers;

// ---- values (fuzz-values.ts, fuzz-bodies.ts) ----------------------------------------------

const { jsonBody } = bodyArbitraries(plan);

const PARAM_VALUES: Record<string, string[]> = {
  id: [...nhs, 'RX898-00000000-0000-0000-0000-000000000000', randomUUID()],
  mailbox: MAILBOXES, mailboxId: MAILBOXES, messageId: ['20200101000000000000_ABCDEF', randomUUID()], chunk: ['1', '2', '0', '99'],
  apiKey: ['x'], userId: ['555000000001'], odsCode: [plan.odsCode, 'A83008', 'X26'], workflowId: ['TEST_WORKFLOW', 'WF'],
  localId: ['local-1'], appId: [randomUUID()], organisation: [plan.odsCode],
};
const QUERY_KEYS = ['family', 'given', 'birthdate', 'gender', 'address-postalcode', '_fuzzy-match', '_exact-match', '_history', '_max-results',
  'death-date', 'email', 'phone', 'general-practitioner', 'patient', 'beneficiary', 'subject:identifier', 'subject', 'type', 'category', 'custodian:identifier',
  'date', 'entity-identifier', 'organization', 'identifier', '_count', 'max_results', 'continue_from', 'workflow_filter', 'messageID', 'since', 'x', ''];
const queryValue = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...nhs.map((n) => `https://fhir.nhs.uk/Id/nhs-number|${n}`), ...nhs, 'Smith', '2010-10-22', 'eq2010-10-22', 'female', 'true', '10', 'http://snomed.info/sct|736253002') },
  { weight: 3, arbitrary: string },
);
const query = fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), queryValue), { maxLength: 5 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v.slice(0, 300))}`).join('&'));

// ---- requests -------------------------------------------------------------------------------

const CONTENT_TYPES = ['application/json', 'application/fhir+json', 'application/json-patch+json', 'application/x-www-form-urlencoded',
  'text/plain', 'application/octet-stream', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/json; charset=bogus', '*/*', ';;;'];
const ACCEPTS = ['application/fhir+json', 'application/json', 'application/vnd.mesh.v2+json', 'application/fhir+json; version=9', 'text/html', '*/*', 'application/xml', ';q=x', ''];
// Header values a client can put on the wire: visible Latin-1, spaces and tabs.
const headerValue = fc.oneof(
  fc.string({ maxLength: 60, unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)) }),
  fc.integer({ min: 500, max: 4_000 }).map((n) => 'h'.repeat(n)),
  fc.constantFrom(...INJECTIONS.filter((s) => /^[\x20-\x7e]*$/.test(s)), ...BAD_NHS.filter((s) => /^[\x20-\x7e]*$/.test(s))),
);
const ODD_HEADERS = ['x-request-id', 'x-correlation-id', 'if-match', 'nhsd-end-user-organisation-ods', 'nhsd-end-user-organisation', 'nhsd-session-urid',
  'accept', 'content-encoding', 'mex-to', 'mex-workflowid', 'mex-chunk-range', 'mex-localid', 'mex-subject', 'mex-filename', 'mex-content-compressed',
  'mex-messagetype', 'range', 'x-forwarded-for', 'host', 'transfer-encoding-x', 'authorization'];

function meshAuth(mailbox: string): string {
  return buildMeshAuthorization({ mailboxId: mailbox, password: plan.meshPassword, sharedKey: plan.meshSharedKey, nonce: randomUUID(), at: new Date() });
}

function routeCase(route: { method: string; url: string }): fc.Arbitrary<Case> {
  const names = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const isMesh = route.url.startsWith('/messageexchange');
  const isOauth = route.url === '/oauth2/token';
  const hasBody = !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(route.method);
  const body: fc.Arbitrary<BodyKind | undefined> = !hasBody ? fc.constant(undefined)
    : isOauth ? fc.tuple(fc.constantFrom('client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange', '', 'password'), string, string)
      .map(([grant, assertion, extra]) => ({ text: `grant_type=${encodeSegment(grant)}&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${encodeSegment(assertion)}&subject_token=${encodeSegment(extra)}`, invalid: true }))
      : isMesh ? fc.oneof(fc.string({ maxLength: 200 }).map((text) => ({ text, invalid: false })), jsonBody(route.method, route.url))
        : jsonBody(route.method, route.url);
  return fc.record({
    params: fc.tuple(...names.map((name) => segment(PARAM_VALUES[name] ?? ['x']))),
    query: fc.option(query, { freq: 2 }),
    body,
    contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { freq: 8 }),
    accept: fc.option(fc.constantFrom(...ACCEPTS), { freq: 2 }),
    auth: fc.constantFrom('valid', 'valid', 'valid', 'valid', 'valid', 'valid', 'valid', 'valid', 'garbage', 'none'),
    odd: fc.array(fc.tuple(fc.constantFrom(...ODD_HEADERS), headerValue), { maxLength: 2 }),
    requestId: fc.oneof(fc.constant(undefined), fc.constant('uuid'), headerValue),
    oversized: fc.nat(999),
    // One case in a hundred is cut short on the wire; one in five hundred has a header section over
    // Node's 16 KB limit (refused by the HTTP parser with 431 before any route runs).
    wire: fc.oneof({ weight: 97, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom('length' as const, 'chunked' as const) },
      { weight: 1, arbitrary: fc.constant('hugeHeaders' as const) }),
    copies: fc.oneof({ weight: 19, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 4 }) }),
  }).map((c) => {
    let i = 0;
    const path = route.url.replace(/:\w+/g, () => c.params[i++]!) + (c.query ? `?${c.query}` : '');
    const headers: Record<string, string> = {};
    const mailbox = decodeURIComponentSafe(/^\/messageexchange\/([^/]+)/.exec(path)?.[1] ?? '');
    if (c.auth === 'valid') {
      if (isMesh) headers.authorization = meshAuth(MAILBOXES.includes(mailbox) ? mailbox : 'X26ABC1');
      else if (!isOauth) headers.authorization = `Bearer ${plan.token}`;
    } else if (c.auth === 'garbage') headers.authorization = isMesh ? 'NHSMESH X26ABC1:a:1:202001010000:deadbeef' : 'Bearer a.b.c';
    if (isMesh) {
      headers.accept = 'application/vnd.mesh.v2+json';
      if (route.method === 'POST') Object.assign(headers, { 'mex-to': 'X26ABC2', 'mex-workflowid': 'TEST_WORKFLOW' });
    } else {
      headers['nhsd-end-user-organisation-ods'] = plan.odsCode;
    }
    if (c.requestId === 'uuid') headers['x-request-id'] = randomUUID();
    else if (c.requestId !== undefined) headers['x-request-id'] = c.requestId;
    if (route.url.includes('/Patient/') && route.method === 'PATCH') headers['if-match'] = 'W/"1"';
    if (c.accept !== null) headers.accept = c.accept;
    for (const [name, value] of c.odd) if (name !== 'host' || value) headers[name] = value;
    let bodyBuffer: Buffer | undefined;
    let invalid = false;
    if (c.body) {
      headers['content-type'] = c.contentType ?? (isOauth ? 'application/x-www-form-urlencoded' : isMesh ? 'application/octet-stream'
        : route.method === 'PATCH' ? 'application/json-patch+json' : 'application/fhir+json');
      // One case in a thousand is larger than any route accepts (the server's limit is 5 MB).
      bodyBuffer = c.oversized === 0 ? OVERSIZED : Buffer.from(c.body.text);
      invalid = c.body.invalid;
    }
    if (c.wire === 'hugeHeaders') headers['x-padding'] = 'p'.repeat(20_000);
    const truncated = c.wire === 'length' || c.wire === 'chunked' ? c.wire : undefined;
    return { method: route.method, path, headers, body: truncated ? (bodyBuffer ?? Buffer.from('{"a":1}')) : bodyBuffer, copies: c.copies, invalid, truncated };
  });
}

/** Larger than any route accepts (the server's limit is 5 MB); shared, and shown short if it fails. */
const OVERSIZED = Object.assign(Buffer.alloc(6 * 1024 * 1024, 0x20), { toJSON: () => '<6 MB of spaces>' });
Object.defineProperty(OVERSIZED, Symbol.for('fast-check/toStringMethod'), { value: () => '<6 MB of spaces>' });

function decodeURIComponentSafe(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

// ---- checks ---------------------------------------------------------------------------------

interface Answer { status: number; contentType: string; body: string; retryAfter?: string }

/** Sends the head and part of the body on a raw socket, then half-closes: the body never completes. */
function sendTruncated(c: Case): Promise<Answer> {
  return new Promise((resolve) => {
    const body = c.body ?? Buffer.alloc(0);
    const head = [`${c.method} ${c.path} HTTP/1.1`, `Host: ${base.host}`, 'Connection: close',
      ...Object.entries(c.headers).filter(([name]) => name !== 'content-length').map(([name, value]) => `${name}: ${value}`),
      c.truncated === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length + 10}`, '', ''].join('\r\n');
    const part = body.subarray(0, Math.floor(body.length / 2));
    const payload = c.truncated === 'chunked' ? Buffer.concat([Buffer.from(`${(body.length + 5).toString(16)}\r\n`), part]) : part;
    const socket = connect(Number(base.port), base.hostname);
    const received: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('connect', () => socket.end(Buffer.concat([Buffer.from(head, 'latin1'), payload])));
    socket.on('data', (data: Buffer) => received.push(data));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(received).toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      // No answer at all is fine: the request never finished.
      resolve(status ? { status: Number(status), contentType: '', body: text.slice(text.indexOf('\r\n\r\n') + 4) } : { status: 0, contentType: '', body: 'closed' });
    });
  });
}

function send(c: Case): Promise<Answer> {
  if (c.truncated) return sendTruncated(c);
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...c.headers };
    if (c.body) headers['content-length'] = c.body.length;
    let req;
    try {
      // A header section over the limit gets its connection closed: send it on one of its own.
      const own = c.headers['x-padding'] !== undefined;
      req = request({ host: base.hostname, port: base.port, method: c.method, path: c.path, headers, agent: own ? false : agent }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => resolve({
          status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(parts).toString('utf8'),
          ...(res.headers['retry-after'] === undefined ? {} : { retryAfter: String(res.headers['retry-after']) }),
        }));
        res.on('error', (err) => resolve({ status: -1, contentType: '', body: String(err) }));
      });
    } catch (err) {
      // The client library refused to send it (an invalid header or path): nothing reached the server.
      resolve({ status: 0, contentType: '', body: String(err) });
      return;
    }
    req.on('error', (err) => resolve({ status: -1, contentType: '', body: String(err) }));
    req.end(c.body);
  });
}

/** With the database down, the one 5xx a request may get: its API's 503, in the API's error shape, with Retry-After. */
function unavailableProblem(c: Case, answer: Answer): string | undefined {
  if (answer.status !== 503) return `${answer.status}`;
  // Cut short on the wire: only the status was read (sendTruncated keeps no headers).
  if (c.truncated) return undefined;
  if (!(Number(answer.retryAfter) >= 1)) return `503 without Retry-After (${answer.retryAfter ?? 'none'})`;
  // A health check may answer its own document, failing because the database is.
  if (/\/(_status|healthcheck\/deep)$/.test(c.path.split('?')[0]!) && /"status"\s*:\s*"fail"/.test(answer.body)) return undefined;
  const shape = errorShapeProblem(c.path, answer);
  return shape ? `503 ${shape}` : undefined;
}

/** Whether a refusal is in the API's own error shape. */
function errorShapeProblem(path: string, answer: Answer): string | undefined {
  // NEMS answers in XML unless JSON was asked for: an OperationOutcome either way.
  if (path.startsWith('/nems/') && answer.contentType.includes('xml')) {
    return /<OperationOutcome[\s>]/.test(answer.body) && /<issue>/.test(answer.body) ? undefined : 'not an XML OperationOutcome';
  }
  // The console and the demo issuer's sign-in page are web pages: they refuse with an HTML page.
  if (path.startsWith('/console') || path.startsWith('/identity/demo-cis2/authorize')) {
    return /^text\/html/.test(answer.contentType) && /<h1>/.test(answer.body) ? undefined : 'not an HTML error page';
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    return 'error body is not JSON';
  }
  if (path.startsWith('/messageexchange')) {
    return typeof json.errorDescription === 'string' || Array.isArray(json.detail) ? undefined : 'not a MESH error body';
  }
  if (path.startsWith('/oauth2/token') || path.startsWith('/identity/demo-cis2/token')) return typeof json.error === 'string' ? undefined : 'not an OAuth2 error';
  // MNS: {errors}, {validationErrors: {…}}, or the API platform's {fault} on 401.
  if (path.startsWith('/multicast-notification-service')) {
    return typeof json.errors === 'string' || (typeof json.validationErrors === 'object' && json.validationErrors !== null) || typeof json.fault === 'object'
      ? undefined : 'not an MNS error body';
  }
  if (json.resourceType !== 'OperationOutcome' || !Array.isArray(json.issue) || json.issue.length === 0) return 'not a FHIR OperationOutcome';
  return undefined;
}

const histogram: Record<string, number> = {};
const violations: string[] = [];
const accepted: string[] = [];
let tried = 0;

const describeCase = (c: Case) => `${c.truncated ? `(cut short, ${c.truncated}) ` : ''}${c.method} ${c.path.slice(0, 300)} ${JSON.stringify(c.headers).replace(/(Bearer |NHSMESH )[^"]{40,}/g, '$1…').slice(0, 600)} body=${c.body ? JSON.stringify(c.body.subarray(0, 300).toString()) + (c.body.length > 300 ? `…(${c.body.length} bytes)` : '') : '-'}`;

const slow: Array<[number, string]> = [];
async function check(c: Case): Promise<string[]> {
  const t0 = Date.now();
  const answers = await Promise.all(Array.from({ length: c.copies }, () => send(c)));
  const took = Date.now() - t0;
  if (took > 200) slow.push([took, `${c.method} ${c.path.slice(0, 120)} ${answers[0]?.status} ${c.body?.length ?? 0}B`]);
  const problems: string[] = [];
  if (plan.databaseDown && took > (plan.downAnswerMs ?? 5_000)) problems.push(`answered in ${took} ms with the database down: ${describeCase(c)}`);
  for (const answer of answers) {
    tried += 1;
    histogram[answer.status] = (histogram[answer.status] ?? 0) + 1;
    if (answer.status === 0) continue;
    // Headers over Node's limit: refused by its HTTP parser before there is a request to route.
    if (answer.status === 431 || (answer.status < 0 && c.headers['x-padding'])) continue;
    let problem: string | undefined;
    if (answer.status < 0 && (c.body?.length ?? 0) > 5 * 1024 * 1024) continue; // refused mid-upload: the server may close at once
    if (answer.status < 0) problem = `connection failed: ${answer.body}`;
    else if (answer.status >= 500) problem = plan.databaseDown ? unavailableProblem(c, answer) : `${answer.status}`;
    // A body cut short on the wire is a framing error, answered (if at all) by Node's HTTP parser
    // before any route's error handler: only its status is checked.
    else if (answer.status >= 400 && c.method !== 'HEAD' && !c.truncated) {
      const shape = errorShapeProblem(c.path, answer);
      if (shape) problem = `${answer.status} ${shape}`;
    } else if (plan.invalidWritesOnly && answer.status < 300 && c.invalid) {
      accepted.push(`${answer.status} for invalid ${describeCase(c)} → ${answer.body.slice(0, 200)}`);
    }
    if (problem) problems.push(`${problem} for ${describeCase(c)} → ${answer.body.slice(0, 300)}`);
  }
  return problems;
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

// ---- the property ---------------------------------------------------------------------------

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const routes = plan.routes.filter((r) => r.method !== 'HEAD'
  && (!plan.invalidWritesOnly || (WRITE.has(r.method) && r.method !== 'DELETE' && !r.url.startsWith('/messageexchange') && !r.url.endsWith('/_search') && !r.url.endsWith('/$validate') && r.url !== '/consent/check')));
const arbitraries = routes.map(routeCase);
let caseArb = fc.oneof(...arbitraries);
if (plan.invalidWritesOnly) {
  // Only what is invalid whatever the handler thinks of it: no valid exemplars, no MESH sends
  // (MESH carries any payload) and no admin bodies, whose fields the fuzz only guesses.
  caseArb = caseArb.filter((c) => c.invalid);
}

const started = Date.now();
let failure: unknown;
try {
  await fc.assert(fc.asyncProperty(fc.array(caseArb, { minLength: plan.batch, maxLength: plan.batch }), async (batch) => {
    const problems: string[] = [];
    await pool(batch, plan.concurrency, async (c) => { problems.push(...await check(c)); });
    violations.push(...problems);
    if (problems.length > 0) throw new Error(problems.slice(0, 5).join('\n'));
  }), { numRuns: Math.ceil(plan.cases / plan.batch), seed: plan.seed, endOnFailure: true, verbose: 0 });
} catch (err) {
  failure = err;
}
agent.destroy();
if (process.env.FUZZ_SLOW) process.stderr.write(`${slow.sort((a, b) => b[0] - a[0]).slice(0, 30).map((s) => s.join(' ')).join('\n')}\n`);
const result: FuzzResult = { tried, histogram, violations: violations.slice(0, 50), accepted: accepted.slice(0, 50), ms: Date.now() - started, seed: plan.seed };
process.stdout.write(`${JSON.stringify({ ...result, failure: failure ? String(failure).slice(0, 2_000) : undefined })}\n`);
