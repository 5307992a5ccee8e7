import type { Queryable } from '../../../platform/db/pool.js';
import { nhsCheckDigit } from '../../../platform/nhs-number.js';

const FIRST_STEM = 999_000_000;

/**
 * The next unused NHS number in the 999 test range. The sequence makes stems unique across
 * processes; stems whose check digit would be 10 are skipped (no valid number has them), and so are
 * numbers already on file (e.g. bulk-loaded), which the caller also guards with its insert.
 */
export async function allocateNhsNumber(tx: Queryable): Promise<string> {
  for (;;) {
    const { rows } = await tx.query<{ stem: string }>(`SELECT nextval('demographics.nhs_number_stems')::text AS stem`);
    const nine = rows[0]!.stem.padStart(9, '0');
    const check = nhsCheckDigit(nine);
    if (check === undefined) continue;
    const candidate = nine + String(check);
    const taken = await tx.query('SELECT 1 FROM demographics.patients WHERE nhs_number = $1', [candidate]);
    if (taken.rowCount === 0) return candidate;
  }
}

/** After a bulk load of 999-range numbers, moves the allocator past the highest one loaded. */
export async function advanceNhsNumberAllocator(tx: Queryable, loaded: readonly string[]): Promise<void> {
  let highest = -1;
  for (const n of loaded) {
    const stem = Number(n.slice(0, 9));
    if (stem >= FIRST_STEM && stem > highest) highest = stem;
  }
  if (highest < 0) return;
  await tx.query(
    `SELECT setval('demographics.nhs_number_stems', $1)
      WHERE $1 > (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM demographics.nhs_number_stems)`,
    [highest],
  );
}
