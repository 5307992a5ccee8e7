import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Bench } from './run.js';
import { freshDataDir, requireBuild, startSpineProcess } from './support/platform.js';
import { cpuSecondsOf, postgresCpuSeconds, postmasterPid } from './support/cpu.js';
import { log } from './support/report.js';
import { SyntheticNhsNumbers } from '../src/services/demographics/population/nhs-numbers.js';
import { connectionString, embeddedPaths, readPassword, readState } from '../src/platform/db/embedded-files.js';

/**
 * Issue 12: the bulk opt-out check over HTTP (`POST /consent/check`), NHS numbers checked per second.
 * A file of NUMBERS valid NHS numbers (one a line, as the MESH check takes them) is streamed to the
 * Spine in sandbox mode, with one patient in OPTED_OUT_EVERY opted out in the store beforehand; the
 * answer is streamed back and its lines counted. Target ≥ 100,000 numbers/s. (The MESH check runs the
 * same code, `checkNhsNumbers`, between two MESH message stores; it is not measured apart.)
 */
const NUMBERS = 1_000_000;
const OPTED_OUT_EVERY = 100;
const TARGET_PER_SECOND = 100_000;

/** Opts every OPTED_OUT_EVERY-th patient out, straight into the store of the running server's embedded PostgreSQL. */
async function seedOptOuts(dataDir: string, numbers: string[]): Promise<number> {
  const paths = embeddedPaths(dataDir);
  const state = readState(paths) as { port?: number } | undefined;
  const password = readPassword(paths);
  if (!state?.port || !password) throw new Error(`no embedded PostgreSQL state in ${dataDir}`);
  const client = new pg.Client({ connectionString: connectionString(password, state.port) });
  await client.connect();
  try {
    const optedOut = numbers.filter((_, i) => i % OPTED_OUT_EVERY === 7);
    await client.query(
      `INSERT INTO consent.versions (nhs_number, id, version_no, version_id, status, effective_from, source, set_by, resource, recorded_at)
       SELECT n, gen_random_uuid(), 1, gen_random_uuid(), 'active', '2020-01-01T00:00:00Z', 'OP', '{"appId":"bench"}', '{}', now() FROM unnest($1::text[]) AS n`,
      [optedOut]);
    await client.query('ANALYZE consent.versions');
    return optedOut.length;
  } finally {
    await client.end();
  }
}

export const bench: Bench = async (options) => {
  requireBuild();
  const data = freshDataDir(options.benchDir, 'opt-out');
  const server = await startSpineProcess(data.dir, ['--sandbox']);
  try {
    const generator = new SyntheticNhsNumbers();
    const numbers = Array.from({ length: NUMBERS }, () => generator.next());
    const optedOut = await seedOptOuts(data.dir, numbers);
    const file = Buffer.from(`${numbers.join(',\n')},\n`);
    const check = async (body: Buffer) => {
      const started = performance.now();
      const response = await fetch(`${server.url}/consent/check`, {
        method: 'POST', headers: { 'content-type': 'text/plain', 'x-request-id': randomUUID() }, body: new Uint8Array(body),
      });
      if (response.status !== 200) throw new Error(`check: ${response.status} ${await response.text()}`);
      let lines = 0;
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) {
        const text = decoder.decode(chunk as Uint8Array, { stream: true });
        for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines += 1;
      }
      return { seconds: (performance.now() - started) / 1000, lines };
    };
    log('opt-out: warm-up (100,000 numbers)');
    await check(Buffer.from(`${numbers.slice(0, 100_000).join(',\n')},\n`));
    log(`opt-out: ${NUMBERS} NHS numbers through POST /consent/check`);
    const postmaster = postmasterPid(data.dir);
    const before = { server: cpuSecondsOf(server.pid), postgres: postgresCpuSeconds(postmaster) };
    const stopRss = server.sampleRss();
    const run = await check(file);
    const rss = stopRss();
    const cpu = { server: cpuSecondsOf(server.pid) - before.server, postgres: postgresCpuSeconds(postmaster) - before.postgres };
    const rate = NUMBERS / run.seconds;
    const expectedLines = NUMBERS - optedOut;
    const perMillion = (s: number) => (s * 1_000_000) / NUMBERS;
    return [{
      bench: 'opt-out', what: `bulk opt-out check over HTTP (${NUMBERS.toLocaleString('en-GB')} numbers, ${optedOut.toLocaleString('en-GB')} opted out)`,
      value: `${rate.toFixed(0)} NHS numbers/s (${run.seconds.toFixed(1)} s)`,
      target: `≥ ${TARGET_PER_SECOND.toLocaleString('en-GB')}/s`,
      met: rate >= TARGET_PER_SECOND && run.lines === expectedLines,
      note: `${run.lines}/${expectedLines} lines back; CPU per million numbers: server ${perMillion(cpu.server).toFixed(1)} s, PostgreSQL ${perMillion(cpu.postgres).toFixed(1)} s; RSS peak ${rss.peakMb.toFixed(0)} MB`,
      scenario: {
        name: 'opt-out: bulk check over HTTP', rps: rate, p50: NaN, p95: NaN, p99: NaN, errors: run.lines === expectedLines ? 0 : 1, rss_mb: rss.peakMb,
        unit: 'NHS numbers/s (one request)', numbers: NUMBERS, opted_out: optedOut, seconds: run.seconds,
        cpu_seconds_per_million: { server: perMillion(cpu.server), postgres: perMillion(cpu.postgres) },
      },
    }];
  } finally {
    await server.stop();
    data.remove();
  }
};
