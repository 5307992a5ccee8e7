import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { FAST_RELAY_ENV, waitFor } from './support.js';

/**
 * The relay reads the outbox from the first id its last round claimed, not from the start (relay.ts,
 * RoutingCursor). A row whose transaction took its id before others but committed after they were
 * routed sits below that point: it must still be routed, once.
 */
describe('an outbox row that commits after rows of higher ids were routed', () => {
  let spine: TestSpine;
  let late: pg.Client;
  let other: pg.Client;

  before(async () => {
    spine = await startTestSpine({ env: FAST_RELAY_ENV });
    late = new pg.Client({ connectionString: spine.databaseUrl });
    other = new pg.Client({ connectionString: spine.databaseUrl });
    await late.connect();
    await other.connect();
  });
  after(async () => {
    await late.end();
    await other.end();
    await spine.close();
  });

  const insert = async (client: pg.Client, type: string): Promise<number> =>
    (await client.query<{ id: number }>(`INSERT INTO platform.outbox (event_type, source, payload) VALUES ($1, 'test', '{}') RETURNING id`, [type])).rows[0]!.id;
  const routing = async (ids: number[]) =>
    (await other.query<{ id: number; attempts: number; routed: boolean }>(
      'SELECT id, attempts, delivered_at IS NOT NULL AS routed FROM platform.outbox WHERE id = ANY($1) ORDER BY id', [ids])).rows;

  it('is routed within the relay\'s sweep, exactly once', async () => {
    await late.query('BEGIN');
    const lateId = await insert(late, 'test-late-commit');
    const earlier: number[] = [];
    for (let i = 0; i < 3; i++) earlier.push(await insert(other, 'test-on-time'));
    assert.ok(earlier.every((id) => id > lateId));
    await waitFor('the rows committed on time to be routed', async () => (await routing(earlier)).every((r) => r.routed) || undefined);
    // Later rows, so the relay's rounds have moved on past the late row's id.
    const later: number[] = [];
    for (let i = 0; i < 3; i++) later.push(await insert(other, 'test-on-time'));
    await waitFor('the later rows to be routed', async () => (await routing(later)).every((r) => r.routed) || undefined);
    await late.query('COMMIT');
    const [row] = await waitFor('the late row to be routed', async () => {
      const rows = await routing([lateId]);
      return rows[0]?.routed ? rows : undefined;
    });
    assert.deepEqual(row, { id: lateId, attempts: 1, routed: true });
    assert.deepEqual((await routing([...earlier, ...later])).map((r) => r.attempts), [1, 1, 1, 1, 1, 1]);
  });
});
