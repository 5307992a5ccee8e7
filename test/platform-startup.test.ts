import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, startOwnPostgres, startTestSpine, type OwnPostgres } from './support/spine.js';

/**
 * A process started while its database does not answer (still starting, failing over, frozen)
 * waits for it and comes up when it answers, rather than exiting; it gives up after
 * OPENSPINE_DB_STARTUP_WAIT_MS with the database's error.
 */
describe('start-up waits for the database', () => {
  let postgres: OwnPostgres;
  let database: { url: string; drop(): Promise<void> };
  before(async () => {
    postgres = await startOwnPostgres();
    database = await createTestDatabase(postgres.server.connectionString);
  });
  after(async () => {
    await database?.drop();
    await postgres?.close();
  });

  const freeze = () => postgres.signalAll('SIGSTOP');
  const thaw = () => postgres.signalAll('SIGCONT');

  it('comes up once a frozen database answers again', async () => {
    freeze();
    const started = Date.now();
    let thawedAt = 0;
    const thawing = new Promise<void>((resolve) => setTimeout(() => { thaw(); thawedAt = Date.now(); resolve(); }, 2_500));
    try {
      const spine = await startTestSpine({ databaseUrl: database.url, env: { OPENSPINE_DB_CONNECT_TIMEOUT_MS: '500' } });
      try {
        assert.ok(thawedAt > 0 && Date.now() >= thawedAt, 'it came up only after the database answered');
        assert.ok(Date.now() - started >= 2_500);
        assert.equal((await fetch(`${spine.url}/_status`)).status, 200);
      } finally {
        await spine.close();
      }
    } finally {
      await thawing;
    }
  });

  it('gives up after OPENSPINE_DB_STARTUP_WAIT_MS with the database\'s error', async () => {
    freeze();
    try {
      await assert.rejects(
        startTestSpine({ databaseUrl: database.url, env: { OPENSPINE_DB_CONNECT_TIMEOUT_MS: '300', OPENSPINE_DB_STARTUP_WAIT_MS: '1000' } }),
        /timeout|terminated/i);
    } finally {
      thaw();
    }
  });
});
