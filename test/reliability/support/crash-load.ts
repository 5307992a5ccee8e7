import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MB1, MB2, V2, meshAuthorization, workflowFor } from '../../messaging/support/mesh-client.js';
import { REGISTERING_AUTHORITY } from '../../demographics/support/pds.js';
import { nextNhsNumber, pointerBody } from '../../record-locator/support.js';
import { DISPENSING, EpsCycle, PRESCRIBING } from '../../prescriptions/cycle.js';
import { freshNhsNumber } from '../../prescriptions/support.js';

// The load client of the crash suite: writes MESH, PDS, NRL and EPS as real clients do and records
// what it was told (every 2xx), and what it was not, in a ledger the suite checks after the faults.

export const PDS = '/personal-demographics/FHIR/R4';
/** The organisation the demo application may produce NRL pointers for (dataset `nrl`). */
export const NRL_ORG = 'Y05868';
/**
 * EPS: the demo GP (R8000 at A83008, which may prescribe and dispense) prescribes, signing as the
 * examples' prescriber (demo mode registers the demo signing certificate for them), and dispenses
 * at the same practice, as a dispensing practice does.
 */
export const EPS_PRACTICE = 'A83008';
const EPS_ROLE = '555000000101';
export type EpsTransition = 'created' | 'released' | 'dispensed' | 'claimed';

export interface Target {
  url: string;
  appBearer: string;
  userBearer: string;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** What the load client was told: every 2xx, and what may or may not have landed (no answer, 5xx). */
export class Ledger {
  meshSent = new Map<string, string>(); // message id → body
  meshUnanswered = 0;
  meshAcked = new Set<string>();
  meshAckUnanswered = new Set<string>();
  pdsCreated = new Map<string, { family: string; requestId: string }>(); // NHS number →
  pdsCreateUnanswered = new Set<string>(); // families
  pdsPatched = new Map<string, Array<{ version: number; gender: string; requestId: string }>>();
  pdsPatchTried = new Map<string, number>();
  nrlCreated = new Map<string, { url: string; requestId: string }>(); // pointer id →
  nrlUnanswered = new Set<string>(); // attachment urls
  epsTransitions = new Map<string, { shortFormId: string; event: EpsTransition }>(); // X-Request-ID →
  epsUnanswered = new Map<string, { shortFormId: string; event: EpsTransition }>();
  /** Requests that got no answer or a 5xx: the faults were felt. */
  failed = 0;
  /** Creates acknowledged only on a retry with the same X-Request-ID. */
  createsAfterRetry = 0;

  summary(): string {
    const patches = [...this.pdsPatched.values()].reduce((n, p) => n + p.length, 0);
    return `MESH ${this.meshSent.size} sent, ${this.meshAcked.size} acknowledged; PDS ${this.pdsCreated.size} created `
      + `(${this.createsAfterRetry} on a retry), ${patches} patched; NRL ${this.nrlCreated.size} created; EPS ${this.epsTransitions.size} transitions; `
      + `${this.failed} requests failed meanwhile`;
  }

  acknowledged(): number {
    return this.meshSent.size + this.meshAcked.size + this.pdsCreated.size
      + [...this.pdsPatched.values()].reduce((n, p) => n + p.length, 0) + this.nrlCreated.size + this.epsTransitions.size;
  }
}

/** Calls the Spine under test wherever it listens now, with the load's credentials. */
export class CrashClient {
  /** What every call got that was not a 2xx: `METHOD status` or `METHOD error message`, counted. */
  readonly unsuccessful = new Map<string, number>();

  constructor(readonly target: () => Target) {}

