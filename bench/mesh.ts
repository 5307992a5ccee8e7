/**
 * MESH bench: `node --import tsx bench/mesh.ts [--seconds 10] [--connections 32] [--gigabytes 1] [--cycle-only]`
 * (or `npm run bench -- mesh`). Needs `npm run build` first: the server is `node dist/cli/main.js
 * serve`, a child process, over an embedded PostgreSQL this script starts, so its RSS is its own.
 *
 * 1. Full cycle on 1 KB messages: send → list → download → acknowledge, by closed-loop workers each
 *    with its own sender/recipient pair. Targets: ≥ 1,000 messages/s; p99 per call < 50 ms.
 * 2. A 1 GB message in 20 MB chunks, up and down, with the server's peak RSS. Target: < 300 MB.
 * Ceilings measured in the same run: bare Fastify (autocannon) and bare PostgreSQL inserts.
 */
import { Agent, request } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { directoryApi } from '../src/services/directory/api.js';
import { buildMeshAuthorization } from '../src/services/messaging/auth/nhsmesh-header.js';
import { runLoad } from './support/load.js';
import { startServerProcess, type ServerProcess } from './support/server.js';
import { describeFigures, log, printTable, type BenchLine } from './support/report.js';
import type { BenchOptions } from './options.js';

// A deployment refuses the MESH sandbox's published key: each bench run has its own.
const SHARED_KEY = `bench-${randomUUID()}`;
const PASSWORD = 'bench-password';
const V2 = 'application/vnd.mesh.v2+json';
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/** One MESH call over keep-alive HTTP; `body` may be a function that writes a streamed body. */
function call(url: string, method: string, path: string, mailbox: string, headers: Record<string, string> = {}, body?: Buffer | ((write: (b: Buffer) => Promise<void>) => Promise<void>), discard = false): Promise<Reply> {
  const authorization = buildMeshAuthorization({ mailboxId: mailbox, password: PASSWORD, sharedKey: SHARED_KEY, nonce: randomUUID(), at: new Date() });
  return new Promise((resolvePromise, reject) => {
    const req = request(`${url}/messageexchange${path}`, { method, agent, headers: { authorization, accept: V2, ...headers } }, (res) => {
      const parts: Buffer[] = [];
      let bytes = 0;
      res.on('data', (part: Buffer) => { bytes += part.length; if (!discard) parts.push(part); });
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: discard ? Buffer.from(String(bytes)) : Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (typeof body === 'function') {
      const write = (b: Buffer) => new Promise<void>((ok) => { if (req.write(b)) ok(); else req.once('drain', ok); });
      body(write).then(() => req.end(), reject);
    } else {
      req.end(body);
    }
  });
}

/** CPU seconds (user + system) used so far by a process, from /proc (Linux; clock ticks of 1/100 s). */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // gone
  }
}

/** CPU seconds of PostgreSQL: the postmaster and its children (backends of connections that closed are lost). */
function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  let total = cpuSecondsOf(postmaster);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Closed-loop cycles for `seconds`; every call's latency is kept per step. */
async function fullCycle(url: string, workers: number, seconds: number) {
  const payload = Buffer.alloc(1024, 'm');
  const steps = { send: [] as number[], list: [] as number[], download: [] as number[], ack: [] as number[] };
  let cycles = 0;
  let failures = 0;
  const deadline = Date.now() + seconds * 1000;
  const timed = async (into: number[], work: () => Promise<Reply>, expect: number) => {
    const started = performance.now();
    const reply = await work();
    into.push(performance.now() - started);
    if (reply.status !== expect) throw new Error(`${reply.status} ${reply.body.toString().slice(0, 200)}`);
    return reply;
  };
  await Promise.all(Array.from({ length: workers }, async (_, i) => {
    const sender = `BENCHS${i}`;
    const recipient = `BENCHR${i}`;
    while (Date.now() < deadline) {
      try {
        const sent = await timed(steps.send, () => call(url, 'POST', `/${sender}/outbox`, sender, { 'content-type': 'application/octet-stream', 'mex-to': recipient, 'mex-workflowid': 'BENCH', 'mex-localid': `c${cycles}` }, payload), 202);
        const id = (JSON.parse(sent.body.toString()) as { message_id: string }).message_id;
        const listed = await timed(steps.list, () => call(url, 'GET', `/${recipient}/inbox?max_results=10`, recipient), 200);
        const ids = (JSON.parse(listed.body.toString()) as { messages: string[] }).messages;
        if (!ids.includes(id)) throw new Error(`sent ${id} not in ${recipient}'s inbox`);
        const got = await timed(steps.download, () => call(url, 'GET', `/${recipient}/inbox/${id}`, recipient), 200);
        if (!got.body.equals(payload)) throw new Error('downloaded body differs');
        await timed(steps.ack, () => call(url, 'PUT', `/${recipient}/inbox/${id}/status/acknowledged`, recipient), 200);
        cycles += 1;
      } catch (err) {
        failures += 1;
        if (failures < 5) log(`mesh cycle failed: ${(err as Error).message}`);
      }
    }
  }));
  const all = [...steps.send, ...steps.list, ...steps.download, ...steps.ack];
  return { cycles, perSecond: cycles / seconds, failures, steps, p50: percentile(all, 50), p99: percentile(all, 99) };
}

