/**
 * The supervisor of one data directory's embedded PostgreSQL: a small process of its own
 * (started detached by the first process that needs the server, see `embedded.ts`), which
 * - initialises the cluster on first use, with a random superuser password (`pg-password`, 0600);
 * - starts PostgreSQL and restarts it whenever it exits without being asked to, logging the
 *   crash and the recovery (`pg-supervisor.log`);
 * - stops it, and exits, once no process holding a lease in `pg-users/` is alive: when the last
 *   user stops gracefully, and equally when users are killed (`kill -9` of `serve`), so the server
 *   is never left running without a user;
 * - on start, stops a PostgreSQL left running on this cluster by a supervisor that was itself
 *   killed, before starting its own.
 *
 * Why a separate process rather than a child of `serve`: PostgreSQL must outlive no user, and a
 * process that is killed can clean up nothing; a watcher that is not the killed process can.
 * Several processes (a `serve`, a `seed` beside it) share one server, and the server must stop
 * after the last of them, whichever it is. And a crash of PostgreSQL is noticed and repaired
 * even while no request is arriving.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  SUPERUSER, connectionString, createPassword, embeddedPaths, isAlive, liveUsers, postmasterOf, readPassword, readState,
  writeState, type EmbeddedPaths, type SupervisorState,
} from './embedded-files.js';
import { freePort } from './embedded.js';
import { binariesFor, clusterDirFor, prepareClusterDir, serverAccount, type Binaries, type ServerAccount } from './embedded-account.js';

const POSTGRES_FLAGS = [
  '-c', 'max_connections=200',
  '-c', 'shared_buffers=256MB',
  '-c', 'listen_addresses=127.0.0.1',
  // No Unix socket: every connection is TCP on loopback, with the password.
  '-c', 'unix_socket_directories=',
  // group commit across concurrent writers: a small delay lets one fsync serve many commits
  '-c', 'commit_delay=200',
];

// The password every embedded cluster had before passwords were generated per data directory.
const LEGACY_PASSWORD = 'openspine';
const USERS_POLL_MS = 300;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

class Supervisor {
  private postgres: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopRequested = false;
  private state: SupervisorState;

  constructor(
    private readonly paths: EmbeddedPaths,
    private readonly log: (message: string) => void,
    private readonly logFd: number,
  ) {
    this.state = { pid: process.pid, status: 'starting' };
  }

  private setState(change: Partial<SupervisorState>) {
    this.state = { ...this.state, ...change };
    try {
      writeState(this.paths, this.state);
    } catch (err) {
      // A data directory removed under us: nothing can join any more, and stopping must go on.
      this.log(`cannot write ${this.paths.state}: ${(err as Error).message}`);
    }
  }

  async run(): Promise<void> {
    try {
      await this.supervise();
    } finally {
      await this.stopPostgres();
    }
  }

  private async supervise(): Promise<void> {
    this.setState({ status: 'starting' });
    const account = serverAccount();
    const binaries = await binariesFor(account);
    const cluster = clusterDirFor(this.paths, account);
    // A cluster made before passwords were generated per data directory has the well-known one
    // (and no password file); so may one whose migration was cut short after the password file was
    // written. Either way the cluster's password is checked once it runs, and replaced if need be.
    const existingCluster = existsSync(join(cluster, 'PG_VERSION'));
    const password = readPassword(this.paths) ?? createPassword(this.paths);
    if (!existingCluster) {
      prepareClusterDir(cluster, account);
      this.log(`initialising a new cluster in ${cluster}`);
      await this.initdb(binaries, cluster, account, password);
    }
    await this.stopOrphan(cluster);
    const port = await freePort();
    let downSince: number | undefined;
    let backoffMs = 200;
    while (!this.stopRequested) {
      const started = await this.start(binaries, cluster, account, port);
      if (!started) {
        if (liveUsers(this.paths).length === 0) break;
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5_000);
        continue;
      }
      backoffMs = 200;
      if (existingCluster && !downSince) await this.replaceLegacyPassword(port, password);
      if (downSince !== undefined) {
        this.log(`PostgreSQL recovered: accepting connections again on port ${port}, ${Date.now() - downSince} ms after it stopped`);
        downSince = undefined;
      }
      this.setState({ status: 'ready', port, postmasterPid: this.postgres?.pid });
      const reason = await this.watch();
      if (reason === 'crashed') {
        downSince = Date.now();
        this.setState({ status: 'restarting' });
      }
    }
    this.setState({ status: 'stopping' });
  }

  /** Resolves when PostgreSQL exits by itself ('crashed') or should stop ('done'). */
  private async watch(): Promise<'crashed' | 'done'> {
    let crashed = false;
    void this.exited.then(() => { crashed = true; });
    for (;;) {
      await sleep(USERS_POLL_MS);
      if (crashed) return 'crashed';
      if (this.stopRequested) return 'done';
      if (liveUsers(this.paths).length > 0) continue;
      // Announce the stop, then look once more: a process that wrote its lease before reading
      // 'ready' is seen here, and one that reads 'stopping' waits for this process to end.
      this.setState({ status: 'stopping' });
      if (liveUsers(this.paths).length > 0) {
        this.setState({ status: 'ready' });
        continue;
      }
      this.stopRequested = true;
      return 'done';
    }
  }

  requestStop() {
    this.stopRequested = true;
  }

  private async initdb(binaries: Binaries, cluster: string, account: ServerAccount | undefined, password: string) {
    const utf8 = spawnSync('locale', ['-a'], { encoding: 'utf8' }).stdout?.split('\n').some((l) => /^C\.utf-?8$/i.test(l.trim()));
    // initdb reads the password from a file: one only the server's account can read, removed after.
    const secretDir = mkdtempSync(join(tmpdir(), 'openspine-initdb-'));
    const pwfile = join(secretDir, 'password');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (account) {
      chownSync(secretDir, account.uid, account.gid);
      chownSync(pwfile, account.uid, account.gid);
    }
    let code: number | null;
    try {
      const child = spawn(binaries.initdb, [
        `--pgdata=${cluster}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`, `--pwfile=${pwfile}`,
        '--encoding=UTF8', `--locale=${utf8 ? 'C.UTF-8' : 'C'}`,
      ], { ...account, stdio: ['ignore', this.logFd, this.logFd], env: { ...process.env, LC_MESSAGES: 'C' } });
      code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (c) => resolve(c));
      });
    } finally {
      rmSync(secretDir, { recursive: true, force: true });
    }
    if (code !== 0) throw new Error(`initdb failed (exit ${code}); see ${this.paths.log}`);
  }

  /** Starts PostgreSQL and waits until it accepts connections; false if it exited first. */
  private async start(binaries: Binaries, cluster: string, account: ServerAccount | undefined, port: number): Promise<boolean> {
    const child = spawn(binaries.postgres, ['-D', cluster, '-p', String(port), ...POSTGRES_FLAGS], {
      ...account, detached: true, stdio: ['ignore', this.logFd, this.logFd], env: { ...process.env, LC_MESSAGES: 'C' },
    });
    this.postgres = child;
    let exit = '';
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => { exit = err.message; resolve(); });
      child.once('exit', (code, signal) => { exit = signal ? `signal ${signal}` : `exit code ${code}`; resolve(); });
    });
    let gone = false;
    void this.exited.then(() => { gone = true; });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!gone && Date.now() < deadline) {
      const postmaster = postmasterOf(cluster);
      if (postmaster !== undefined && postmaster.pid === child.pid && postmaster.ready) {
        this.log(`PostgreSQL ready on port ${port} (pid ${child.pid})`);
        void this.exited.then(() => { if (!this.stopRequested) this.log(`PostgreSQL (pid ${child.pid}) exited unexpectedly (${exit}): restarting it`); });
        return true;
      }
      await sleep(50);
    }
    if (!gone) {
      child.kill('SIGQUIT');
      await this.exited;
    }
    this.log(`PostgreSQL did not start (${exit || 'not ready in time'}); retrying`);
    return false;
  }

  private async stopPostgres() {
    const child = this.postgres;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // Fast shutdown: sessions are ended, everything committed is checkpointed.
    child.kill('SIGINT');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(STOP_TIMEOUT_MS, undefined, { ref: false }).then(() => false)]);
    if (!stopped) {
      child.kill('SIGQUIT');
      await this.exited;
    }
    this.log('PostgreSQL stopped: no process uses it any more');
  }

  /** A postmaster still running on this cluster belongs to a supervisor that died: stop it. */
  private async stopOrphan(cluster: string) {
    const orphan = postmasterOf(cluster);
    if (!orphan || !isAlive(orphan.pid)) return;
    this.log(`stopping PostgreSQL (pid ${orphan.pid}) left running by a process that died`);
    process.kill(orphan.pid, 'SIGINT');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isAlive(orphan.pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(orphan.pid)) process.kill(orphan.pid, 'SIGQUIT');
    while (isAlive(orphan.pid)) await sleep(50);
  }

  /**
   * Makes sure the cluster takes this data directory's password: a cluster still on the
   * well-known one is given it (before any user is told the server is ready).
   */
  private async replaceLegacyPassword(port: number, password: string) {
    const current = new pg.Client({ connectionString: connectionString(password, port) });
    try {
      await current.connect();
      return;
    } catch (err) {
      // 28P01: invalid_password. Anything else is not ours to repair here.
      if ((err as { code?: string }).code !== '28P01') throw err;
    } finally {
      await current.end().catch(() => undefined);
    }
    const legacy = new pg.Client({ connectionString: connectionString(LEGACY_PASSWORD, port) });
    try {
      await legacy.connect();
      await legacy.query(`ALTER ROLE ${SUPERUSER} PASSWORD ${legacy.escapeLiteral(password)}`);
      this.log('replaced the well-known superuser password of this older cluster with a generated one');
    } finally {
      await legacy.end().catch(() => undefined);
    }
  }
}

