import type { PlatformContext, SeedOptions } from '../../../platform/service.js';
import { directoryApi, type OrganisationRole } from '../../directory/api.js';
import { analyzePatientTables, bulkInsertPatients } from '../store/bulk.js';
import { populationBatches, type GeneratedBatch } from './population.js';
import type { KnownOrganisation } from './organisations.js';

/** The directory API returns at most this many per call; enough to spread patients over (England has ~6,300 practices). */
const MAX_ORGANISATIONS = 1000;

/** Active organisations of a role in the directory; none when the directory is not running here. */
async function organisationsOf(ctx: PlatformContext, role: OrganisationRole): Promise<KnownOrganisation[]> {
  try {
    const found = await directoryApi(ctx.db).listOrganisations({ role, limit: MAX_ORGANISATIONS });
    return found.filter((o) => o.active).map((o) => ({ odsCode: o.odsCode, postcode: o.postcode }));
  } catch (err) {
    // `--services demographics` alone: the directory's schema is not migrated in this database.
    ctx.log.warn({ err }, `directory unavailable; synthetic patients get invented ${role} codes`);
    return [];
  }
}

function positiveInteger(value: unknown, name: string, fallback?: number): number {
  const n = value === undefined && fallback !== undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not '${String(value)}'`);
  return n;
}

/**
 * Dataset `synthetic-patients` (`openspine seed --patients N [--seed S]`): generates the population
 * in batches and loads each with COPY while the next one is generated, so generation (this process)
 * and loading (PostgreSQL) run on both cores at once.
 */
export async function seedSyntheticPatients(ctx: PlatformContext, options: SeedOptions): Promise<string> {
  const patients = positiveInteger(options.patients, 'patients');
  const seed = positiveInteger(options.seed, 'seed', 1);
  const batchSize = positiveInteger(options.batchSize, 'batchSize', 10_000) || 10_000;
  const started = Date.now();
  const [practices, pharmacies] = await Promise.all([organisationsOf(ctx, 'gp-practice'), organisationsOf(ctx, 'pharmacy')]);
  const totals = { patients: 0, relatedPersons: 0, superseded: 0, invalidated: 0, restricted: 0, deceased: 0 };
  let loading: Promise<void> = Promise.resolve();
  const count = (batch: GeneratedBatch) => {
    totals.patients += batch.patients.length;
    totals.relatedPersons += batch.relatedPersons.length;
    totals.superseded += batch.supersededBy.length;
    totals.invalidated += batch.invalidated.length;
    for (const p of batch.patients) {
      if (p.deceasedDateTime) totals.deceased += 1;
      if (p.meta?.security?.[0]?.code === 'R') totals.restricted += 1;
    }
  };
  for (const batch of populationBatches({ patients, seed, batchSize, practices, pharmacies })) {
    await loading;
    loading = bulkInsertPatients(ctx.db, batch).then(() => {
      count(batch);
      options.progress?.(totals.patients, patients);
    }, (err: Error & { code?: string }) => {
      // The numbers are the same for every run, so a second seed into one store collides on the first batch.
      if (err.code === '23505') throw new Error(`the store already holds some of these synthetic NHS numbers (seeded before?): ${err.message}`);
      throw err;
    });
  }
  await loading;
  await analyzePatientTables(ctx.db);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const gps = `${practices.length} practices from the directory`;
  return `${totals.patients} patients (${totals.restricted} restricted, ${totals.deceased} deceased, ${totals.invalidated} invalidated, ` +
    `${totals.superseded} superseded numbers, ${totals.relatedPersons} related persons; ${gps}) in ${seconds} s`;
}
