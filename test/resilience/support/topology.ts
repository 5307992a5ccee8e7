import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../../../src/platform/db/embedded.js';
import { childrenOf } from '../../support/spine.js';
import { CLI } from '../../support/cli.js';

// A small Spine estate on 127.0.0.1, built from proven parts, for the failover suite:
// - a three-member etcd cluster (the consensus store Patroni keeps its leader lock in);
// - two PostgreSQL 15 nodes managed by Patroni, in synchronous mode: a commit is acknowledged only
//   once the synchronous standby has it, so the standby promoted after the primary is lost has
//   every write OpenSpine acknowledged;
// - HAProxy routing database connections to whichever node Patroni's REST API calls primary, a
//   second listener to the node(s) it calls replica (lag-tolerant reads, DATABASE_REPLICA_URL), and
//   HTTP to three `openspine serve` processes by their `/_status`.

const root = new URL('../../..', import.meta.url).pathname;
const PG_BIN = '/usr/lib/postgresql/15/bin';
const SUPERUSER_PASSWORD = 'resilience-test-only';

/** The programs the topology needs; `npm run test:resilience` installs them (scripts/resilience-deps.sh). */
export const REQUIRED = ['/usr/bin/etcd', '/usr/bin/patroni', '/usr/sbin/haproxy', `${PG_BIN}/postgres`];

interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

