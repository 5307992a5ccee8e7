import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { freePort } from '../../src/platform/db/embedded.js';
import { ALL_SERVICES } from '../../src/services/registry.js';
import { demographicsService } from '../../src/services/demographics/index.js';
import { SyntheticNhsNumbers } from '../../src/services/demographics/api.js';
import { optOutInStore, waitForExport } from './support.js';

/**
 * An export's memory is bounded by bytes, not by the number of patients. A Spine process of its
 * own (the built CLI, so nothing else shares its memory) runs the export and serves the download,
 * while the test reads its peak resident memory (VmHWM) from /proc: it must stay under the issue's
 * 300 MB. (Measured here: +86 to +116 MB for 25,000 patients (52 MB of ndjson) from a 145 MB start
 * when the export ran in the serving thread; +45 MB from 154 MB since it runs in a thread of its own
 * and downloads stream with COPY. Larger sizes are for the bench to show.) The population is kept moderate for a shared machine;
 * OPENSPINE_TEST_EXPORT_PATIENTS makes it larger.
 */
const root = new URL('../..', import.meta.url).pathname;
const PATIENTS = Number(process.env.OPENSPINE_TEST_EXPORT_PATIENTS ?? 25_000);
const MB = 1_048_576;

function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

describe('bulk export memory', () => {
  let spine: TestSpine;
  let child: ChildProcess;
  let url: string;
  let token: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'openspine-export-'));

  before(async () => {
    // This process seeds and mints the token; it runs no export jobs, so the other process does.
    const modules = ALL_SERVICES.map((m) => (m.name === 'export' ? { ...m, startWorkers: undefined } : m));
    spine = await startTestSpine({ modules, env: { OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '0' } });
    await demographicsService.datasets!['synthetic-patients']!(spine.ctx, { patients: PATIENTS, batchSize: 2_000 });
    const numbers = new SyntheticNhsNumbers();
    await optOutInStore(spine, Array.from({ length: 50 }, () => numbers.next()));
    token = (await createAppAndToken(spine, { activities: ['export:bulk'] })).token;

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'serve', '--port', String(port), '--host', '127.0.0.1',
      '--services', 'identity,directory,audit,demographics,record-locator,consent,export'], {
      cwd: root, stdio: 'ignore',
      // Shedding on event-loop lag is off, as in every test spine: a loaded test machine lags.
      env: { ...process.env, DATABASE_URL: spine.databaseUrl, OPENSPINE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', OPENSPINE_PUBLIC_URL: url, OPENSPINE_MAX_EVENT_LOOP_DELAY_MS: '0' },
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if ((await fetch(`${url}/_ping`)).status === 200) break;
      } catch { /* not up yet */ }
      if (Date.now() > deadline) throw new Error('the export process did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await spine?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exports a population whose ndjson is larger than the growth of the exporting process\'s peak memory', async () => {
    const baseline = memoryOf(child.pid!).rss;
    const response = await fetch(`${url}/export/FHIR/R4/$export?_type=Patient`, { headers: { authorization: `Bearer ${token}`, prefer: 'respond-async' } });
    assert.equal(response.status, 202, await response.clone().text());
    const manifest = await waitForExport(response.headers.get('content-location')!, token);
    const download = await fetch(manifest.output[0].url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(download.status, 200);
    let bytes = 0;
    let lines = 0;
    for await (const piece of download.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += piece.length;
      for (const byte of piece) if (byte === 0x0a) lines += 1;
    }
    assert.equal(lines, manifest.output[0].count);
    assert.ok(lines > PATIENTS * 0.8);
    const { peak } = memoryOf(child.pid!);
    const growth = Math.max(0, peak - baseline);
    console.log(`exported ${lines} patients, ${(bytes / MB).toFixed(1)} MB of ndjson; exporting process RSS ${(baseline / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB (+${(growth / MB).toFixed(1)} MB)`);
    // The bound (set for a million patients): the exporting process stays under 300 MB.
    assert.ok(peak < 300 * MB, `peak RSS ${(peak / MB).toFixed(1)} MB`);
  });
});
