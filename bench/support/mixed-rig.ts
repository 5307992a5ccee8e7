/**
 * What the mixed workload and the soak run on: the compiled server with production settings (no
 * demo data, no demo issuer, a MESH shared key of this run's own) over the embedded PostgreSQL of
 * the seeded PDS store, the bench's MESH mailboxes and workflow, its identities (support/bench-identity.ts)
 * and the load client in a process of its own (support/mixed-client.ts), driven over JSON lines.
 */
import { randomUUID } from 'node:crypto';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded.js';
import { directoryApi } from '../../src/services/directory/api.js';
import type { BenchOptions } from '../options.js';
import { createBenchAdmin, registerBenchIdentity } from './bench-identity.js';
import { BENCH_PRESCRIBER, benchPrescriberCertificate } from '../../test/prescriptions/cycle.js';
import { startServerProcess, type ServerProcess } from './server.js';
import { spineNodeArgs } from './platform.js';
import { cpuSecondsOf, machineCpuSeconds, postgresCpuSeconds, postmasterPid } from './cpu.js';
import { resetStatementStats, statementsFile, withStatementStats, withoutStatementStats, writeStatementStats } from './pg-statements.js';
import type { ClientConfig, Command, PhaseResult } from './mixed-client.js';

export const SEED = 1;
const PASSWORD = 'bench-mixed-password';
const WORKFLOW = 'BENCH_MIXED';

export interface Cpu { server: number; postgres: number; client: number; machineBusy: number; machineTotal: number }
export type CpuMs = { server: number; postgres: number; client: number };

/** The load client, a child process answering one JSON line per command. */
export class LoadClient {
  private readonly lines: AsyncIterator<string>;
  private constructor(readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }

  static async start(config: ClientConfig): Promise<LoadClient> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/mixed-client.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const client = new LoadClient(child);
    child.stdin!.write(`${JSON.stringify(config)}\n`);
    await client.answer();
    return client;
  }

  private async answer<T>(): Promise<T> {
    const line = await this.lines.next();
    if (line.done) throw new Error(`load client exited (code ${this.child.exitCode})`);
    return JSON.parse(line.value) as T;
  }

  async send<T>(command: Command): Promise<T> {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    return this.answer<T>();
  }

  async stop() {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end(`${JSON.stringify({ cmd: 'exit' })}\n`);
    await exited;
  }
}

export interface MixedRig {
  /** The Spine's processes (`--spine-processes`), on the one database; `Cpu.server` is theirs together. */
  servers: ServerProcess[];
  client: LoadClient;
  postmaster: number;
  workers: number;
  cpuNow(): Cpu;
  /** A phase with what it cost: CPU ms per request of each process, how busy the whole machine was, peak RSS (the servers' summed). */
  measured(command: Extract<Command, { cmd: 'run' }>): Promise<{ result: PhaseResult; cpuMs: CpuMs; machineBusy: number; rssMb: number }>;
}

/**
 * Runs `work` on a started rig and stops everything after, whatever happens. The store must be
 * seeded already (pds.ts's ensureSeeded); the caller holds its lock.
 */
