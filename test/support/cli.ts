import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The `openspine` command as installed (package.json `bin`): the build, which scripts/run-tests.mjs keeps current. */
export const CLI = join(root, 'dist/cli/main.js');

export interface CliResult { code: number; stdout: string; stderr: string }

/** Runs the real CLI (`openspine …`) in a child process against the database at `databaseUrl`, as an operator would. */
export function openspine(databaseUrl: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], {
      cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' }, timeout: 120_000,
    }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}
