import { mkdirSync } from 'node:fs';
import pg from 'pg';
import type { Bench, Prepare } from './run.js';
import { prepare as preparePds, ensureSeeded } from './pds.js';
import { requireBuild, startSpineProcess } from './support/platform.js';
import { cpuSecondsOf, postgresCpuSeconds, postmasterPid } from './support/cpu.js';
import { log, type BenchLine } from './support/report.js';
import { withLock } from './support/lock.js';
import { connectionString, embeddedPaths, readPassword, readState } from '../src/platform/db/embedded-files.js';

/**
 * Issue 12: FHIR Bulk Data `$export` of the seeded PDS store (`.bench/pds`, 1,000,000 patients and
 * their NRL pointers by default, seeded once as the `pds` bench does), one patient in OPTED_OUT_EVERY
 * opted out for the run (removed again after it). Kick-off to completed manifest, then every file
 * downloaded; resources/s for each and the server's RSS sampled throughout. Target: RSS < 300 MB.
 */
const OPTED_OUT_EVERY = 100;
const TARGET_RSS_MB = 300;

/** The same seeded store as `pds`, ready before the ceilings are measured. */
export const prepare: Prepare = (options) => preparePds(options);

async function storeClient(dataDir: string): Promise<pg.Client> {
  const paths = embeddedPaths(dataDir);
  const state = readState(paths);
  const password = readPassword(paths);
  if (!state?.port || !password) throw new Error(`no embedded PostgreSQL state in ${dataDir}`);
  const client = new pg.Client({ connectionString: connectionString(password, state.port) });
  await client.connect();
  return client;
}

export const bench: Bench = async (options) => {
  requireBuild();
  mkdirSync(options.pdsDataDir, { recursive: true });
  return withLock(`${options.pdsDataDir}.lock`, async () => {
    const lines: BenchLine[] = [];
    const seeded = await ensureSeeded(options);
    if (seeded) lines.push(seeded);
    // Sandbox mode: a call without a token acts as the sandbox application, which may export.
    const server = await startSpineProcess(options.pdsDataDir, ['--sandbox']);
    const client = await storeClient(options.pdsDataDir);
    try {
      const { rowCount: optedOut } = await client.query(
        `INSERT INTO consent.versions (nhs_number, id, version_no, version_id, status, effective_from, source, set_by, resource, recorded_at)
         SELECT nhs_number, gen_random_uuid(), 1, gen_random_uuid(), 'active', '2020-01-01T00:00:00Z', 'OP', '{"bench":"export"}', '{}', now()
           FROM demographics.patients WHERE status = 'active' AND abs(hashtext(nhs_number)) % ${OPTED_OUT_EVERY} = 0`);
      const postmaster = postmasterPid(options.pdsDataDir);
      const before = { server: cpuSecondsOf(server.pid), postgres: postgresCpuSeconds(postmaster) };
      const stopRss = server.sampleRss(100);
      log(`export: $export of the store (${options.patients} patients, ${optedOut} opted out)`);
      const started = performance.now();
      const kickoff = await fetch(`${server.url}/export/FHIR/R4/$export`, { headers: { prefer: 'respond-async', accept: 'application/fhir+json' } });
      if (kickoff.status !== 202) throw new Error(`kick-off: ${kickoff.status} ${await kickoff.text()}`);
      const statusUrl = kickoff.headers.get('content-location')!;
      let manifest: { output: Array<{ type: string; url: string; count: number }> } | undefined;
      while (!manifest) {
        await new Promise((r) => setTimeout(r, 1_000));
        const status = await fetch(statusUrl);
        if (status.status === 200) manifest = await status.json() as typeof manifest;
        else if (status.status !== 202 && status.status !== 503) throw new Error(`status: ${status.status} ${await status.text()}`);
        else await status.arrayBuffer();
      }
      const exportSeconds = (performance.now() - started) / 1000;
      const exportRss = stopRss();
      const exportCpu = { server: cpuSecondsOf(server.pid) - before.server, postgres: postgresCpuSeconds(postmaster) - before.postgres };
      const resources = manifest.output.reduce((n, o) => n + o.count, 0);
      const byType = Object.fromEntries(manifest.output.map((o) => o.type).map((t) => [t, manifest!.output.filter((o) => o.type === t).reduce((n, o) => n + o.count, 0)]));

      log(`export: downloading ${manifest.output.length} files`);
      const stopDownloadRss = server.sampleRss(100);
      const downloadStarted = performance.now();
      let bytes = 0;
      let downloadedLines = 0;
      for (const file of manifest.output) {
        const response = await fetch(file.url);
        if (response.status !== 200) throw new Error(`download: ${response.status}`);
        for await (const chunk of response.body!) {
          const data = chunk as Uint8Array;
          bytes += data.length;
          for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, i + 1)) downloadedLines += 1;
        }
      }
      const downloadSeconds = (performance.now() - downloadStarted) / 1000;
      const downloadRss = stopDownloadRss();
      // Its files (about as large as the store) go again.
      await (await fetch(statusUrl, { method: 'DELETE' })).arrayBuffer();
      const peak = Math.max(exportRss.peakMb, downloadRss.peakMb);
      const perThousand = (s: number) => (s * 1000) / Math.max(1, resources);
      lines.push({
        bench: 'export', what: `$export of ${options.patients.toLocaleString('en-GB')} patients' store (${Object.entries(byType).map(([t, n]) => `${n} ${t}`).join(', ')})`,
        value: `${(resources / exportSeconds).toFixed(0)} resources/s (${exportSeconds.toFixed(0)} s), server RSS peak ${exportRss.peakMb.toFixed(0)} MB`,
        target: `RSS < ${TARGET_RSS_MB} MB`,
        met: peak < TARGET_RSS_MB && downloadedLines === resources,
        note: `download ${(downloadedLines / downloadSeconds).toFixed(0)} resources/s (${(bytes / 1048576 / downloadSeconds).toFixed(1)} MB/s, ${(bytes / 1048576).toFixed(0)} MB), RSS peak ${downloadRss.peakMb.toFixed(0)} MB; CPU per 1,000 resources exported: server ${perThousand(exportCpu.server).toFixed(2)} s, PostgreSQL ${perThousand(exportCpu.postgres).toFixed(2)} s`,
        scenario: {
          name: 'export: $export of the PDS store', rps: resources / exportSeconds, p50: NaN, p95: NaN, p99: NaN, errors: downloadedLines === resources ? 0 : 1, rss_mb: peak,
          unit: 'resources/s (kick-off to manifest)', resources: byType, opted_out_patients: optedOut, export_seconds: exportSeconds,
          download_resources_per_second: downloadedLines / downloadSeconds, download_mb: bytes / 1048576, rss_mb_export: exportRss.peakMb, rss_mb_download: downloadRss.peakMb,
          cpu_seconds_per_1000_resources: { server: perThousand(exportCpu.server), postgres: perThousand(exportCpu.postgres) },
        },
      });
      return lines;
    } finally {
      // The store is shared with the pds and mixed benches: the run's opt-outs go again.
      await client.query(`DELETE FROM consent.versions WHERE set_by = '{"bench":"export"}'::jsonb`).catch(() => undefined);
      await client.end();
      await server.stop();
    }
  });
};