export async function withMixedRig<T>(options: BenchOptions, work: (rig: MixedRig) => Promise<T>): Promise<T> {
  const dataDir = options.pdsDataDir;
  let postgres = await startEmbeddedPostgres(dataDir);
  postgres = statementsFile ? await withStatementStats(postgres, dataDir) : await withoutStatementStats(postgres, dataDir);
  // A deployment refuses the MESH sandbox's published key: each run has its own.
  const sharedKey = `bench-${randomUUID()}`;
  const workers = Math.min(options.connections, 64);
  const senders = Array.from({ length: workers }, (_, i) => `MIXS${i}`);
  const recipients = Array.from({ length: workers }, (_, i) => `MIXR${i}`);
  try {
    // A store seeded by an earlier version lacks the newer migrations' tables and columns, which the
    // rig writes before the server starts: bring it up to date first, as `openspine migrate` would,
    // contract steps included (no process of an earlier release runs on the bench's store).
    await promisify(execFile)(process.execPath, ['dist/cli/main.js', 'migrate', '--contract'], { env: { ...process.env, DATABASE_URL: postgres.connectionString, LOG_LEVEL: 'warn' } });
    const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 2 });
    let admin;
    try {
      const directory = directoryApi(pool);
      for (const id of [...senders, ...recipients]) {
        await directory.upsertMailbox({ mailboxId: id, mailboxName: `Bench ${id}`, odsCode: 'X26', orgCode: 'X26', password: PASSWORD, active: true });
      }
      await directory.upsertWorkflow({ workflowId: WORKFLOW, senders, receivers: recipients });
      admin = await createBenchAdmin(pool);
    } finally {
      await pool.end();
    }
    // MIXED_BENCH_PROFILE=dir: each server writes a V8 CPU profile there when it stops.
    const profile = process.env.MIXED_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.MIXED_BENCH_PROFILE] : [];
    const servers: ServerProcess[] = [];
    let client: LoadClient | undefined;
    try {
      // One after another: the first applies the migrations the others then find done.
      for (let i = 0; i < options.spineProcesses; i++) {
        servers.push(await startServerProcess({
          args: [...profile, ...spineNodeArgs(), 'dist/cli/main.js', 'serve', '--data-dir', dataDir],
          env: { DATABASE_URL: postgres.connectionString, MESH_SHARED_KEY: sharedKey, NODE_ENV: 'production', LOG_LEVEL: 'warn', OPENSPINE_SANDBOX: 'false', OPENSPINE_DEMO: 'false' },
        }));
      }
      const identity = await registerBenchIdentity(servers[0]!.url, admin);
      // EPS: the bench prescriber's signing certificate, as a deployment registers its prescribers'
      // (after the server's start, whose migrations made the table on a store seeded before it existed).
      const certificates = new pg.Pool({ connectionString: postgres.connectionString, max: 1 });
      try {
        await directoryApi(certificates).registerSigningCertificate(BENCH_PRESCRIBER, benchPrescriberCertificate());
      } finally {
        await certificates.end();
      }
      client = await LoadClient.start({
        urls: servers.map((x) => x.url), identity, patients: options.patients, seed: SEED, workers,
        mesh: { sharedKey, password: PASSWORD, workflowId: WORKFLOW, senders, recipients },
      });
      const postmaster = postmasterPid(dataDir);
      const started = client;
      const cpuNow = (): Cpu => {
        const machine = machineCpuSeconds();
        return {
          server: servers.reduce((sum, x) => sum + cpuSecondsOf(x.pid), 0), postgres: postgresCpuSeconds(postmaster), client: cpuSecondsOf(started.child.pid!),
          machineBusy: machine.busy, machineTotal: machine.total,
        };
      };
      const measured: MixedRig['measured'] = async (command) => {
        if (statementsFile) await resetStatementStats(postgres.connectionString);
        const before = cpuNow();
        const stopRss = servers.map((x) => x.sampleRss());
        const result = await started.send<PhaseResult>(command);
        const rssMb = stopRss.reduce((sum, stop) => sum + stop().peakMb, 0);
        const after = cpuNow();
        if (statementsFile) await writeStatementStats(postgres.connectionString, 'name' in command ? String(command.name) : 'run', result.requests);
        const per = (seconds: number) => (seconds * 1000) / Math.max(1, result.requests);
        const cpuMs = { server: per(after.server - before.server), postgres: per(after.postgres - before.postgres), client: per(after.client - before.client) };
        const machineBusy = (after.machineBusy - before.machineBusy) / Math.max(0.01, after.machineTotal - before.machineTotal);
        return { result, cpuMs, machineBusy, rssMb };
      };
      return await work({ servers, client, postmaster, workers, cpuNow, measured });
    } finally {
      await client?.stop();
      await Promise.all(servers.map((x) => x.stop()));
    }
  } finally {
    await postgres.stop();
  }
}
