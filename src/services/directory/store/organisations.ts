import type { Queryable } from '../../../platform/db/pool.js';
import type { Organisation, OrganisationRole } from '../api.js';

interface OrganisationRow {
  ods_code: string;
  name: string;
  role: OrganisationRole;
  parent_ods_code: string | null;
  active: boolean;
  postcode: string | null;
}

const COLUMNS = 'ods_code, name, role, parent_ods_code, active, postcode';

function toOrganisation(row: OrganisationRow): Organisation {
  return {
    odsCode: row.ods_code,
    name: row.name,
    role: row.role,
    ...(row.parent_ods_code ? { parentOdsCode: row.parent_ods_code } : {}),
    active: row.active,
    ...(row.postcode ? { postcode: row.postcode } : {}),
  };
}

export async function findOrganisation(db: Queryable, odsCode: string): Promise<Organisation | undefined> {
  const { rows } = await db.query<OrganisationRow>(
    `SELECT ${COLUMNS} FROM directory.organisations WHERE ods_code = $1`, [odsCode]);
  return rows[0] ? toOrganisation(rows[0]) : undefined;
}

/** Ordered by ODS code so pages are stable; the limit is capped because the table can be national-sized. */
export async function listOrganisations(
  db: Queryable, filter: { role?: OrganisationRole; parentOdsCode?: string; limit?: number; offset?: number },
): Promise<Organisation[]> {
  const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000);
  const { rows } = await db.query<OrganisationRow>(
    `SELECT ${COLUMNS} FROM directory.organisations
      WHERE ($1::text IS NULL OR role = $1) AND ($2::text IS NULL OR parent_ods_code = $2)
      ORDER BY ods_code LIMIT $3 OFFSET $4`,
    [filter.role ?? null, filter.parentOdsCode ?? null, limit, Math.max(filter.offset ?? 0, 0)]);
  return rows.map(toOrganisation);
}

/** The ODS codes of organisations disabled in the directory (few: the list every process polls). */
export async function inactiveOrganisationCodes(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ ods_code: string }>('SELECT ods_code FROM directory.organisations WHERE NOT active');
  return rows.map((r) => r.ods_code);
}

/**
 * Creates or replaces the organisation. `keepParent`: an existing organisation keeps the parent it
 * has as the row is written (a form that does not show the parent must not put back one it read).
 */
export async function upsertOrganisation(db: Queryable, org: Organisation, options: { keepParent?: boolean } = {}): Promise<void> {
  await db.query(
    `INSERT INTO directory.organisations (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (ods_code) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role,
       parent_ods_code = CASE WHEN $7 THEN directory.organisations.parent_ods_code ELSE EXCLUDED.parent_ods_code END,
       active = EXCLUDED.active, postcode = EXCLUDED.postcode, updated_at = now()`,
    [org.odsCode, org.name, org.role, org.parentOdsCode ?? null, org.active, org.postcode ?? null, options.keepParent === true]);
}

export async function setOrganisationActive(db: Queryable, odsCode: string, active: boolean): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE directory.organisations SET active = $2, updated_at = now() WHERE ods_code = $1', [odsCode, active]);
  return (rowCount ?? 0) > 0;
}

/** Creates the organisation unless its ODS code is taken; false when it was. */
export async function insertOrganisationIfAbsent(db: Queryable, org: Organisation): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO directory.organisations (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ods_code) DO NOTHING`,
    [org.odsCode, org.name, org.role, org.parentOdsCode ?? null, org.active, org.postcode ?? null]);
  return rowCount === 1;
}
