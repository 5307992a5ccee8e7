import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { ALL_SERVICES } from '../../src/services/registry.js';
import { demographicsService } from '../../src/services/demographics/index.js';
import { SyntheticNhsNumbers } from '../../src/services/demographics/api.js';
import { SEGMENT_BYTES } from '../../src/services/export/ndjson-files.js';
import { optOutInStore, waitForExport } from './support.js';

/**
 * How an export keeps its memory bounded, over HTTP on PostgreSQL: it runs in a thread of its own
 * (and a process shutting down stops it and gives the job back), its files are stored as small
 * segments of whole lines, and a download streams them with a COPY per batch as the client reads.
 * Spine `a` serves and seeds but runs no exports; `b`, on the same database, runs them.
 */
const PATIENTS = 1_200;

describe('bulk export: thread, segments and streamed downloads', () => {
  let a: TestSpine;
  let b: TestSpine | undefined;
  let token: string;
  const optedOut: string[] = [];
  const exportPath = (url: string) => new URL(url).pathname;

  before(async () => {
    const modules = ALL_SERVICES.map((m) => (m.name === 'export' ? { ...m, startWorkers: undefined } : m));
    a = await startTestSpine({ modules, env: { OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '0' } });
    await demographicsService.datasets!['synthetic-patients']!(a.ctx, { patients: PATIENTS, batchSize: 1_000 });
    const numbers = new SyntheticNhsNumbers();
    for (let i = 0; i < PATIENTS; i++) {
      const nhsNumber = numbers.next();
      if (i % 7 === 2) optedOut.push(nhsNumber);
    }
    await optOutInStore(a, optedOut);
    token = (await createAppAndToken(a, { activities: ['export:bulk'] })).token;
    b = await startTestSpine({ databaseUrl: a.databaseUrl });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  const kickoff = (spine: TestSpine) => fetch(`${spine.url}/export/FHIR/R4/$export?_type=Patient`, { headers: { authorization: `Bearer ${token}`, prefer: 'respond-async' } });
  const download = (url: string, signal?: AbortSignal) => fetch(`${a.url}${exportPath(url)}`, { headers: { authorization: `Bearer ${token}` }, signal });

  let fileUrl = '';
  let exportedCount = 0;
  it('a file is stored as segments of whole lines of at most 64 KB, and downloads byte for byte across several COPY batches', async () => {
    const response = await kickoff(b!);
    assert.equal(response.status, 202);
    const manifest = await waitForExport(`${a.url}${exportPath(response.headers.get('content-location')!)}`, token);
    assert.equal(manifest.output.length, 1);
    const count = manifest.output[0].count as number;
    assert.ok(count > PATIENTS * 0.7, `${count} patients exported`);
    fileUrl = manifest.output[0].url;
    const [jobId] = exportPath(fileUrl).split('/').slice(-2);
    const { rows } = await a.ctx.db.query('SELECT data FROM export.segments WHERE job_id = $1 AND file_no = 1 ORDER BY segment_no', [jobId]);
    // More than one download batch (16 segments a statement), so batches are joined too.
    assert.ok(rows.length > 16, `${rows.length} segments`);
    for (const { data } of rows as Array<{ data: Buffer }>) {
      assert.ok(data.length <= SEGMENT_BYTES, `a segment of ${data.length} bytes`);
      assert.equal(data[data.length - 1], 0x0a);
    }
    const answer = await download(fileUrl);
    assert.equal(answer.status, 200);
    const body = Buffer.from(await answer.arrayBuffer());
    assert.equal(Number(answer.headers.get('content-length')), body.length);
    assert.ok(body.equals(Buffer.concat(rows.map((r) => r.data as Buffer))));
    const lines = body.toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
    assert.equal(lines.length, count);
    const exported = new Set(lines.map((p) => p.id));
    assert.ok(optedOut.every((n) => !exported.has(n)));
    exportedCount = count;
  });

  it('a download the client abandons midway leaves no COPY running, and the file downloads whole again', async () => {
    const aborted = new AbortController();
    const answer = await download(fileUrl, aborted.signal);
    const reader = answer.body!.getReader();
    await reader.read();
    aborted.abort();
    await reader.read().catch(() => undefined);
    const copying = async () => (await a.ctx.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT data FROM export.segments%' AND state <> 'idle' AND pid <> pg_backend_pid()`)).rows[0].n as number;
    const deadline = Date.now() + 30_000;
    while ((await copying()) > 0) {
      assert.ok(Date.now() < deadline, 'a COPY still runs for a download its client abandoned');
      await new Promise((r) => setTimeout(r, 100));
    }
    const again = await download(fileUrl);
    assert.equal(again.status, 200);
    assert.equal((await again.text()).split('\n').filter(Boolean).length, exportedCount);
  });

  it('a process shutting down mid-export stops it and gives the job back at once; another process then completes it, audited once', async () => {
    // The export is held at its first page by a lock on the patients, so the shutdown finds it mid-way.
    const locker = await a.ctx.db.pool.connect();
    let shutdown: Promise<void> | undefined;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE demographics.patients IN ACCESS EXCLUSIVE MODE');
      const response = await kickoff(b!);
      assert.equal(response.status, 202);
      const statusUrl = `${a.url}${exportPath(response.headers.get('content-location')!)}`;
      const jobId = statusUrl.split('/').pop();
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { rows } = await a.ctx.db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'demographics.patients'::regclass AND NOT granted`);
        if (rows[0].n > 0) break;
        assert.ok(Date.now() < deadline, 'the export never reached its first page');
        await new Promise((r) => setTimeout(r, 50));
      }
      shutdown = b!.close();
      b = undefined;
      await new Promise((r) => setTimeout(r, 300));
      await locker.query('ROLLBACK');
      await shutdown;
      const job = (await a.ctx.db.query('SELECT state, attempts, claimed_until FROM export.jobs WHERE id = $1', [jobId])).rows[0];
      assert.deepEqual(job, { state: 'running', attempts: 0, claimed_until: null });

      const c = await startTestSpine({ databaseUrl: a.databaseUrl });
      try {
        const manifest = await waitForExport(statusUrl, token);
        assert.equal(manifest.output[0].count, exportedCount);
      } finally {
        await c.close();
      }
      const audited = await a.ctx.db.query(`SELECT count(*)::int AS n FROM audit.events WHERE action = 'export.complete' AND resource = $1`, [`$export/${jobId}`]);
      assert.equal(audited.rows[0].n, 1);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
      await shutdown?.catch(() => undefined);
    }
  });
});