function run(command: string, args: string[], options: { env?: Record<string, string>; uid?: number; gid?: number; cwd?: string } = {}): Proc {
  const child = spawn(command, args, { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, uid: options.uid, gid: options.gid });
  let output = '';
  const keep = (d: Buffer) => { output = (output + d).slice(-30_000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 0))));
  return { child, exited, output: () => output };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, detail: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms\n${detail()}`);
    await sleep(200);
  }
}

async function httpStatus(url: string): Promise<number | undefined> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.status;
}

export interface DatabaseNode {
  name: string;
  pgPort: number;
  restPort: number;
  dataDir: string;
  configFile: string;
  patroni?: Proc;
}

export interface ServeProcess {
  name: string;
  port: number;
  dataDir: string;
  proc?: Proc;
}

export class Topology {
  readonly dir = mkdtempSync(join(tmpdir(), 'openspine-resilience-'));
  private etcd: Proc[] = [];
  private haproxy?: Proc;
  nodes: DatabaseNode[] = [];
  serves: ServeProcess[] = [];
  pgPort = 0;
  /** HAProxy's listener for the streaming replica(s), by Patroni's `/replica` check. */
  replicaPort = 0;
  apiPort = 0;
  private etcdHosts = '';
  /** Patroni and PostgreSQL refuse to run as root: as root they run as the `postgres` user. */
  private readonly runAs = process.getuid?.() === 0 ? postgresUser() : undefined;

  get databaseUrl() { return `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${this.pgPort}/openspine`; }
  get replicaDatabaseUrl() { return `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${this.replicaPort}/openspine`; }
  get apiUrl() { return `http://127.0.0.1:${this.apiPort}`; }
  get adminDatabaseUrl() { return `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${this.pgPort}/postgres`; }

  static async start(options: { serves: number; env?: Record<string, string> }): Promise<Topology> {
    for (const path of REQUIRED) assert.ok(existsSync(path), `${path} missing: run scripts/resilience-deps.sh (npm run test:resilience does)`);
    assert.ok(existsSync(CLI), `${CLI} missing: npm run build first`);
    const topology = new Topology();
    try {
      if (topology.runAs) chownSync(topology.dir, topology.runAs.uid, topology.runAs.gid);
      await topology.startEtcd();
      await topology.startDatabase();
      await topology.startServes(options.serves, options.env ?? {});
      return topology;
    } catch (err) {
      await topology.stop();
      throw err;
    }
  }

  /**
   * Starts the etcd cluster and waits until every member is healthy: Patroni asks the first host it
   * is given for etcd's version, and a member that is down then leaves it on the wrong API for good.
   * A member that exits during start-up (its port, found free a moment before, taken since) is
   * started again, with the whole cluster, on fresh ports.
   */
  private async startEtcd() {
    const attempts = 3;
    for (let attempt = 1; ; attempt++) {
      const members = await Promise.all([1, 2, 3].map(async (n) => ({ name: `etcd${n}`, client: await freePort(), peer: await freePort() })));
      const ports = members.flatMap((m) => [m.client, m.peer]);
      if (new Set(ports).size !== ports.length) continue;
      const cluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
      this.etcdHosts = members.map((m) => `127.0.0.1:${m.client}`).join(',');
      this.etcd = members.map((m) => run('etcd', [
        '--name', m.name, '--data-dir', join(this.dir, `${m.name}-${attempt}`),
        '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
        '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
        '--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'openspine-resilience',
        '--heartbeat-interval', '100', '--election-timeout', '1000',
      ]));
      const outputs = () => this.etcd.map((e, i) => `--- ${members[i]!.name} (exit ${e.child.exitCode ?? e.child.signalCode ?? 'none'})\n${e.output().slice(-2000)}`).join('\n');
      const exited = () => this.etcd.some((e) => e.child.exitCode !== null || e.child.signalCode !== null);
      const healthy = await until('every etcd member healthy', 30_000, async () => {
        if (exited()) return false;
        const statuses = await Promise.all(members.map((m) => httpStatus(`http://127.0.0.1:${m.client}/health`).catch(() => undefined)));
        return statuses.every((status) => status === 200) ? true : undefined;
      }, outputs);
      if (healthy) return;
      this.etcd.forEach((e) => e.child.kill('SIGKILL'));
      await Promise.all(this.etcd.map((e) => e.exited));
      if (attempt === attempts) assert.fail(`an etcd member exited during start-up, ${attempts} times\n${outputs()}`);
    }
  }

  private async startDatabase() {
    for (const n of [1, 2]) {
      const node: DatabaseNode = { name: `pg${n}`, pgPort: await freePort(), restPort: await freePort(), dataDir: join(this.dir, `pg${n}`), configFile: join(this.dir, `patroni${n}.yml`) };
      writeFileSync(node.configFile, this.patroniConfig(node));
      this.nodes.push(node);
    }
    this.pgPort = await freePort();
    this.replicaPort = await freePort();
    this.apiPort = await freePort();
    for (const node of this.nodes) this.startNode(node);
    await until('a Patroni leader', 90_000, async () => ((await this.leader().catch(() => undefined)) ? true : undefined), () => this.nodeLogs());
    await until('a synchronous standby', 90_000, async () => ((await this.syncStandby()) ? true : undefined), () => this.nodeLogs());
    // HAProxy only once the servers exist, so its configuration can name them all.
  }

  private patroniConfig(node: DatabaseNode): string {
    // Failover on a crash at once (primary_start_timeout 0); a lost node's lock expires after ttl.
    return `scope: openspine-resilience
name: ${node.name}
log:
  level: INFO
restapi:
  listen: 127.0.0.1:${node.restPort}
  connect_address: 127.0.0.1:${node.restPort}
etcd3:
  hosts: ${this.etcdHosts}
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 1
    retry_timeout: 5
    primary_start_timeout: 0
    master_start_timeout: 0
    synchronous_mode: true
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        wal_log_hints: 'on'
        max_connections: 200
        max_wal_senders: 10
        max_replication_slots: 10
        synchronous_commit: 'on'
  initdb:
    - encoding: UTF8
    - auth-host: scram-sha-256
    - auth-local: trust
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
postgresql:
  listen: 127.0.0.1:${node.pgPort}
  connect_address: 127.0.0.1:${node.pgPort}
  data_dir: ${node.dataDir}
  bin_dir: ${PG_BIN}
  pgpass: ${join(this.dir, `${node.name}.pgpass`)}
  authentication:
    superuser: {username: postgres, password: ${SUPERUSER_PASSWORD}}
    replication: {username: replicator, password: ${SUPERUSER_PASSWORD}}
    rewind: {username: rewinder, password: ${SUPERUSER_PASSWORD}}
  parameters:
    unix_socket_directories: '${this.dir}'
    shared_buffers: 64MB
tags:
  nofailover: false
  noloadbalance: false
`;
  }

  startNode(node: DatabaseNode) {
    node.patroni = run('patroni', [node.configFile], { uid: this.runAs?.uid, gid: this.runAs?.gid, cwd: this.dir, env: { HOME: this.dir } });
  }

  /** The node Patroni calls primary (its REST API's `/primary` answers 200). */
  async leader(): Promise<DatabaseNode | undefined> {
    for (const node of this.nodes) if ((await httpStatus(`http://127.0.0.1:${node.restPort}/primary`).catch(() => undefined)) === 200) return node;
    return undefined;
  }

  async syncStandby(): Promise<DatabaseNode | undefined> {
    for (const node of this.nodes) if ((await httpStatus(`http://127.0.0.1:${node.restPort}/sync`).catch(() => undefined)) === 200) return node;
    return undefined;
  }

  /** The postmaster's pid, from its data directory. */
  postmasterPid(node: DatabaseNode): number {
    return Number(readFileSync(join(node.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /**
   * Crashes a node's PostgreSQL: the postmaster and every backend SIGKILLed at once, as the loss of
   * its host or the OOM killer would (a postmaster killed alone leaves backends holding its shared
   * memory until they notice).
   */
  crashPostgres(node: DatabaseNode) {
    const postmaster = this.postmasterPid(node);
    for (const pid of [postmaster, ...childrenOf(postmaster)]) kill(pid, 'SIGKILL');
  }

  /** Loses a database node outright: Patroni and its PostgreSQL SIGKILLed together. */
  async killNode(node: DatabaseNode) {
    node.patroni?.child.kill('SIGKILL');
    await node.patroni?.exited;
    this.crashPostgres(node);
  }

  /** Patroni's log lines of each node (its REST API's tracebacks for health checks that hang up early left out). */
  nodeLogs() {
    const lines = (output: string) => output.split('\n')
      .filter((line) => /^\d{4}-\d\d-\d\d [\d:,]+ (INFO|WARNING|ERROR|CRITICAL)/.test(line) && !/Exception happened|Traceback/.test(line));
    return this.nodes.map((n) => `--- ${n.name}\n${lines(n.patroni?.output() ?? '').slice(-40).join('\n')}`).join('\n');
  }

  private async startServes(count: number, env: Record<string, string>) {
    const admin = new pg.Client({ connectionString: `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${(await this.leader())!.pgPort}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE openspine');
    await admin.end();
    for (let n = 1; n <= count; n++) {
      this.serves.push({ name: `serve${n}`, port: await freePort(), dataDir: join(this.dir, `serve${n}`) });
    }
    this.writeHaproxyConfig();
    this.haproxy = run('haproxy', ['-f', join(this.dir, 'haproxy.cfg'), '-db']);
    await until('HAProxy routing to the primary', 30_000, async () => {
      const client = new pg.Client({ connectionString: this.adminDatabaseUrl, connectionTimeoutMillis: 1_000 });
      await client.connect();
      await client.end();
      return true;
    }, () => this.haproxy?.output() ?? '');
    for (const [i, serve] of this.serves.entries()) {
      mkdirSync(serve.dataDir, { recursive: true });
      // The first process seeds the demo data; the others find it there.
      await this.startServe(serve, i === 0 ? [] : ['--no-seed-demo'], env);
    }
    await until('HAProxy routing to OpenSpine', 30_000, async () => ((await httpStatus(`${this.apiUrl}/_status`)) === 200 ? true : undefined));
    // Every process back in rotation, not just the first.
    await sleep(1_500);
  }

  serveEnv(serve: ServeProcess, env: Record<string, string>): Record<string, string> {
    return {
      LOG_LEVEL: 'info', DATABASE_URL: this.databaseUrl, OPENSPINE_DATA_DIR: serve.dataDir,
      // Searches may go to the standby; a promoted or lost standby sends them back to the primary.
      DATABASE_REPLICA_URL: this.replicaDatabaseUrl,
      OPENSPINE_PUBLIC_URL: this.apiUrl,
      OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '3000',
      OPENSPINE_DRAIN_MS: '2500',
      // Nine processes and the load share two cores here: event-loop lag would measure the test
      // machine, not the Spine (the in-flight limit still sheds). The overload suite covers lag.
      OPENSPINE_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    };
  }

  /**
   * Starts a serve process and waits until it listens. Like a process supervisor (systemd
   * `Restart=always`, a Kubernetes pod), it starts it again if it exits first, e.g. because the
   * database could not be reached at that moment.
   */
  async startServe(serve: ServeProcess, args: string[] = ['--no-seed-demo'], env: Record<string, string> = {}) {
    const outputs: string[] = [];
    await until(`${serve.name} listening`, 180_000, async () => {
      if (!serve.proc || serve.proc.child.exitCode !== null || serve.proc.child.signalCode !== null) {
        if (serve.proc) outputs.push(serve.proc.output().slice(-2_000));
        serve.proc = run(process.execPath, [CLI, 'serve', '--demo', '--port', String(serve.port), ...args], { env: this.serveEnv(serve, env) });
      }
      return serve.proc.output().includes('OpenSpine listening') ? true : undefined;
    }, () => [...outputs, serve.proc?.output() ?? ''].join('\n---\n'));
  }

  /** The data directory holding the demo credentials (written by the seeding process). */
  get credentialsDir() { return this.serves[0]!.dataDir; }

  private writeHaproxyConfig() {
    const db = this.nodes.map((n) => `    server ${n.name} 127.0.0.1:${n.pgPort} check port ${n.restPort}`).join('\n');
    const api = this.serves.map((s) => `    server ${s.name} 127.0.0.1:${s.port} check`).join('\n');
    writeFileSync(join(this.dir, 'haproxy.cfg'), `global
  maxconn 2000
defaults
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 3
  option redispatch
listen postgres
  bind 127.0.0.1:${this.pgPort}
  mode tcp
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
${db}
listen postgres-replica
  bind 127.0.0.1:${this.replicaPort}
  mode tcp
  option httpchk GET /replica
  http-check expect status 200
  balance roundrobin
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
${db}
listen openspine
  bind 127.0.0.1:${this.apiPort}
  mode http
  option http-server-close
  option httpchk GET /_ping
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
${api}
`);
  }

  async stop() {
    for (const serve of this.serves) {
      serve.proc?.child.kill('SIGKILL');
      await serve.proc?.exited;
    }
    this.haproxy?.child.kill('SIGKILL');
    for (const node of this.nodes) {
      node.patroni?.child.kill('SIGKILL');
      await node.patroni?.exited;
      if (existsSync(join(node.dataDir, 'postmaster.pid'))) this.crashPostgres(node);
    }
    for (const e of this.etcd) e.child.kill('SIGKILL');
    await Promise.all(this.etcd.map((e) => e.exited));
    await sleep(300);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

function kill(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
