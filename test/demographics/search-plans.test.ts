import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTestDatabase } from '../support/spine.js';
import { createDb, type Db } from '../../src/platform/db/pool.js';
import { migrate } from '../../src/platform/db/migrate.js';
import { platformMigrations } from '../../src/platform/migrations.js';
import { demographicsMigrations } from '../../src/services/demographics/migrations.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import { findSearchCandidates } from '../../src/services/demographics/store/patient-search.js';
import { parseSearchParams, type RawQuery } from '../../src/services/demographics/search/parse-search-params.js';
import { testPopulation } from './support/population.js';

/**
 * Every search shape has an index path: with sequential scans priced out, no plan reads the whole
 * patients table, nor walks most of an index only to discard what it read (a wide birth-date
 * range must not turn into a full scan at a million patients).
 */
describe('search SQL uses indexes', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  before(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, 2);
    await migrate(db, [...platformMigrations, demographicsMigrations]);
    await bulkInsertPatients(db, { patients: testPopulation(500, 910_000_000) });
    await db.query('ANALYZE');
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  const shapes: Record<string, RawQuery> = {
    exact: { family: 'Smith', given: 'Jane', gender: 'female', birthdate: 'eq1980-01-01' },
    wideRange: { family: 'Smith', birthdate: 'ge1900-01-01' },
    wildcard: { family: 'Smi*', birthdate: ['ge1900-01-01', 'le2030-01-01'], given: 'Ja*' },
    history: { family: 'Smith', birthdate: 'ge1900-01-01', _history: 'true', 'address-postalcode': 'LS1*' },
    contact: { family: 'Smith', birthdate: 'ge1900-01-01', email: 'a@example.com', phone: '0123', 'general-practitioner': 'Y12345' },
    contactHistory: { family: 'Smith', birthdate: 'ge1900-01-01', email: 'a@example.com', phone: '0123', _history: 'true' },
    fuzzyContact: { family: 'Smith', given: 'Jane', birthdate: 'eq1980-01-01', email: 'a@example.com', '_fuzzy-match': 'true' },
    fuzzy: { family: 'Smith', given: 'Jane', birthdate: 'eq1980-01-01', '_fuzzy-match': 'true' },
    fuzzyPostcode: { given: 'Jane', gender: 'female', 'address-postalcode': 'LS1 6AE', birthdate: 'eq1980-01-01', '_fuzzy-match': 'true' },
    fuzzyRange: { family: 'Smith', given: 'Jane', birthdate: ['ge1980-01-01', 'le1980-12-31'], '_fuzzy-match': 'true' },
  };
  // A bound array's length is unknown to a generic plan (PostgreSQL guesses 10 elements), so with
  // arrays it re-planned every fuzzy search; planning cost more than running at 1M patients.
  it('every fuzzy search on one day is the same statement with scalar values, so PostgreSQL keeps one generic plan', async () => {
    const statements: string[] = [];
    const spy = { query: async (config: pg.QueryConfig) => {
      assert.ok(!config.values!.some(Array.isArray), `no array values: ${JSON.stringify(config.values)}`);
      statements.push(`${config.name}|${config.text}|${config.values!.length}`);
      return { rows: [] };
    } };
    // 1980-01-01 has no day/month swap; 1987-03-04 has four mis-keyings; a one-word name binds one key.
    for (const params of [
      { family: 'Smith', given: 'Jane', birthdate: 'eq1980-01-01', '_fuzzy-match': 'true' },
      { family: 'Ng', given: 'Bo', birthdate: 'eq1987-03-04', '_fuzzy-match': 'true' },
      { family: 'Smith', given: 'Smith', birthdate: 'eq2001-12-31', '_fuzzy-match': 'true' },
    ]) {
      await findSearchCandidates(spy as unknown as pg.PoolClient, parseSearchParams(params));
    }
    assert.equal(new Set(statements).size, 1, statements.join('\n'));
    assert.ok(statements[0]!.startsWith('pds_search_'), 'the fuzzy statement is a named (prepared) one');
  });

  for (const [name, params] of Object.entries(shapes)) {
    it(`${name} search reads patients through an index, not the whole table`, async () => {
      const client = await db.pool.connect();
      try {
        let sql: pg.QueryConfig | undefined;
        const spy = { query: (config: pg.QueryConfig) => { sql = config; return client.query({ text: config.text, values: config.values }); } };
        await findSearchCandidates(spy as unknown as pg.PoolClient, parseSearchParams(params));
        await client.query('SET enable_seqscan = off');
        const { rows } = await client.query(`EXPLAIN ANALYZE ${sql!.text}`, sql!.values);
        await client.query('RESET enable_seqscan');
        const plan = rows.map((r) => r['QUERY PLAN'] as string).join('\n');
        assert.doesNotMatch(plan, /Seq Scan on patients/, plan);
        // An index path that still walks most of the table (e.g. the whole birth-date index) fails too.
        const discarded = [...plan.matchAll(/Rows Removed by (?:Filter|Index Recheck): ([0-9]+)/g)].reduce((n, m) => n + Number(m[1]), 0);
        assert.ok(discarded < 100, `${discarded} rows read and discarded of 500:\n${plan}`);
      } finally {
        client.release();
      }
    });
  }
});
