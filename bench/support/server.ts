import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { freePort } from '../../src/platform/db/embedded.js';
import { log } from './report.js';

/** A server under test in its own process, so its RSS is its own and load generation does not share its event loop. */
export interface ServerProcess {
  url: string;
  pid: number;
  /** Resident set size in MB, now. */
  rssMb(): number;
  /** Samples RSS every `everyMs` until the returned function is called, which returns the peak and the RSS at the start. */
  sampleRss(everyMs?: number): () => { peakMb: number; startMb: number; samples: number };
  stop(): Promise<void>;
}

export interface ServerCommand {
  /** Arguments after `node`, e.g. ['dist/cli/main.js', 'serve']; `--port` is added. */
  args: string[];
  env?: Record<string, string>;
  /** What to GET to know it is up. */
  readyPath?: string;
  timeoutMs?: number;
}

function rssOf(pid: number): number {
  // Linux: VmRSS in kB from /proc, cheap enough to sample several times a second.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function waitUntilUp(url: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server at ${url} not ready within ${timeoutMs} ms`);
}

export async function startServerProcess(command: ServerCommand): Promise<ServerProcess> {
  const port = await freePort();
  // BENCH_PROFILE=dir: the server writes a V8 CPU profile there when it stops (any bench's server).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : [];
  // BENCH_SERVER_LOG=file: the servers' logs (warnings and errors) are appended there; otherwise dropped.
  const logFile = process.env.BENCH_SERVER_LOG ? openSync(process.env.BENCH_SERVER_LOG, 'a') : 'ignore';
  const child = spawn(process.execPath, [...profile, ...command.args, '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...command.env },
    stdio: ['ignore', logFile, 'pipe'],
  });
  if (typeof logFile === 'number') closeSync(logFile);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(`${url}${command.readyPath ?? '/_ping'}`, child, command.timeoutMs ?? 120_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  const pid = child.pid!;
  return {
    url,
    pid,
    rssMb: () => rssOf(pid),
    sampleRss(everyMs = 250) {
      const startMb = rssOf(pid);
      let peakMb = startMb;
      let samples = 1;
      const timer = setInterval(() => {
        try {
          peakMb = Math.max(peakMb, rssOf(pid));
          samples += 1;
        } catch {
          // the process has gone; the peak so far stands
        }
      }, everyMs);
      return () => {
        clearInterval(timer);
        return { peakMb, startMb, samples };
      };
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        log(`server ${pid} did not stop in 15 s; killing it`);
        child.kill('SIGKILL');
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