/** A deterministic byte stream of any length, made from one 1 MB pattern (never the whole message in memory). */
const PATTERN = Buffer.from(Array.from({ length: 1024 * 1024 }, (_, i) => (i * 7 + (i >> 10)) % 256));

async function largeMessage(server: ServerProcess, totalBytes: number, chunkBytes: number) {
  const chunks = Math.ceil(totalBytes / chunkBytes);
  const stopSampling = server.sampleRss(100);
  const upHash = createHash('sha256');
  const started = performance.now();
  let id = '';
  for (let n = 1; n <= chunks; n += 1) {
    const size = Math.min(chunkBytes, totalBytes - (n - 1) * chunkBytes);
    const body = async (write: (b: Buffer) => Promise<void>) => {
      for (let sent = 0; sent < size; sent += PATTERN.length) {
        const piece = PATTERN.subarray(0, Math.min(PATTERN.length, size - sent));
        upHash.update(piece);
        await write(piece);
      }
    };
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(size), 'mex-chunk-range': `${n}:${chunks}` };
    const path = n === 1 ? '/BENCHS0/outbox' : `/BENCHS0/outbox/${id}/${n}`;
    const reply = await call(server.url, 'POST', path, 'BENCHS0', n === 1 ? { ...headers, 'mex-to': 'BENCHR0', 'mex-workflowid': 'BENCH_LARGE' } : headers, body);
    if (reply.status !== 202) throw new Error(`chunk ${n} upload: ${reply.status} ${reply.body.toString()}`);
    if (n === 1) id = (JSON.parse(reply.body.toString()) as { message_id: string }).message_id;
  }
  const uploaded = performance.now();
  const downHash = createHash('sha256');
  for (let n = 1; n <= chunks; n += 1) {
    const path = n === 1 ? `/BENCHR0/inbox/${id}` : `/BENCHR0/inbox/${id}/${n}`;
    const authorization = buildMeshAuthorization({ mailboxId: 'BENCHR0', password: PASSWORD, sharedKey: SHARED_KEY, nonce: randomUUID(), at: new Date() });
    const status = await new Promise<number>((ok, fail) => {
      request(`${server.url}/messageexchange${path}`, { agent, headers: { authorization } }, (res) => {
        res.on('data', (part: Buffer) => downHash.update(part));
        res.on('end', () => ok(res.statusCode ?? 0));
        res.on('error', fail);
      }).on('error', fail).end();
    });
    if (status !== (n < chunks ? 206 : 200)) throw new Error(`chunk ${n} download: ${status}`);
  }
  const downloaded = performance.now();
  const ack = await call(server.url, 'PUT', `/BENCHR0/inbox/${id}/status/acknowledged`, 'BENCHR0');
  if (ack.status !== 200) throw new Error(`ack: ${ack.status}`);
  const { peakMb, startMb, samples } = stopSampling();
  return {
    chunks, peakMb, startMb, samples, intact: upHash.digest('hex') === downHash.digest('hex'),
    upMbPerSecond: totalBytes / 1048576 / ((uploaded - started) / 1000),
    downMbPerSecond: totalBytes / 1048576 / ((downloaded - uploaded) / 1000),
  };
}