/** Takes the data directory's supervisor lock; false when a live supervisor holds it. */
function takeLock(paths: EmbeddedPaths): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(paths.lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(paths.lock, 'utf8'));
      if (isAlive(holder) && holder !== process.pid) return false;
      rmSync(paths.lock, { force: true });
    }
  }
  return false;
}

async function main(dataDir: string) {
  const paths = embeddedPaths(dataDir);
  // Keep the log from growing without end across many starts.
  if ((statSync(paths.log, { throwIfNoEntry: false })?.size ?? 0) > 20 * 1024 * 1024) rmSync(paths.log, { force: true });
  const logFd = openSync(paths.log, 'a', 0o600);
  const log = (message: string) => writeSync(logFd, `${new Date().toISOString()} supervisor[${process.pid}]: ${message}\n`);
  if (!takeLock(paths)) return;
  const supervisor = new Supervisor(paths, log, logFd);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => supervisor.requestStop());
  try {
    await supervisor.run();
  } catch (err) {
    log(`failed: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    if (readState(paths)?.pid === process.pid) rmSync(paths.state, { force: true });
    rmSync(paths.lock, { force: true });
  }
  // Nothing of ours is left to wait for (a timer, a closed client's socket).
  process.exit();
}

const dataDir = process.argv[2];
if (dataDir) void main(dataDir);
