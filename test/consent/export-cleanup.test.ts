import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken } from '../support/identity.js';
import { demographicsService } from '../../src/services/demographics/index.js';
import { cancelJob, deleteExpiredJobs } from '../../src/services/export/store.js';
import { waitForExport } from './support.js';

/**
 * An export's files (NDJSON of patients' records) go when it is cancelled or expires, and a fault
 * part-way leaves nothing behind that no later step removes. Faults are injected with a trigger on
 * the segments table, as a lost connection or a full disk would fail that step.
 */
describe('bulk export: files removed on cancel and expiry', () => {
  let spine: TestSpine;
  let exporter: string;

  before(async () => {
    spine = await startTestSpine({ env: { OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '0' } });
    await demographicsService.datasets!['synthetic-patients']!(spine.ctx, { patients: 3_000, batchSize: 1_000 });
    exporter = (await createAppAndToken(spine, { activities: ['export:bulk'], name: 'Export cleanup' })).token;
  });
  after(async () => { await spine?.close(); });

  const bearer = () => ({ authorization: `Bearer ${exporter}` });
  const get = (url: string) => fetch(url, { headers: bearer() });
  async function exported(): Promise<{ id: string; statusUrl: string }> {
    const response = await fetch(`${spine.url}/export/FHIR/R4/$export?_type=Patient`, {
      headers: { ...bearer(), prefer: 'respond-async', accept: 'application/fhir+json' },
    });
    assert.equal(response.status, 202);
    const statusUrl = response.headers.get('content-location')!;
    return { id: statusUrl.split('/').pop()!, statusUrl };
  }
  const count = async (table: 'segments' | 'files', id: string) =>
    (await spine.ctx.db.query(`SELECT count(*)::int AS n FROM export.${table} WHERE job_id = $1`, [id])).rows[0].n as number;
  const state = async (id: string) =>
    (await spine.ctx.db.query('SELECT state FROM export.jobs WHERE id = $1', [id])).rows[0]?.state as string | undefined;

  /** Runs `work` while every DELETE from the segments table fails. */
  async function whileSegmentDeletesFail(work: () => Promise<void>) {
    await spine.ctx.db.query(`CREATE FUNCTION public.refuse_segment_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$`);
    await spine.ctx.db.query('CREATE TRIGGER refuse_segment_delete BEFORE DELETE ON export.segments FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_segment_delete()');
    try {
      await work();
    } finally {
      await spine.ctx.db.query('DROP TRIGGER refuse_segment_delete ON export.segments; DROP FUNCTION public.refuse_segment_delete()');
    }
  }

  it('a cancel that fails part-way changes nothing, so the client\'s retry removes the files (it was 404, the files kept)', async () => {
    const { id, statusUrl } = await exported();
    await waitForExport(statusUrl, exporter);
    const segments = await count('segments', id);
    assert.ok(segments > 0);
    await whileSegmentDeletesFail(async () => {
      await assert.rejects(cancelJob(spine.ctx.db, id), /injected fault/);
    });
    assert.equal(await state(id), 'completed');
    assert.equal(await count('files', id), 1);
    assert.equal(await count('segments', id), segments);

    const retried = await fetch(statusUrl, { method: 'DELETE', headers: bearer() });
    assert.equal(retried.status, 202);
    assert.equal((await get(statusUrl)).status, 404);
    assert.equal(await count('segments', id), 0);
    assert.equal(await count('files', id), 0);
  });

  it('an expired export goes with its files and segments at once: a sweep that fails part-way removes nothing, and the next removes all', async () => {
    const { id, statusUrl } = await exported();
    await waitForExport(statusUrl, exporter);
    assert.ok(await count('segments', id) > 0);
    await whileSegmentDeletesFail(async () => {
      await spine.ctx.db.query(`UPDATE export.jobs SET expires_at = now() - interval '1 minute' WHERE id = $1`, [id]);
      await assert.rejects(deleteExpiredJobs(spine.ctx.db, new Date()), /injected fault/);
      // Before, the job was deleted here and its segments kept, with no job left to expire.
      assert.equal(await state(id), 'completed');
    });
    // The runner's sweep (every poll) now takes it.
    const deadline = Date.now() + 20_000;
    while (await state(id) !== undefined) {
      assert.ok(Date.now() < deadline, 'the expired job was not swept');
      await sleep(200);
    }
    assert.equal(await count('segments', id), 0);
    assert.equal(await count('files', id), 0);
    assert.equal((await get(statusUrl)).status, 404);
  });

  it('what a running export writes after its cancel is removed when its runner stops, not kept until it expires', async () => {
    // Each segment written takes 0.1 s (a batch of them is one statement): the export is cancelled
    // while a batch is being written, which commits after the cancel has removed the files.
    await spine.ctx.db.query(`CREATE FUNCTION public.slow_segment() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.1); RETURN NEW; END $$`);
    await spine.ctx.db.query('CREATE TRIGGER slow_segment BEFORE INSERT ON export.segments FOR EACH ROW EXECUTE FUNCTION public.slow_segment()');
    try {
      const { id, statusUrl } = await exported();
      const deadline = Date.now() + 60_000;
      const writing = async () => (await spine.ctx.db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'INSERT INTO export.segments%'`)).rows[0].n > 0;
      while (!(await writing())) {
        assert.ok(Date.now() < deadline, 'the export wrote no segment');
        await sleep(20);
      }
      const cancelled = await fetch(statusUrl, { method: 'DELETE', headers: bearer() });
      assert.equal(cancelled.status, 202);
      // The runner writes on until its next page's heartbeat (a segment every 0.3 s meanwhile), then
      // stops and removes what it wrote: none is left once two seconds have passed without one.
      const stopBy = Date.now() + 20_000;
      let noneSince = Date.now();
      while (Date.now() - noneSince < 2_000) {
        await sleep(100);
        const left = await count('segments', id);
        if (left > 0) noneSince = Date.now();
        assert.ok(Date.now() < stopBy, `${left} segments of the cancelled export still stored`);
      }
      assert.equal(await state(id), 'cancelled');
    } finally {
      await spine.ctx.db.query('DROP TRIGGER slow_segment ON export.segments; DROP FUNCTION public.slow_segment()');
    }
  });
});
