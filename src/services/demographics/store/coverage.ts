import type { Queryable } from '../../../platform/db/pool.js';
import type { Coverage } from '../domain/coverage.js';

/** A patient's coverage as stored: its version, and the EHIC if there is one (none at version 1). */
export interface StoredCoverage {
  versionId: number;
  coverage: Coverage | undefined;
}

/** The version a patient's coverage starts at, before any EHIC is recorded. */
export const FIRST_COVERAGE_VERSION = 1;

export async function readCoverage(db: Queryable, nhsNumber: string): Promise<StoredCoverage> {
  const { rows } = await db.query<{ version_id: number; resource: Coverage }>(
    'SELECT version_id, resource FROM demographics.coverages WHERE nhs_number = $1 ORDER BY version_id DESC LIMIT 1', [nhsNumber]);
  const row = rows[0];
  return row ? { versionId: row.version_id, coverage: row.resource } : { versionId: FIRST_COVERAGE_VERSION, coverage: undefined };
}

/**
 * Records `coverage` as version `expectedVersion + 1` if the current version is still
 * `expectedVersion`; false when it is not, or a concurrent update of the same version won.
 */
export async function replaceCoverage(db: Queryable, nhsNumber: string, expectedVersion: number, coverage: Coverage, requestId: string): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO demographics.coverages (nhs_number, version_id, resource, request_id)
     SELECT $1, $2::int + 1, $3, $4
      WHERE coalesce((SELECT max(version_id) FROM demographics.coverages WHERE nhs_number = $1), ${FIRST_COVERAGE_VERSION}) = $2::int
     ON CONFLICT (nhs_number, version_id) DO NOTHING`,
    [nhsNumber, expectedVersion, JSON.stringify(coverage), requestId]);
  return result.rowCount === 1;
}

/** Seeds a coverage at a given version unless the patient already has one (sandbox data). */
export async function insertCoverageIfNone(tx: Queryable, nhsNumber: string, versionId: number, coverage: Coverage): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO demographics.coverages (nhs_number, version_id, resource)
     SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM demographics.coverages WHERE nhs_number = $1)`,
    [nhsNumber, versionId, JSON.stringify(coverage)]);
  return result.rowCount === 1;
}
