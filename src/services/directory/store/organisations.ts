import type { Db, Queryable } from '../../../platform/db/pool.js';
import type { Organisation, OrganisationRole } from '../api.js';
import { InvalidFieldError } from '../fields.js';
import { normalisePostcode } from '../domain/postcode-areas.js';

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
    // Shown in the standard form (`LS1 6AE`) even if a row was written otherwise (by a process of an earlier release).
    ...(row.postcode ? { postcode: normalisePostcode(row.postcode) ?? row.postcode } : {}),
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
 * A parent that would close a cycle (the organisation its own ancestor) is refused: see `writeInHierarchy`.
 */
export async function upsertOrganisation(db: Queryable, org: Organisation, options: { keepParent?: boolean } = {}): Promise<void> {
  await writeInHierarchy(db, org, async (q) => {
    await q.query(
      `INSERT INTO directory.organisations (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (ods_code) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role,
         parent_ods_code = CASE WHEN $7 THEN directory.organisations.parent_ods_code ELSE EXCLUDED.parent_ods_code END,
         active = EXCLUDED.active, postcode = EXCLUDED.postcode, updated_at = now()`,
      [org.odsCode, org.name, org.role, org.parentOdsCode ?? null, org.active, org.postcode ?? null, options.keepParent === true]);
  });
}

export async function setOrganisationActive(db: Queryable, odsCode: string, active: boolean): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE directory.organisations SET active = $2, updated_at = now() WHERE ods_code = $1', [odsCode, active]);
  return (rowCount ?? 0) > 0;
}

/** Creates the organisation unless its ODS code is taken; false when it was. Refuses a parent that closes a cycle. */
export async function insertOrganisationIfAbsent(db: Queryable, org: Organisation): Promise<boolean> {
  return writeInHierarchy(db, org, async (q) => {
    const { rowCount } = await q.query(
      `INSERT INTO directory.organisations (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ods_code) DO NOTHING`,
      [org.odsCode, org.name, org.role, org.parentOdsCode ?? null, org.active, org.postcode ?? null]);
    return rowCount === 1;
  });
}

/**
 * The chain from `parentOdsCode` up its parents back to `odsCode`, when giving `odsCode` that parent
 * would close a cycle (A → B → A, or longer); undefined otherwise. The chain is followed by the codes
 * rows name as parents, so a new organisation that records already name as their parent (seed data
 * may name one before it exists) is caught too. Ends on a cycle already stored (written before
 * cycles were refused) without looping.
 */
export async function cycleThrough(db: Queryable, odsCode: string, parentOdsCode: string): Promise<string[] | undefined> {
  if (parentOdsCode === odsCode) return [odsCode];
  const { rows } = await db.query<{ path: string[] }>(
    `WITH RECURSIVE chain (ods_code, parent_ods_code, path) AS (
       SELECT ods_code, parent_ods_code, ARRAY[ods_code] FROM directory.organisations WHERE ods_code = $2
       UNION ALL
       SELECT o.ods_code, o.parent_ods_code, c.path || o.ods_code
         FROM chain c JOIN directory.organisations o ON o.ods_code = c.parent_ods_code
        WHERE c.parent_ods_code <> $1 AND o.ods_code <> ALL (c.path)
     )
     SELECT path || $1::text AS path FROM chain WHERE parent_ods_code = $1 LIMIT 1`,
    [odsCode, parentOdsCode]);
  return rows[0]?.path;
}

// Every write that gives an organisation a parent holds this lock (transaction-scoped) from the
// cycle check to its commit, so two at once cannot each pass the check against the other's
// not-yet-committed row and together close a cycle (A → B by one, B → A by the other). Writes that
// set no parent cannot close one and take no lock.
const HIERARCHY_LOCK = 'directory.organisations.parent';

const isDb = (db: Queryable): db is Db => typeof (db as Partial<Db>).tx === 'function';

/**
 * Runs `write` for an organisation: when it names a parent, in one transaction (the caller's, when
 * `db` is a transaction's client; else a new one) under the hierarchy lock, after checking that the
 * parent does not have the organisation among its ancestors. A cycle is an InvalidFieldError on
 * `parentOdsCode`, and nothing is written.
 */
async function writeInHierarchy<T>(db: Queryable, org: Organisation, write: (q: Queryable) => Promise<T>): Promise<T> {
  const parent = org.parentOdsCode;
  if (!parent) return write(db);
  const checked = async (q: Queryable) => {
    // Under READ COMMITTED each statement sees what was committed before it began: once the lock is
    // ours, the check sees every parent written by a writer that held it before.
    await q.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [HIERARCHY_LOCK]);
    if (parent === org.odsCode) throw selfParent(org.odsCode);
    const cycle = await cycleThrough(q, org.odsCode, parent);
    if (cycle) {
      throw new InvalidFieldError('parentOdsCode', 'invalid',
        `'parentOdsCode' ${parent} would make ${org.odsCode} its own ancestor (${[org.odsCode, ...cycle].join(' → ')})`);
    }
    return write(q);
  };
  return isDb(db) ? db.tx(checked) : checked(db);
}

const selfParent = (odsCode: string) => new InvalidFieldError('parentOdsCode', 'invalid', `'parentOdsCode' cannot be the organisation itself (${odsCode})`);
