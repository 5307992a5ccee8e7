/**
 * The mixed Spine workload's load client, a process of its own (`node --import tsx
 * bench/support/mixed-client.ts`), so its CPU is measured apart from the server's and the bench's.
 * It speaks JSON lines: the first line on stdin is its configuration, then each line is a command
 * (`prepare`, `run`, `exit`), answered by one line on stdout when done. Between commands it is idle,
 * so the bench can read every process's CPU counters at the edges of a phase.
 *
 * Workers are closed loops, one request in flight each, over keep-alive connections. Each picks its
 * next operation by weight; a MESH cycle is four requests (send, list, download, acknowledge) by one
 * worker on its own sender and recipient mailboxes. Every request's latency is kept by type.
 */
import { Agent } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { populationBatches } from '../../src/services/demographics/population/population.js';
import { SyntheticNhsNumbers } from '../../src/services/demographics/population/nhs-numbers.js';
import { buildMeshAuthorization } from '../../src/services/messaging/auth/nhsmesh-header.js';
import type { Patient } from '../../src/services/demographics/fhir-types.js';
import { syntheticPointer } from '../../src/services/record-locator/synthetic.js';
import { BenchTokens, type BenchIdentity } from './bench-identity.js';
import { httpCall, type Reply } from './http-call.js';
import { DISPENSING, EpsCycle, PRESCRIBING } from '../../test/prescriptions/cycle.js';

