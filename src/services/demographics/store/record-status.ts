import type { Queryable } from '../../../platform/db/pool.js';

/**
 * Marks old NHS numbers as superseded by survivors. An old number with no row yet gets a pointer
 * row (a minimal resource), so a read of it can still be followed to the survivor.
 */
export async function markSuperseded(tx: Queryable, pairs: ReadonlyArray<readonly [string, string]>): Promise<void> {
  await tx.query(
    `INSERT INTO demographics.patients (nhs_number, status, superseded_by, resource)
     SELECT old, 'superseded', survivor, jsonb_build_object('resourceType', 'Patient', 'id', old)
       FROM unnest($1::text[], $2::text[]) AS m(old, survivor)
     ON CONFLICT (nhs_number) DO UPDATE
       SET status = 'superseded', superseded_by = EXCLUDED.superseded_by, updated_at = now()`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
}

/** Marks NHS numbers as invalidated; reads answer 404 INVALIDATED_RESOURCE and searches skip them. */
export async function markInvalidated(tx: Queryable, nhsNumbers: readonly string[]): Promise<void> {
  await tx.query(
    `INSERT INTO demographics.patients (nhs_number, status, resource)
     SELECT n, 'invalidated', jsonb_build_object('resourceType', 'Patient', 'id', n) FROM unnest($1::text[]) AS n
     ON CONFLICT (nhs_number) DO UPDATE SET status = 'invalidated', superseded_by = NULL, updated_at = now()`,
    [nhsNumbers],
  );
}
