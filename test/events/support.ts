import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { TestSpine } from '../support/spine.js';
import { userToken } from '../support/identity.js';

/** The relay's knobs for tests: quick polling and retries, so a test waits seconds, not minutes. */
export const FAST_RELAY_ENV = {
  OPENSPINE_EVENTS_POLL_MS: '50',
  OPENSPINE_EVENTS_BACKOFF_MS: '100',
  OPENSPINE_EVENTS_MAX_BACKOFF_MS: '500',
  OPENSPINE_EVENTS_WEBHOOK_TIMEOUT_MS: '3000',
};

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback that records what it is sent; `failWith` makes it refuse. */
export interface Receiver {
  url: string;
  received: Received[];
  /** The calls it refused while `failWith` was set, in arrival order. */
  refused: Received[];
  failWith: number | undefined;
  /** Answer this long after the body arrived (a slow receiver: a relay killed meanwhile sends again). */
  delayMs: number;
  close(): Promise<void>;
}

/** `received` may be shared with an earlier receiver on the same port (one that went down and came back). */
export async function startReceiver(port = 0, received: Received[] = []): Promise<Receiver> {
  const state: Receiver = { url: '', received, refused: [], failWith: undefined, delayMs: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.failWith) {
        state.refused.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(state.failWith).end();
        return;
      }
      state.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      setTimeout(() => res.writeHead(204).end(), state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  state.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return state;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function api(spine: TestSpine, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${spine.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`, 'x-correlation-id': randomUUID(), 'x-request-id': randomUUID(),
      ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}), ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Moves a patient to another GP practice through PDS (PATCH), which writes the outbox events. */
export async function changeGp(spine: TestSpine, _token: string, nhsNumber: string, odsCode: string) {
  // PDS takes updates from a healthcare worker only (user-restricted access).
  const token = (await userToken(spine, { roleCode: 'R8000' })).token;
  const read = await api(spine, token, 'GET', `/personal-demographics/FHIR/R4/Patient/${nhsNumber}`);
  if (read.status !== 200) throw new Error(`read ${nhsNumber}: ${read.status} ${read.text}`);
  const gp = read.json.generalPractitioner?.[0];
  const ops = gp
    ? [{ op: 'test', path: '/generalPractitioner/0/id', value: gp.id }, { op: 'replace', path: '/generalPractitioner/0/identifier/value', value: odsCode }]
    : [{ op: 'add', path: '/generalPractitioner', value: [{ id: randomUUID().slice(0, 8), type: 'Organization', identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: odsCode } }] }];
  const res = await api(spine, token, 'PATCH', `/personal-demographics/FHIR/R4/Patient/${nhsNumber}`, JSON.stringify({ patches: ops }),
    { 'content-type': 'application/json-patch+json', 'if-match': read.headers.get('etag')! });
  if (res.status !== 200) throw new Error(`patch ${nhsNumber}: ${res.status} ${res.text}`);
  return res.json;
}

/** A NEMS Subscription as a subscriber's system sends it (XML), for `criteria` to a MESH mailbox of an organisation. */
export const nemsSubscriptionXml = (criteria: string, mailbox = 'A83008NEMS1', ods = 'A83008') => `<Subscription xmlns="http://hl7.org/fhir">
  <meta><profile value="https://fhir.nhs.uk/STU3/StructureDefinition/EMS-Subscription-1"/></meta>
  <status value="requested"/>
  <contact><system value="url"/><value value="https://directory.spineservices.nhs.uk/STU3/Organization/${ods}"/><use value="work"/></contact>
  <reason value="Test practice"/>
  <criteria value="${criteria.replace(/&/g, '&amp;')}"/>
  <channel><type value="message"/><endpoint value="${mailbox}"/></channel>
</Subscription>`;