export const REQUEST_TYPES = ['pds_read', 'pds_search_exact', 'pds_search_fuzzy', 'pds_update', 'mesh_send', 'mesh_list', 'mesh_download', 'mesh_ack', 'nrl_search', 'nrl_create',
  'eps_prepare', 'eps_order', 'eps_release', 'eps_dispense', 'eps_claim'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
/** What a worker can do in one step: one request, the four of a MESH cycle, or the five of an EPS prescription's cycle. */
export type Operation = RequestType | 'mesh_cycle' | 'eps_cycle';

export interface ClientConfig {
  /** The Spine's processes: calls go to each in turn. */
  urls: string[];
  /** The bench's application, issuer and clinician: the client gets (and renews) its own tokens. */
  identity: BenchIdentity;
  patients: number;
  seed: number;
  workers: number;
  mesh: { sharedKey: string; password: string; workflowId: string; senders: string[]; recipients: string[] };
}

export type Command =
  | { cmd: 'prepare'; updatePatients: number }
  /** `rate`: requests per second across all workers (open loop, each worker paced); absent: as fast as they go. */
  | { cmd: 'run'; name: string; seconds: number; mix: Partial<Record<Operation, number>>; rate?: number }
  | { cmd: 'exit' };

export interface TypeFigures { count: number; errors: number; statusCounts: Record<string, number>; p50: number; p95: number; p99: number }
export interface PhaseResult {
  name: string;
  seconds: number;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  byType: Partial<Record<RequestType, TypeFigures>>;
  firstErrors: string[];
  /** EPS prescriptions taken through their whole cycle (prepare to claim). */
  prescriptions: number;
}

const PDS = '/personal-demographics/FHIR/R4/Patient';
const NRL_CONSUMER = '/record-locator/consumer/FHIR/R4/DocumentReference';
const NRL_PRODUCER = '/record-locator/producer/FHIR/R4/DocumentReference';
/** What a bench producer publishes: a mental health crisis plan (SNOMED 736253002). */
const NRL_TYPE = 'http://snomed.info/sct|736253002';
const V2 = 'application/vnd.mesh.v2+json';
const SAMPLE = 20_000;
const PAYLOAD = Buffer.alloc(1024, 'm');

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

class Client {
  private readonly agent: Agent;
  private readonly everyone: string[];
  private readonly searchable: Patient[];
  private readonly updatable: Patient[];
  /** Per worker: the update patients it owns (so no two workers race on one version) and their versions. */
  private readonly owned: Array<Array<{ id: string; version: number }>> = [];
  private readonly toDownload: string[][];
  private readonly toAcknowledge: string[][];
  readonly tokens: BenchTokens;
  private pointers = 0;
  private readonly eps: EpsCycle;

  constructor(private readonly config: ClientConfig) {
    this.tokens = new BenchTokens(config.identity);
    this.eps = new EpsCycle({ prescriber: config.identity.clinician.odsCode, pharmacy: config.identity.pharmacy.odsCode });
    this.agent = new Agent({ keepAlive: true, maxSockets: config.workers * 2 });
    const numbers = new SyntheticNhsNumbers();
    this.everyone = Array.from({ length: config.patients }, () => numbers.next());
    const sample: Patient[] = [];
    for (const batch of populationBatches({ patients: Math.min(config.patients, SAMPLE), seed: config.seed })) {
      const invalidated = new Set(batch.invalidated);
      sample.push(...batch.patients.filter((p) => !invalidated.has(p.id)));
    }
    // Searches and updates use disjoint patients, so an update never changes what a search expects.
    const half = Math.floor(sample.length / 2);
    this.searchable = sample.slice(0, half);
    this.updatable = sample.slice(half);
    this.toDownload = Array.from({ length: config.workers }, () => []);
    this.toAcknowledge = Array.from({ length: config.workers }, () => []);
  }

  private calls = 0;

  /** One request, to the Spine's processes in turn; `drain`: see httpCall. */
  private call(method: string, path: string, headers: Record<string, string>, body?: Buffer | string, drain?: number): Promise<Reply> {
    const { urls } = this.config;
    return httpCall(this.agent, `${urls[this.calls++ % urls.length]}${path}`, method, headers, body, drain);
  }

  /** As a clinician (user-restricted): PDS, and NRL consumers. */
  private pds(method: string, path: string, extra: Record<string, string> = {}, body?: string) {
    this.tokens.keepFresh();
    return this.call(method, path, { authorization: `Bearer ${this.tokens.clinician}`, 'x-request-id': randomUUID(), ...extra }, body);
  }

  /** As the application itself (application-restricted): an NRL producer is a provider's system. */
  private system(method: string, path: string, extra: Record<string, string> = {}, body?: string) {
    this.tokens.keepFresh();
    return this.call(method, path, { authorization: `Bearer ${this.tokens.app}`, 'x-request-id': randomUUID(), ...extra }, body);
  }

  /**
   * As the clinician prescribing (user-restricted: EPS wants the selected role in NHSD-Session-URID).
   * `json`: the body as JSON text (EpsCycle's `…Json` builders); `drain`: see httpCall.
   */
  private prescriber(path: string, json: string, drain?: number) {
    this.tokens.keepFresh();
    return this.call('POST', `${PRESCRIBING}${path}`, {
      authorization: `Bearer ${this.tokens.clinician}`, 'x-request-id': randomUUID(), 'nhsd-session-urid': this.config.identity.clinician.roleProfileId,
      'content-type': 'application/fhir+json',
    }, json, drain);
  }

  /** As the pharmacist (user-restricted, as EPS wants every dispensing call but a nominated download). */
  private dispenser(path: string, json: string, drain?: number) {
    this.tokens.keepFresh();
    return this.call('POST', `${DISPENSING}${path}`, {
      authorization: `Bearer ${this.tokens.pharmacy}`, 'x-request-id': randomUUID(), 'nhsd-session-urid': this.config.identity.pharmacist.roleProfileId,
      'content-type': 'application/fhir+json',
    }, json, drain);
  }

  private anyone(): string {
    return this.everyone[Math.floor(Math.random() * this.everyone.length)]!;
  }

  private mesh(method: string, path: string, mailbox: string, extra: Record<string, string> = {}, body?: Buffer) {
    const { sharedKey, password } = this.config.mesh;
    const authorization = buildMeshAuthorization({ mailboxId: mailbox, password, sharedKey, nonce: randomUUID(), at: new Date() });
    return this.call(method, `/messageexchange${path}`, { authorization, accept: V2, ...extra }, body);
  }

  /** Reads the update patients once for their versions, and shares them out among the workers. */
  async prepare(count: number): Promise<{ prepared: number; skipped: number }> {
    const chosen = this.updatable.slice(0, count);
    for (let w = 0; w < this.config.workers; w++) this.owned[w] = [];
    let skipped = 0;
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(16, this.config.workers) }, async () => {
      while (next < chosen.length) {
        const i = next++;
        const patient = chosen[i]!;
        const reply = await this.pds('GET', `${PDS}/${patient.id}`);
        const etag = /W\/"(\d+)"/.exec(String(reply.headers.etag ?? ''));
        const served = reply.status === 200 ? (JSON.parse(reply.body.toString()) as { id?: string }).id : undefined;
        // A superseded number answers its survivor: not one to PATCH by the old number.
        if (!etag || served !== patient.id) {
          skipped += 1;
          continue;
        }
        this.owned[i % this.config.workers]!.push({ id: patient.id, version: Number(etag[1]) });
      }
    }));
    return { prepared: chosen.length - skipped, skipped };
  }

  private searchPath(mode: 'exact' | 'fuzzy'): string {
    const p = this.searchable[Math.floor(Math.random() * this.searchable.length)]!;
    const name = p.name!.find((n) => n.use === 'usual') ?? p.name![0]!;
    const query = new URLSearchParams({ family: name.family!, given: name.given![0]!, birthdate: `eq${p.birthDate}`, gender: p.gender! });
    query.set(mode === 'exact' ? '_exact-match' : '_fuzzy-match', 'true');
    return `${PDS}?${query.toString()}`;
  }

  async run(command: Extract<Command, { cmd: 'run' }>): Promise<PhaseResult> {
    const latencies = new Map<RequestType, number[]>(REQUEST_TYPES.map((t) => [t, []]));
    const statuses = new Map<RequestType, Record<string, number>>(REQUEST_TYPES.map((t) => [t, {}]));
    const errors = new Map<RequestType, number>(REQUEST_TYPES.map((t) => [t, 0]));
    const firstErrors: string[] = [];
    /** EPS cycles completed (every step answered as expected, up to the claim). */
    let prescriptions = 0;
    const ops = Object.entries(command.mix).filter(([, w]) => (w ?? 0) > 0) as Array<[Operation, number]>;
    const totalWeight = ops.reduce((sum, [, w]) => sum + w, 0);
    const pick = (): Operation => {
      let r = Math.random() * totalWeight;
      for (const [op, w] of ops) {
        r -= w;
        if (r < 0) return op;
      }
      return ops[ops.length - 1]![0];
    };
    /** One timed request; false when it failed (wrong status or a socket error). */
    const timed = async (type: RequestType, expect: number[], work: () => Promise<Reply>): Promise<Reply | undefined> => {
      const started = performance.now();
      let reply: Reply | undefined;
      let problem: string | undefined;
      try {
        reply = await work();
        if (!expect.includes(reply.status)) problem = `${type}: ${reply.status} ${reply.body.toString().slice(0, 200)}`;
      } catch (err) {
        problem = `${type}: ${(err as Error).message}`;
      }
      latencies.get(type)!.push(performance.now() - started);
      const counts = statuses.get(type)!;
      const key = String(reply?.status ?? 'socket error');
      counts[key] = (counts[key] ?? 0) + 1;
      if (problem !== undefined) {
        errors.set(type, errors.get(type)! + 1);
        if (firstErrors.length < 5) firstErrors.push(problem);
        return undefined;
      }
      return reply;
    };
    const { senders, recipients, workflowId } = this.config.mesh;

    const step = async (worker: number, op: Operation): Promise<boolean> => {
      const sender = senders[worker]!;
      const recipient = recipients[worker]!;
      const send = async () => {
        const sent = await timed('mesh_send', [202], () => this.mesh('POST', `/${sender}/outbox`, sender,
          { 'content-type': 'application/octet-stream', 'mex-to': recipient, 'mex-workflowid': workflowId, 'mex-localid': randomUUID() }, PAYLOAD));
        return sent ? (JSON.parse(sent.body.toString()) as { message_id: string }).message_id : undefined;
      };
      const list = () => timed('mesh_list', [200], () => this.mesh('GET', `/${recipient}/inbox?max_results=10`, recipient));
      const download = (id: string) => timed('mesh_download', [200], () => this.mesh('GET', `/${recipient}/inbox/${id}`, recipient));
      const acknowledge = (id: string) => timed('mesh_ack', [200], () => this.mesh('PUT', `/${recipient}/inbox/${id}/status/acknowledged`, recipient));
      switch (op) {
        case 'pds_read':
          await timed('pds_read', [200, 404], () => this.pds('GET', `${PDS}/${this.anyone()}`));
          return true;
        case 'nrl_search':
          await timed('nrl_search', [200], () => this.pds('GET', `${NRL_CONSUMER}?subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${this.anyone()}`)}`));
          return true;
        case 'nrl_create': {
          const pointer = syntheticPointer(this.anyone(), ++this.pointers, this.config.identity.clinician.odsCode, NRL_TYPE, new Date().toISOString());
          delete pointer.id;
          await timed('nrl_create', [201], () => this.system('POST', NRL_PRODUCER, { 'content-type': 'application/fhir+json' }, JSON.stringify(pointer)));
          return true;
        }
        case 'pds_search_exact':
          await timed('pds_search_exact', [200], () => this.pds('GET', this.searchPath('exact')));
          return true;
        case 'pds_search_fuzzy':
          await timed('pds_search_fuzzy', [200], () => this.pds('GET', this.searchPath('fuzzy')));
          return true;
        case 'pds_update': {
          const mine = this.owned[worker] ?? [];
          if (mine.length === 0) return false;
          const target = mine[Math.floor(Math.random() * mine.length)]!;
          const birthDate = `19${50 + Math.floor(Math.random() * 50)}-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 9)}`;
          const reply = await timed('pds_update', [200], () => this.pds('PATCH', `${PDS}/${target.id}`,
            { 'content-type': 'application/json-patch+json', 'if-match': `W/"${target.version}"` },
            JSON.stringify({ patches: [{ op: 'replace', path: '/birthDate', value: birthDate }] })));
          const etag = /W\/"(\d+)"/.exec(String(reply?.headers.etag ?? ''));
          if (etag) target.version = Number(etag[1]);
          return true;
        }
        case 'eps_cycle': {
          // One prescription from the prescriber's $prepare to the pharmacy's claim; a failed step ends the cycle.
          // Only $prepare's answer is read (its SignedInfo and timestamp); the others' 200s are drained.
          const nhsNumber = this.anyone();
          const { json, order } = this.eps.newOrderJson(nhsNumber);
          const { shortFormId } = order;
          const prepared = await timed('eps_prepare', [200], () => this.prescriber('/$prepare', json));
          if (!prepared) return true;
          const signed = this.eps.signedOrderJson(order, JSON.parse(prepared.body.toString()) as Record<string, unknown>);
          if (!await timed('eps_order', [200], () => this.prescriber('/$process-message', signed, 200))) return true;
          if (!await timed('eps_release', [200], () => this.dispenser('/Task/$release', this.eps.releaseJson(shortFormId), 200))) return true;
          if (!await timed('eps_dispense', [200], () => this.dispenser('/$process-message', this.eps.dispenseJson(shortFormId, nhsNumber), 200))) return true;
          if (await timed('eps_claim', [200], () => this.dispenser('/Claim', this.eps.claimJson(shortFormId, nhsNumber), 200))) prescriptions += 1;
          return true;
        }
        // An EPS call needs the ones before it in its prescription's cycle: only ever run as 'eps_cycle'.
        case 'eps_prepare': case 'eps_order': case 'eps_release': case 'eps_dispense': case 'eps_claim':
          return false;
        case 'mesh_cycle': {
          const id = await send();
          if (!id) return true;
          await list();
          if (await download(id)) await acknowledge(id);
          return true;
        }
        case 'mesh_send': {
          const id = await send();
          if (id) this.toDownload[worker]!.push(id);
          return true;
        }
        case 'mesh_list':
          await list();
          return true;
        case 'mesh_download': {
          const id = this.toDownload[worker]!.shift();
          if (id === undefined) return false;
          if (await download(id)) this.toAcknowledge[worker]!.push(id);
          return true;
        }
        case 'mesh_ack': {
          const id = this.toAcknowledge[worker]!.shift();
          if (id === undefined) return false;
          await acknowledge(id);
          return true;
        }
      }
    };

    const started = performance.now();
    const deadline = started + command.seconds * 1000;
    // At a set rate each worker starts an operation every `interval` ms (a MESH cycle counts as its
    // four requests), skipping ahead rather than bursting when it has fallen behind.
    const workers = this.config.workers;
    const interval = command.rate ? (workers * 1000) / command.rate : 0;
    const perOperation = (op: Operation) => (op === 'mesh_cycle' ? 4 : op === 'eps_cycle' ? 5 : 1);
    await Promise.all(Array.from({ length: workers }, async (_, worker) => {
      let due = started + (interval * worker) / workers;
      // A worker whose work runs out (nothing left to download or acknowledge) stops early.
      for (;;) {
        if (interval > 0) {
          const now = performance.now();
          if (due > now) await new Promise((resolve) => setTimeout(resolve, due - now));
        }
        if (performance.now() >= deadline) break;
        const op = pick();
        if (!(await step(worker, op))) break;
        due = Math.max(due + interval * perOperation(op), performance.now() - interval);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const byType: Partial<Record<RequestType, TypeFigures>> = {};
    const all: number[] = [];
    for (const type of REQUEST_TYPES) {
      const values = latencies.get(type)!;
      if (values.length === 0) continue;
      all.push(...values);
      const sorted = Float64Array.from(values).sort();
      byType[type] = {
        count: values.length, errors: errors.get(type)!, statusCounts: statuses.get(type)!,
        p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99),
      };
    }
    const sorted = Float64Array.from(all).sort();
    const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
    return {
      name: command.name, seconds, requests: all.length, errors: errorCount, rps: (all.length - errorCount) / seconds,
      p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), byType, firstErrors, prescriptions,
    };
  }

  close() {
    this.agent.destroy();
  }
}

async function main() {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) return;
  const client = new Client(JSON.parse(first.value) as ClientConfig);
  await client.tokens.refresh();
  const answer = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  answer({ ready: true });
  for (;;) {
    const line = await lines.next();
    if (line.done) break;
    const command = JSON.parse(line.value) as Command;
    if (command.cmd === 'exit') break;
    if (command.cmd === 'prepare') answer(await client.prepare(command.updatePatients));
    else answer(await client.run(command));
  }
  client.close();
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`mixed client: ${(err as Error).stack}\n`);
  process.exit(1);
});
