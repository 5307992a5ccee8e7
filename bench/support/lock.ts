import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { log } from './report.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` holding an exclusive lock file (created with O_EXCL, holding our pid). Two benches
 * sharing one embedded PostgreSQL data dir would stop each other's server (pg_ctl stops whichever
 * postmaster owns the dir), so the second waits; a lock left by a dead process is taken over.
 */
export async function withLock<T>(path: string, work: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(path, 'utf8'));
      if (!Number.isInteger(holder) || !alive(holder)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${path} is held by process ${holder}`);
      if (!announced) log(`waiting for ${path} (held by process ${holder}, another bench)`);
      announced = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}