async function insertRate(url: string, clients: number, seconds: number): Promise<number> {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query('CREATE TABLE IF NOT EXISTS bench_mesh_inserts (id bigserial PRIMARY KEY, payload text NOT NULL)');
  await setup.end();
  let inserted = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    while (Date.now() < deadline) {
      await client.query('INSERT INTO bench_mesh_inserts (payload) VALUES ($1)', ['x'.repeat(100)]);
      inserted += 1;
    }
    await client.end();
  }));
  return inserted / seconds;
}

export async function bench(options: BenchOptions & { gigabytes?: number; ceiling?: boolean; cycleOnly?: boolean }): Promise<BenchLine[]> {
  mkdirSync(options.benchDir, { recursive: true });
  const dir = mkdtempSync(join(options.benchDir, 'mesh-'));
  const postgres = await startEmbeddedPostgres(dir);
  const lines: BenchLine[] = [];
  try {
    const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 4 });
    // MESH_BENCH_PROFILE=dir: the server writes a V8 CPU profile there when it stops.
    const profile = process.env.MESH_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.MESH_BENCH_PROFILE] : [];
    const server = await startServerProcess({ args: [...profile, 'dist/cli/main.js', 'serve', '--data-dir', join(dir, 'data')], env: { DATABASE_URL: postgres.connectionString, MESH_SHARED_KEY: SHARED_KEY } });
    try {
      const workers = Math.min(options.connections, 64);
      const directory = directoryApi(pool);
      for (let i = 0; i < workers; i += 1) {
        for (const id of [`BENCHS${i}`, `BENCHR${i}`]) await directory.upsertMailbox({ mailboxId: id, mailboxName: id, odsCode: 'X26', orgCode: 'X26', password: PASSWORD, active: true });
      }
      // Outside sandbox mode a send needs a workflow the directory lets sender and recipient use.
      const senders = Array.from({ length: workers }, (_, i) => `BENCHS${i}`);
      const receivers = Array.from({ length: workers }, (_, i) => `BENCHR${i}`);
      for (const workflowId of ['BENCH', 'BENCH_LARGE']) await directory.upsertWorkflow({ workflowId, senders, receivers });
      log(`mesh: full cycle, ${workers} workers, ${options.seconds} s`);
      await fullCycle(server.url, workers, 2); // warm-up: JIT, pools, mailbox cache
      const cpuBefore = { server: cpuSecondsOf(server.pid), postgres: postgresCpuSeconds(dir), bench: process.cpuUsage() };
      const cycle = await fullCycle(server.url, workers, options.seconds);
      const benchCpu = process.cpuUsage(cpuBefore.bench);
      const perMessageMs = (seconds: number) => ((seconds * 1000) / Math.max(1, cycle.cycles)).toFixed(2);
      const cpu = {
        server: cpuSecondsOf(server.pid) - cpuBefore.server,
        postgres: postgresCpuSeconds(dir) - cpuBefore.postgres,
        bench: (benchCpu.user + benchCpu.system) / 1e6,
      };
      const each = (name: keyof typeof cycle.steps) => `${name} p50 ${percentile(cycle.steps[name], 50).toFixed(1)} / p99 ${percentile(cycle.steps[name], 99).toFixed(1)} ms`;
      lines.push(
        { bench: 'mesh', what: `1 KB full cycle (send→list→download→ack), ${workers} workers`, value: `${cycle.perSecond.toFixed(0)} messages/s (${(cycle.perSecond * 4).toFixed(0)} calls/s, ${cycle.failures} failed)`, target: '≥ 1000 msg/s', met: cycle.perSecond >= 1000 },
        { bench: 'mesh', what: 'per-call latency over the cycle', value: `p50 ${cycle.p50.toFixed(1)} ms, p99 ${cycle.p99.toFixed(1)} ms`, target: 'p99 < 50 ms', met: cycle.p99 < 50 },
        { bench: 'mesh', what: 'per step', value: (['send', 'list', 'download', 'ack'] as const).map(each).join('; ') },
        // Two cores are shared by the server, PostgreSQL and this client (and whatever else runs).
        { bench: 'mesh', what: 'CPU per message (4 calls)', value: `server ${perMessageMs(cpu.server)} ms, PostgreSQL ${perMessageMs(cpu.postgres)} ms, bench client ${perMessageMs(cpu.bench)} ms` },
      );
      // --cycle-only: the full cycle and nothing else, so a server profile (MESH_BENCH_PROFILE) is the cycle's.
      if (options.cycleOnly) return lines;
      // The lightest authenticated call, under open-loop load: what one MESH request costs here.
      const lister = 'BENCHR0';
      const listCpuBefore = { server: cpuSecondsOf(server.pid), postgres: postgresCpuSeconds(dir) };
      const list = await runLoad({
        url: server.url, connections: options.connections, seconds: Math.min(options.seconds, 5),
        next: () => ({ path: `/messageexchange/${lister}/inbox?max_results=10`, headers: { accept: V2, authorization: buildMeshAuthorization({ mailboxId: lister, password: PASSWORD, sharedKey: SHARED_KEY, nonce: randomUUID(), at: new Date() }) } }),
      });
      lines.push({ bench: 'mesh', what: 'authenticated inbox list alone (one statement: nonce claim + page)', figures: list });
      const perListMs = (seconds: number) => ((seconds * 1000) / Math.max(1, list.requests)).toFixed(2);
      lines.push({ bench: 'mesh', what: 'CPU per inbox list', value: `server ${perListMs(cpuSecondsOf(server.pid) - listCpuBefore.server)} ms, PostgreSQL ${perListMs(postgresCpuSeconds(dir) - listCpuBefore.postgres)} ms` });
      const gigabytes = options.gigabytes ?? 1;
      log(`mesh: ${gigabytes} GB message in 20 MB chunks`);
      const large = await largeMessage(server, Math.round(gigabytes * 1024 * 1024 * 1024), 20 * 1024 * 1024);
      lines.push({
        bench: 'mesh', what: `${gigabytes} GB in ${large.chunks} × 20 MB chunks, up and down`,
        value: `server peak RSS ${large.peakMb.toFixed(0)} MB (${large.startMb.toFixed(0)} MB as it began; ${large.samples} samples); up ${large.upMbPerSecond.toFixed(0)} MB/s, down ${large.downMbPerSecond.toFixed(0)} MB/s; ${large.intact ? 'bytes intact' : 'BYTES DIFFER'}`,
        target: 'RSS < 300 MB', met: large.peakMb < 300 && large.intact,
      });
    } finally {
      await server.stop();
      await pool.end();
    }
    if (options.ceiling && !options.cycleOnly) {
      log('mesh: ceilings (bare Fastify, bare inserts)');
      const bare = await startServerProcess({ args: ['--import', 'tsx', 'bench/support/ceiling-server.ts'], env: { BENCH_DATABASE_URL: postgres.connectionString } });
      try {
        const hello = await runLoad({ url: bare.url, connections: options.connections, seconds: Math.min(options.seconds, 5), next: () => ({ path: '/hello' }) });
        lines.unshift({ bench: 'ceiling', what: 'bare Fastify hello', value: describeFigures(hello) });
      } finally {
        await bare.stop();
      }
      const inserts = await insertRate(postgres.connectionString, 20, Math.min(options.seconds, 5));
      lines.splice(1, 0, { bench: 'ceiling', what: 'bare PostgreSQL single-row insert, 20 clients', value: `${inserts.toFixed(0)} rows/s` });
    }
  } finally {
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const flag = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  bench({
    seconds: flag('seconds', 10), connections: flag('connections', 32), gigabytes: flag('gigabytes', 1), ceiling: true, cycleOnly: argv.includes('--cycle-only'),
    benchDir: resolve('.bench'), patients: 0, pdsDataDir: '', spineProcesses: 1,
  }).then((lines) => {
    printTable(lines);
    agent.destroy();
  }, (err) => {
    process.stderr.write(`mesh bench: ${(err as Error).stack}\n`);
    process.exit(1);
  });
}
