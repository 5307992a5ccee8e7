import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The files by which processes sharing one embedded PostgreSQL coordinate, all in the data
 * directory (mode 0700; every file 0600):
 * - `pg/`: the cluster (as root, possibly a link to a directory the `postgres` user can reach);
 * - `pg-password`: the superuser password, random per data directory;
 * - `pg-supervisor.lock`: the pid of the one supervisor process (created exclusively);
 * - `pg-supervisor.json`: its state (`starting`, `ready` on a port, `restarting`, `stopping`);
 * - `pg-users/<pid>`: one lease per process using the server; when none is left alive, the
 *   supervisor stops PostgreSQL;
 * - `pg-supervisor.log`: what the supervisor and PostgreSQL said.
 */
export interface EmbeddedPaths {
  dataDir: string;
  cluster: string;
  password: string;
  lock: string;
  state: string;
  users: string;
  log: string;
}

export function embeddedPaths(dataDir: string): EmbeddedPaths {
  return {
    dataDir,
    cluster: join(dataDir, 'pg'),
    password: join(dataDir, 'pg-password'),
    lock: join(dataDir, 'pg-supervisor.lock'),
    state: join(dataDir, 'pg-supervisor.json'),
    users: join(dataDir, 'pg-users'),
    log: join(dataDir, 'pg-supervisor.log'),
  };
}

export const SUPERUSER = 'postgres';

export type SupervisorStatus = 'starting' | 'ready' | 'restarting' | 'stopping';

export interface SupervisorState {
  pid: number;
  status: SupervisorStatus;
  port?: number;
  postmasterPid?: number;
}

/** Whether a process with this pid exists (EPERM: it does, as another user). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes a file readable by its owner only, atomically (write aside, then rename). */
export function writePrivateFile(path: string, text: string): void {
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, text, { mode: 0o600 });
  chmodSync(aside, 0o600);
  renameSync(aside, path);
}

export function readState(paths: EmbeddedPaths): SupervisorState | undefined {
  try {
    return JSON.parse(readFileSync(paths.state, 'utf8')) as SupervisorState;
  } catch {
    return undefined;
  }
}

export function writeState(paths: EmbeddedPaths, state: SupervisorState): void {
  writePrivateFile(paths.state, JSON.stringify(state));
}

/** The superuser password of this data directory, created on first use. */
export function readPassword(paths: EmbeddedPaths): string | undefined {
  try {
    return readFileSync(paths.password, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function createPassword(paths: EmbeddedPaths): string {
  const password = randomBytes(24).toString('base64url');
  writePrivateFile(paths.password, `${password}\n`);
  return password;
}

export function connectionString(password: string, port: number): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

export function addLease(paths: EmbeddedPaths, pid = process.pid): void {
  mkdirSync(paths.users, { recursive: true, mode: 0o700 });
  writeFileSync(join(paths.users, String(pid)), '', { mode: 0o600 });
}

export function removeLease(paths: EmbeddedPaths, pid = process.pid): void {
  rmSync(join(paths.users, String(pid)), { force: true });
}

/** The pids holding a lease whose process still lives; the leases of dead ones are removed. */
export function liveUsers(paths: EmbeddedPaths): number[] {
  let names: string[];
  try {
    names = readdirSync(paths.users);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (isAlive(pid)) live.push(pid);
    else if (/^\d+$/.test(name)) rmSync(join(paths.users, name), { force: true });
  }
  return live;
}

/** The pid and status line of the postmaster from `postmaster.pid` (line 1 pid, line 8 status). */
export function postmasterOf(cluster: string): { pid: number; port: number; ready: boolean } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, port: Number(lines[3]), ready: (lines[7] ?? '').trim() === 'ready' };
}