  async call(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
    const method = init.method ?? 'GET';
    const note = (what: string) => this.unsuccessful.set(what, (this.unsuccessful.get(what) ?? 0) + 1);
    try {
      const response = await fetch(`${this.target().url}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
      const answer = { status: response.status, headers: response.headers, text: await response.text() };
      if (answer.status >= 300) note(`${method} ${answer.status} ${/"(?:code|errorCode)":\s*"([A-Za-z_0-9]+)"/.exec(answer.text)?.[1] ?? answer.text.slice(0, 60)}`.trim());
      return answer;
    } catch (err) {
      note(`${method} ${(err as Error).message}`);
      throw err;
    }
  }

  /**
   * A call once the Spine has settled after a fault: a 503 (the breaker still open, or shedding
   * while the machine catches up) is tried again, as its Retry-After invites, for up to a minute.
   */
  async settledCall(path: string, init: { method?: string; headers?: () => Record<string, string> } = {}): Promise<Answer> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answer = await this.call(path, { method: init.method, headers: init.headers?.() });
      if (answer.status !== 503 || Date.now() > deadline) return answer;
      await sleep(250);
    }
  }

  meshCall(mailbox: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
    return this.call(`/messageexchange/${mailbox}${path}`, { ...init, headers: { authorization: meshAuthorization(mailbox), accept: V2, ...init.headers } });
  }

  pdsCall(path: string, requestId: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
    return this.call(`${PDS}/${path}`, {
      method: init.method,
      headers: { authorization: `Bearer ${this.target().userBearer}`, 'x-request-id': requestId, ...(init.body ? { 'content-type': 'application/fhir+json' } : {}), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  }

  /** Every message id in MB2's inbox, page by page. */
  async inbox(): Promise<string[]> {
    const seen: string[] = [];
    let path = '/inbox?max_results=100';
    for (;;) {
      const page = await this.settledCall(`/messageexchange/${MB2}${path}`, { headers: () => ({ authorization: meshAuthorization(MB2), accept: V2 }) });
      assert.equal(page.status, 200, page.text);
      const body = JSON.parse(page.text) as { messages: string[]; links?: { next?: string } };
      seen.push(...body.messages);
      if (!body.links?.next) return seen;
      path = body.links.next.replace(`/messageexchange/${MB2}`, '');
    }
  }
}

/** The load: one loop per kind of write, each until stopped; a failure without an answer waits a little. */
export function startLoad(client: CrashClient, ledger: Ledger, tag: string) {
  let running = true;
  let lastError = '';
  const pause = () => {
    ledger.failed += 1;
    return sleep(100);
  };
  const meshSender = async () => {
    for (let i = 0; running; i++) {
      const body = `crash-${tag}-${i}-${randomUUID()}`;
      try {
        const answer = await client.meshCall(MB1, '/outbox', {
          method: 'POST', body,
          headers: { 'content-type': 'application/octet-stream', 'mex-to': MB2, 'mex-workflowid': workflowFor(MB1, MB2) },
        });
        if (answer.status === 202) ledger.meshSent.set((JSON.parse(answer.text) as { message_id: string }).message_id, body);
        else { ledger.meshUnanswered += 1; await pause(); }
      } catch {
        ledger.meshUnanswered += 1;
        await pause();
      }
    }
  };
  // Acknowledges every other message it was told was accepted; the rest must stay in the inbox.
  let ackTurn = 0;
  const meshAcker = async () => {
    while (running) {
      try {
        const waiting = (await client.inbox()).filter((id) => ledger.meshSent.has(id) && !ledger.meshAcked.has(id));
        for (const id of waiting.filter(() => (ackTurn++ % 2) === 0)) {
          if (!running) break;
          ledger.meshAckUnanswered.add(id);
          const answer = await client.meshCall(MB2, `/inbox/${id}/status/acknowledged`, { method: 'PUT' });
          if (answer.status === 200) {
            ledger.meshAckUnanswered.delete(id);
            ledger.meshAcked.add(id);
          }
        }
      } catch {
        // the server is down: try again
      }
      await sleep(150);
    }
  };
  const pdsWorker = async (n: number) => {
    const mine: string[] = [];
    for (let i = 0; running; i++) {
      try {
        if (i % 2 === 0 || mine.length === 0) await create(`Crash${tag}w${n}x${i}`.replace(/[^A-Za-z]/g, (d) => 'abcdefghij'[Number(d)] ?? 'q'), mine);
        else await patch(mine[i % mine.length]!);
      } catch (err) {
        lastError = (err as Error).message;
        await pause();
      }
    }
  };
  // A client retries a create that got no answer with the same X-Request-ID: it must land once.
  const create = async (family: string, mine: string[]) => {
    const requestId = randomUUID();
    const person = {
      resourceType: 'Patient', gender: 'female', birthDate: `19${String(10 + Math.floor(Math.random() * 80))}-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 10)}`, extension: [REGISTERING_AUTHORITY],
      name: [{ use: 'usual', family, given: ['Rhian'] }], address: [{ use: 'home', line: ['3 Quay Street'], postalCode: 'CF10 1EU' }],
    };
    ledger.pdsCreateUnanswered.add(family);
    for (let attempt = 0; attempt < 30 && running; attempt++) {
      const answer = await client.pdsCall('Patient', requestId, { method: 'POST', body: person }).catch(() => undefined);
      if (answer?.status === 201) {
        const id = (JSON.parse(answer.text) as { id: string }).id;
        ledger.pdsCreateUnanswered.delete(family);
        ledger.pdsCreated.set(id, { family, requestId });
        if (attempt > 0) ledger.createsAfterRetry += 1;
        mine.push(id);
        return;
      }
      if (answer && answer.status < 500) throw new Error(`create answered ${answer.status}: ${answer.text}`);
      await pause();
    }
  };
  const patch = async (id: string) => {
    const read = await client.pdsCall(`Patient/${id}`, randomUUID());
    if (read.status !== 200) return pause();
    const version = Number(/W\/"(\d+)"/.exec(read.headers.get('etag') ?? '')?.[1]);
    // PDS refuses (400 INVALID_UPDATE) a change of gender to 'other', so the load never asks for one.
    const current = (JSON.parse(read.text) as { gender?: string }).gender;
    const genders = ['male', 'female', 'unknown'].filter((g) => g !== current);
    const gender = genders[Math.floor(Math.random() * genders.length)]!;
    const requestId = randomUUID();
    ledger.pdsPatchTried.set(id, (ledger.pdsPatchTried.get(id) ?? 0) + 1);
    const answer = await client.pdsCall(`Patient/${id}`, requestId, {
      method: 'PATCH', headers: { 'content-type': 'application/json-patch+json', 'if-match': `W/"${version}"` },
      body: { patches: [{ op: 'replace', path: '/gender', value: gender }] },
    });
    if (answer.status !== 200) return pause();
    const patched = Number(/W\/"(\d+)"/.exec(answer.headers.get('etag') ?? '')?.[1]);
    assert.equal(patched, version + 1, `PATCH of version ${version} answered ETag ${answer.headers.get('etag')}`);
    const list = ledger.pdsPatched.get(id) ?? [];
    list.push({ version: patched, gender, requestId });
    ledger.pdsPatched.set(id, list);
  };
  const nrlWorker = async () => {
    while (running) {
      const body = pointerBody(NRL_ORG, nextNhsNumber());
      const url = body.content[0]!.attachment.url;
      const requestId = randomUUID();
      ledger.nrlUnanswered.add(url);
      try {
        const answer = await client.call('/record-locator/producer/FHIR/R4/DocumentReference', {
          method: 'POST', body: JSON.stringify(body),
          headers: { authorization: `Bearer ${client.target().appBearer}`, 'nhsd-end-user-organisation-ods': NRL_ORG, 'x-request-id': requestId, 'content-type': 'application/fhir+json' },
        });
        if (answer.status === 201) {
          ledger.nrlUnanswered.delete(url);
          ledger.nrlCreated.set(answer.headers.get('location')!.split('/').at(-1)!, { url, requestId });
        } else {
          if (answer.status < 500) lastError = `NRL create answered ${answer.status}: ${answer.text}`;
          await pause();
        }
      } catch (err) {
        lastError = (err as Error).message;
        await pause();
      }
    }
  };
  // EPS: a prescription from order to claim, each transition retried with its X-Request-ID until answered (it must land once).
  const eps = new EpsCycle({ prescriber: EPS_PRACTICE, pharmacy: EPS_PRACTICE });
  const epsHeaders = (requestId: string) => ({
    authorization: `Bearer ${client.target().userBearer}`, 'nhsd-session-urid': EPS_ROLE, 'x-request-id': requestId, 'content-type': 'application/fhir+json',
  });
  const epsTransition = async (shortFormId: string, event: EpsTransition, path: string, body: unknown): Promise<boolean> => {
    const requestId = randomUUID();
    ledger.epsUnanswered.set(requestId, { shortFormId, event });
    for (let attempt = 0; attempt < 30 && running; attempt++) {
      const answer = await client.call(path, { method: 'POST', headers: epsHeaders(requestId), body: JSON.stringify(body) }).catch(() => undefined);
      if (answer?.status === 200) {
        ledger.epsUnanswered.delete(requestId);
        ledger.epsTransitions.set(requestId, { shortFormId, event });
        return true;
      }
      if (answer && answer.status < 500) throw new Error(`EPS ${event} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
      await pause();
    }
    return false;
  };
  const epsWorker = async () => {
    while (running) {
      const nhsNumber = freshNhsNumber();
      const { order, shortFormId } = eps.newOrder(nhsNumber);
      try {
        const prepared = await client.call(`${PRESCRIBING}/$prepare`, { method: 'POST', headers: epsHeaders(randomUUID()), body: JSON.stringify(order) });
        if (prepared.status !== 200) {
          if (prepared.status < 500) lastError = `EPS $prepare answered ${prepared.status}: ${prepared.text.slice(0, 300)}`;
          await pause();
          continue;
        }
        const steps: Array<[EpsTransition, string, unknown]> = [
          ['created', `${PRESCRIBING}/$process-message`, eps.signedOrder(order, JSON.parse(prepared.text) as Record<string, unknown>)],
          ['released', `${DISPENSING}/Task/$release`, eps.releaseBody(shortFormId)],
          ['dispensed', `${DISPENSING}/$process-message`, eps.dispenseBody(shortFormId, nhsNumber)],
          ['claimed', `${DISPENSING}/Claim`, eps.claimBody(shortFormId, nhsNumber)],
        ];
        for (const [event, path, body] of steps) if (!running || !(await epsTransition(shortFormId, event, path, body))) break;
      } catch (err) {
        lastError = (err as Error).message;
        await pause();
      }
    }
  };
  const workers = [meshSender(), meshSender(), meshAcker(), pdsWorker(1), pdsWorker(2), nrlWorker(), epsWorker()];
  return {
    /** Resolves once `count` more writes are acknowledged (fails if the load stalls). */
    async progress(count: number) {
      const target = ledger.acknowledged() + count;
      const deadline = Date.now() + 60_000;
      while (ledger.acknowledged() < target) {
        assert.ok(Date.now() < deadline, `the load stalled at ${ledger.acknowledged()} acknowledged writes; last error: ${lastError}`);
        await sleep(50);
      }
      await sleep(Math.random() * 300);
    },
    /** Goes on until `done()` (every kind of write acknowledged at least once, on a slow machine too). */
    async until(what: string, done: () => boolean) {
      const deadline = Date.now() + 60_000;
      while (!done()) {
        assert.ok(Date.now() < deadline, `the load stalled before ${what}; last error: ${lastError}`);
        await sleep(50);
      }
    },
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}
