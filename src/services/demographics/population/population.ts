import type { PatientBatch } from '../store/bulk.js';
import type { RelatedPerson } from '../fhir-types.js';
import { Random } from './random.js';
import { buildPools } from './pools.js';
import { localOrganisations, type KnownOrganisation } from './organisations.js';
import { drawPatient, type DrawContext } from './patient.js';
import { drawRelatedPersons, type KnownAdult } from './related-persons.js';
import { SyntheticNhsNumbers } from './nhs-numbers.js';
import { dayNumber } from './dates.js';

/**
 * "Today" for every synthetic population: fixed, so one seed gives byte-identical records on any
 * day, and in the past, so no generated date is in the future.
 */
export const POPULATION_TODAY = '2025-06-30';

/**
 * How often the rare record states occur. PDS does not publish these rates; they are set to give a
 * population where each state is common enough to find and test (≈ the brief's 0.5/0.2/1/0.1%).
 */
export const RATES = {
  restricted: 0.005,
  superseded: 0.002,
  invalidated: 0.001,
  /** Deaths are far likelier among the old; these two give about 1% of records overall. */
  deceasedOver60: 0.032,
  deceasedUnder60: 0.003,
} as const;

export interface PopulationOptions {
  patients: number;
  seed: number;
  batchSize?: number;
  /** Practices and pharmacies from the directory; invented per postcode area when empty. */
  practices?: KnownOrganisation[];
  pharmacies?: KnownOrganisation[];
}

export interface GeneratedBatch extends PatientBatch {
  relatedPersons: Array<{ nhsNumber: string; resource: RelatedPerson }>;
  supersededBy: Array<[string, string]>;
  invalidated: string[];
}

const RECENT_ADULTS = 5000;

/**
 * The synthetic population as a stream of batches ready for `bulkInsertPatients`. One random
 * stream runs through the whole population in patient order, so the records do not depend on the
 * batch size. Superseded numbers are extra numbers that now point at a surviving record.
 */
export function* populationBatches(options: PopulationOptions): Generator<GeneratedBatch> {
  const random = new Random(options.seed);
  const idRandom = new Random(options.seed ^ 0x1d5);
  const ctx: DrawContext = {
    random,
    pools: buildPools(options.seed),
    organisations: localOrganisations(new Random(options.seed ^ 0x0d5), options.patients, {
      practices: options.practices ?? [],
      pharmacies: options.pharmacies ?? [],
    }),
    today: dayNumber(POPULATION_TODAY),
    ids: () => Math.floor(idRandom.next() * 4294967296).toString(16).toUpperCase().padStart(8, '0'),
  };
  const numbers = new SyntheticNhsNumbers();
  const batchSize = options.batchSize ?? 10_000;
  const knownAdults: KnownAdult[] = [];
  let batch = emptyBatch();
  for (let i = 0; i < options.patients; i++) {
    const nhsNumber = numbers.next();
    const roll = random.next();
    const ageRoll = random.next();
    const draw = drawPatient(ctx, nhsNumber, {
      restricted: roll < RATES.restricted,
      deceased: (age) => ageRoll < (age >= 60 ? RATES.deceasedOver60 : RATES.deceasedUnder60),
    });
    const { patient, person } = draw;
    batch.patients.push(patient);
    for (const resource of drawRelatedPersons(ctx, draw, knownAdults)) batch.relatedPersons.push({ nhsNumber, resource });
    if (roll >= RATES.restricted && roll < RATES.restricted + RATES.superseded) batch.supersededBy.push([numbers.next(), nhsNumber]);
    else if (roll >= RATES.restricted + RATES.superseded && roll < RATES.restricted + RATES.superseded + RATES.invalidated) batch.invalidated.push(nhsNumber);
    if (person.ageYears >= 25 && person.ageYears <= 70 && !patient.deceasedDateTime) {
      if (knownAdults.length < RECENT_ADULTS) knownAdults.push({ nhsNumber, gender: person.gender });
      else knownAdults[i % RECENT_ADULTS] = { nhsNumber, gender: person.gender };
    }
    if (batch.patients.length >= batchSize) {
      yield batch;
      batch = emptyBatch();
    }
  }
  if (batch.patients.length > 0) yield batch;
}

function emptyBatch(): GeneratedBatch {
  return { patients: [], relatedPersons: [], supersededBy: [], invalidated: [] };
}
