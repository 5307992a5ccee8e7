import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** CPU seconds (user + system) a process has used so far, from /proc; 0 once it has gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** The postmaster of the embedded PostgreSQL whose data is in `<dataDir>/pg`. */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/** CPU seconds (user + system) of a process's children that have ended and been waited for (cutime + cstime). */
function endedChildrenCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) / TICKS;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of PostgreSQL: the postmaster, its children (backends, WAL writer, checkpointer) and
 * the children that have ended (the postmaster waits for each backend, so a closed connection's CPU
 * moves into its `cutime`/`cstime` rather than being lost, and the sum never goes backwards).
 */
export function postgresCpuSeconds(postmaster: number): number {
  let total = cpuSecondsOf(postmaster) + endedChildrenCpuSeconds(postmaster);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) / TICKS;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** CPU seconds of the whole machine (all processes, every core), from /proc/stat: busy and total. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / TICKS, total: (busy + idle + iowait) / TICKS };
}

/** What the figures were measured on. */
export function machineDescription() {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpu_model: cores[0]?.model ?? 'unknown',
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    free_memory_gb: Math.round((freemem() / 2 ** 30) * 10) / 10,
    os: `Linux ${release()}`,
    node: process.version,
    load_average_at_start: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}
