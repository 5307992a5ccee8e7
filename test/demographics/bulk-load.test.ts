import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../support/spine.js';
import { createDb, type Db } from '../../src/platform/db/pool.js';
import { migrate } from '../../src/platform/db/migrate.js';
import { platformMigrations } from '../../src/platform/migrations.js';
import { isValidNhsNumber } from '../../src/platform/nhs-number.js';
import { demographicsMigrations } from '../../src/services/demographics/migrations.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import { allocateNhsNumber } from '../../src/services/demographics/store/nhs-number-allocator.js';
import { searchColumnsOf } from '../../src/services/demographics/domain/search-columns.js';
import { testPopulation } from './support/population.js';

describe('bulk loading patients with COPY', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  const population = testPopulation(300);

  before(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, 4);
    await migrate(db, [...platformMigrations, demographicsMigrations]);
    await bulkInsertPatients(db, { patients: population.slice(0, 150) });
    await bulkInsertPatients(db, {
      patients: population.slice(150),
      relatedPersons: [{ nhsNumber: population[0]!.id, resource: { resourceType: 'RelatedPerson', id: 'RP1' } }],
      supersededBy: [['9000000041', population[1]!.id]],
      invalidated: [population[2]!.id],
    });
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  it('stores every patient with the search columns the write path derives', async () => {
    const { rows } = await db.query(`SELECT nhs_number, family, given, family_soundex, family_metaphone, gender,
      to_char(birth_date, 'YYYY-MM-DD') AS birth_date, postcode, gp_ods, emails, phones, restricted, version_id
      FROM demographics.patients WHERE status = 'active' ORDER BY nhs_number`);
    const expected = population.filter((p) => p.id !== population[2]!.id).sort((a, b) => a.id.localeCompare(b.id));
    assert.equal(rows.length, expected.length);
    for (const [i, row] of rows.entries()) {
      const c = searchColumnsOf(expected[i]!);
      assert.deepEqual(row, {
        nhs_number: expected[i]!.id, family: c.family, given: c.given, family_soundex: c.familySoundex,
        family_metaphone: c.familyMetaphone, gender: c.gender, birth_date: c.birthDate, postcode: c.postcode,
        gp_ods: c.gpOds, emails: c.emails, phones: c.phones, restricted: c.restricted, version_id: 1,
      });
    }
  });

  it('loads historic names, related persons, superseded pointers and invalidations', async () => {
    const names = await db.query(`SELECT count(*)::int AS n FROM demographics.historic_names`);
    assert.equal(names.rows[0].n, population.filter((p) => (p.name?.length ?? 0) > 1).length);
    const related = await db.query(`SELECT nhs_number, id FROM demographics.related_persons`);
    assert.deepEqual(related.rows, [{ nhs_number: population[0]!.id, id: 'RP1' }]);
    const pointer = await db.query(`SELECT status, superseded_by FROM demographics.patients WHERE nhs_number = '9000000041'`);
    assert.deepEqual(pointer.rows, [{ status: 'superseded', superseded_by: population[1]!.id }]);
    const invalid = await db.query(`SELECT status FROM demographics.patients WHERE nhs_number = $1`, [population[2]!.id]);
    assert.deepEqual(invalid.rows, [{ status: 'invalidated' }]);
  });

  it('a batch with a duplicate NHS number is refused whole', async () => {
    const fresh = testPopulation(2, 980_000_000);
    await assert.rejects(bulkInsertPatients(db, { patients: [fresh[0]!, population[5]!] }));
    const { rowCount } = await db.query('SELECT 1 FROM demographics.patients WHERE nhs_number = $1', [fresh[0]!.id]);
    assert.equal(rowCount, 0);
  });

  it('the NHS number allocator skips numbers a bulk load put in the 999 range', async () => {
    const loaded = testPopulation(3, 999_000_000);
    await bulkInsertPatients(db, { patients: loaded });
    const allocated = await allocateNhsNumber(db);
    assert.ok(isValidNhsNumber(allocated));
    assert.ok(allocated.startsWith('999'));
    assert.ok(!loaded.some((p) => p.id === allocated));
    assert.ok(Number(allocated.slice(0, 9)) > Number(loaded[2]!.id.slice(0, 9)));
  });
});
