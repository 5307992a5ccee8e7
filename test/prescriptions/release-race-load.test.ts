import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { shortFormIdOf, type Response } from './support.js';
import { dispensingRig } from './dispensing-flow.js';
import { dispensingSteps } from './dispensing-steps.js';

/**
 * EPS release races when every statement is slow (a loaded machine, made so on purpose): exactly
 * once, no loser queued on the prescription's row lock, and none sent away with a 503. The door's
 * load shedding (shed.ts, its own tests) is deliberate and answers before any work is done; it is
 * set out of reach here (all 50 admitted at once), so that what is measured is the service's own
 * handling of the race. So is the pool's connect timeout (10 s, not 2 s): the machine running the
 * suite may be loaded too, and what decides this test is whether a loser locks, seen in PostgreSQL
 * itself, not how long a busy machine takes to answer 50 slow writes.
 */
describe('EPS dispensing: a release race under load', () => {
  const rig = dispensingRig({ OPENSPINE_MAX_IN_FLIGHT: '100', OPENSPINE_DB_CONNECT_TIMEOUT_MS: '10000' });
  const { pharmacy, newPrescription, release } = dispensingSteps(rig);

  it('the 49 losers of 50 pharmacies releasing one prescription, each write slow, are told it is with another dispenser, never 503', async () => {
    // A loser's answer takes 250 ms to write. The losers of the first round were once decided again
    // under the prescription's row lock: queued on it one at a time, each holding a pooled connection,
    // so the requests behind them waited past the pool's 2 s connect timeout and were answered 503
    // (seen at load average 10-13; here 23 of 50). Decided again unlocked, none queues on the lock.
    const order = await newPrescription();
    const racers = Array.from({ length: 50 }, (_, i) => `FS${String(i).padStart(3, '0')}`);
    for (const ods of racers) await pharmacy(ods);
    const db = rig.spine.ctx.db;
    await db.query('CREATE FUNCTION public.slow_replay_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.status_code <> 200 THEN PERFORM pg_sleep(0.25); END IF; RETURN NEW; END $$');
    await db.query('CREATE TRIGGER slow_replay_write BEFORE INSERT ON prescriptions.replays FOR EACH ROW EXECUTE FUNCTION public.slow_replay_write()');
    // A sharp race: every release that decides to release waits to write (a history entry is written
    // only by a release that decides to release) until 19 wait so, or for 1.5 s at most. PostgreSQL lets
    // the lock go itself, not this process's busy event loop: held longer, the requests queued behind
    // the blocked writers for a pooled connection would time out whatever the code under test did.
    const holder = new pg.Client({ connectionString: rig.spine.databaseUrl });
    await holder.connect();
    let answers: Response[];
    try {
      const held = holder.query(`BEGIN; LOCK TABLE prescriptions.history IN SHARE MODE;
        DO $$ DECLARE until timestamptz := clock_timestamp() + interval '1.5 s'; BEGIN
          WHILE clock_timestamp() < until AND (SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'prescriptions.history'::regclass) < 19 LOOP
            PERFORM pg_sleep(0.01);
          END LOOP;
        END $$; COMMIT`);
      for (let i = 0; i < 100; i++) {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE granted AND mode = 'ShareLock' AND relation = 'prescriptions.history'::regclass`);
        if (rows[0].n > 0) break;
        await sleep(10);
      }
      // Every backend of this database seen on a locking read of one prescription (a sweep's SKIP LOCKED
      // aside) while the race runs. Under the lock the losers queued one at a time, each for its 250 ms
      // write: seconds, not a moment between samples.
      let racing = true;
      const locked = new Set<number>();
      const watching = (async () => {
        while (racing) {
          const { rows } = await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            AND query LIKE '%FROM prescriptions.prescriptions%FOR UPDATE'`);
          for (const row of rows) locked.add(row.pid);
          await sleep(20);
        }
      })();
      try {
        answers = await Promise.all(racers.map((ods) => release(ods, shortFormIdOf(order))));
        await held;
      } finally {
        racing = false;
        await watching;
      }
      assert.equal(locked.size, 0, 'no release decided again under the prescription\'s row lock');
    } finally {
      await holder.end();
      await db.query('DROP TRIGGER slow_replay_write ON prescriptions.replays');
      await db.query('DROP FUNCTION public.slow_replay_write()');
    }
    const unexpected = answers.filter((a) => a.status !== 200 && a.status !== 400);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, ...Array<number>(49).fill(400)], unexpected.map((a) => a.text).join('\n'));
    for (const loser of answers.filter((a) => a.status !== 200)) assert.equal(loser.body.issue[0].details.coding[0].code, 'PRESCRIPTION_WITH_ANOTHER_DISPENSER');
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM platform.outbox WHERE event_type = 'eps-prescription-released' AND payload->>'shortFormId' = $1`, [shortFormIdOf(order)]);
    assert.equal(rows[0].n, 1, 'one release event');
  });
});
