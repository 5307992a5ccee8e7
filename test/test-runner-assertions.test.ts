import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * A long file of nested test-like code whose last case fails `assert.ok` without a message, as a
 * test file of a thousand lines might: the line of that call in the source.
 */
function longFileFailingAtTheEnd(): { source: string; failingLine: number } {
  const cases = Array.from({ length: 60 }, (_, i) => `  check('case ${i}', async () => {
    const found: Record<string, number> = { a: ${i}, b: ${i} + 1 };
    const listed = [found.a, found.b].map((n: number) => n * 2).filter((n) => n >= 0);
    if (listed.length !== 2) throw new Error(\`case ${i}: \${JSON.stringify(listed)}\`);
    await Promise.all(listed.map(async (n) => String(n)));
  });`);
  const head = `import assert from 'node:assert/strict';
const cases: Array<() => Promise<void>> = [];
const check = (name: string, f: () => Promise<void>) => { cases.push(f); };
const suite = (name: string, f: () => void) => f();
suite('padding', () => {
${cases.join('\n')}
  check('the failing one', async () => {
`;
  const source = `${head}    assert.ok(cases.length === 0);
  });
});
for (const c of cases) await c();
`;
  return { source, failingLine: head.split('\n').length };
}

/** Runs a file as each test file runs: node with the modules the runner imports into it (tsx, …), killed after `timeoutMs`. */
function runAsATestFile(file: string, timeoutMs: number): Promise<{ code: number | null; killed: boolean; stderr: string; ms: number }> {
  const imports = process.execArgv.flatMap((arg, i, all) => (arg === '--import' ? ['--import', all[i + 1]!] : []));
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [...imports, file], { cwd: root, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, _stdout, stderr) => {
      resolve({ code: child.exitCode, killed: Boolean(err && (err as { killed?: boolean }).killed), stderr, ms: Date.now() - started });
    });
  });
}

describe('the test runner', () => {
  it("a failing assert.ok without a message fails at once far into a long file: Node's message, parsed from the source at tsx's one-line position, took minutes", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openspine-assert-'));
    try {
      const file = join(dir, 'long-file.mts');
      const { source, failingLine } = longFileFailingAtTheEnd();
      writeFileSync(file, source);
      const run = await runAsATestFile(file, 30_000);
      assert.equal(run.killed, false, `still running after ${run.ms} ms`);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /AssertionError \[ERR_ASSERTION\]: The expression evaluated to a falsy value: false/);
      assert.ok(run.stderr.includes(`long-file.mts:${failingLine}:`), `the stack names the failing line ${failingLine}: ${run.stderr}`);
      assert.ok(run.ms < 10_000, `${run.ms} ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
