import type { Queryable } from '../../platform/db/pool.js';
import { outboxInsertFrom } from '../../platform/events/outbox.js';
import { categoryOf, custodianOf, nhsNumberOf, pointerTypeOf, type DocumentReference } from './domain/document-reference.js';

/** The only SQL of the record locator. */
export interface PointerRow {
  id: string;
  nhsNumber: string;
  custodian: string;
  type: string;
  category: string;
  resource: DocumentReference;
}

/** Search columns from the resource; a sandbox pointer stored "as given" may lack any of them. */
export function rowOf(resource: DocumentReference, id: string): PointerRow {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    id,
    nhsNumber: text(nhsNumberOf(resource)),
    custodian: text(custodianOf(resource)),
    type: pointerTypeOf(resource) ?? '',
    category: categoryOf(resource) ?? '',
    resource,
  };
}

const COLUMNS = `id, nhs_number AS "nhsNumber", custodian, type, category, resource`;

export async function readPointer(db: Queryable, id: string): Promise<PointerRow | undefined> {
  const { rows } = await db.query<PointerRow>({ name: 'nrl-read', text: `SELECT ${COLUMNS} FROM record_locator.pointers WHERE id = $1`, values: [id] });
  return rows[0];
}

/** Locks the pointers a write replaces or changes, so concurrent supersedes cannot both win. */
export async function readPointersForUpdate(db: Queryable, ids: readonly string[]): Promise<PointerRow[]> {
  const { rows } = await db.query<PointerRow>(`SELECT ${COLUMNS} FROM record_locator.pointers WHERE id = ANY($1) FOR UPDATE`, [ids]);
  return rows;
}

/** Inserts unless the id exists; false when it does. */
export async function insertPointer(db: Queryable, row: PointerRow): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO record_locator.pointers (nhs_number, id, custodian, custodian_ods, type, category, resource)
     VALUES ($1, $2, $3, split_part($3, '.', 1), $4, $5, $6) ON CONFLICT DO NOTHING`,
    [row.nhsNumber, row.id, row.custodian, row.type, row.category, row.resource],
  );
  return rowCount === 1;
}

/**
 * A new pointer and its outbox event in one statement (one round trip, one implicit transaction):
 * both are written or neither. False, and no event, when the id exists.
 */
export async function insertPointerAnnounced(db: Queryable, row: PointerRow, event: { type: string; source: string; payload: Record<string, unknown> }): Promise<boolean> {
  const { rows } = await db.query<{ inserted: number }>({
    name: 'nrl-insert-announced',
    text: `WITH inserted AS (
         INSERT INTO record_locator.pointers (nhs_number, id, custodian, custodian_ods, type, category, resource)
         VALUES ($1, $2, $3, split_part($3, '.', 1), $4, $5, $6) ON CONFLICT DO NOTHING
         RETURNING nhs_number),
       announced AS (${outboxInsertFrom('SELECT $7, $8, nhs_number, $9::jsonb FROM inserted')})
       SELECT count(*)::int AS inserted FROM inserted`,
    values: [row.nhsNumber, row.id, row.custodian, row.type, row.category, row.resource, event.type, event.source, event.payload],
  });
  return rows[0]!.inserted === 1;
}

/** Many pointers in one statement (seeding); ids already present are skipped. Returns how many were added. */
export async function insertPointerRows(db: Queryable, resources: readonly DocumentReference[]): Promise<number> {
  const rows = resources.map((resource) => rowOf(resource, resource.id!));
  const { rowCount } = await db.query(
    `INSERT INTO record_locator.pointers (nhs_number, id, custodian, custodian_ods, type, category, resource)
     SELECT n, i, c, split_part(c, '.', 1), t, k, r FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) AS x(n, i, c, t, k, r)
     ON CONFLICT DO NOTHING`,
    [rows.map((r) => r.nhsNumber), rows.map((r) => r.id), rows.map((r) => r.custodian), rows.map((r) => r.type), rows.map((r) => r.category),
      rows.map((r) => JSON.stringify(r.resource))],
  );
  return rowCount ?? 0;
}

/** Stores a sandbox pointer exactly as given, replacing any with its id. */
export async function replacePointer(db: Queryable, row: PointerRow): Promise<void> {
  await db.query(`DELETE FROM record_locator.pointers WHERE id = $1`, [row.id]);
  await insertPointer(db, row);
}

export async function updatePointerResource(db: Queryable, row: PointerRow): Promise<void> {
  await db.query(
    `UPDATE record_locator.pointers SET resource = $2, category = $3, updated_on = now() WHERE id = $1`,
    [row.id, row.resource, row.category],
  );
}

export async function deletePointers(db: Queryable, ids: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`DELETE FROM record_locator.pointers WHERE id = ANY($1) RETURNING id`, [ids]);
  return rows.map((r) => r.id);
}

export async function deleteAllPointers(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM record_locator.pointers`);
  return rowCount ?? 0;
}

export interface PointerQuery {
  nhsNumber?: string;
  /** Producer searches: only this custodian's pointers. */
  custodian?: string;
  /** Consumer filter `custodian:identifier`: an ODS code matches its extensions too. */
  custodianOds?: string;
  types: readonly string[];
  category?: string;
  afterId?: string;
  limit: number;
}

/** The filter, and a name for its shape: each shape is a prepared statement, planned once per connection. */
function where(query: PointerQuery): { sql: string; values: unknown[]; shape: string } {
  const values: unknown[] = [query.types];
  const clauses = ['type = ANY($1)'];
  let shape = '';
  const add = (clause: (n: number) => string, value: unknown) => {
    values.push(value);
    clauses.push(clause(values.length));
    shape += `-${clause(0).split(' ')[0]}`;
  };
  if (query.nhsNumber !== undefined) add((n) => `nhs_number = $${n}`, query.nhsNumber);
  if (query.custodian !== undefined) add((n) => `custodian = $${n}`, query.custodian);
  if (query.custodianOds !== undefined) add((n) => `custodian_ods = $${n}`, query.custodianOds);
  if (query.category !== undefined) add((n) => `category = $${n}`, query.category);
  return { sql: clauses.join(' AND '), values, shape };
}

/** A search hit: the pointer as stored, as JSON text, so a page is answered without parsing and re-serialising it. */
export interface PointerHit { id: string; json: string }
const HIT_COLUMNS = `id, resource::text AS json`;

/**
 * One page (by id) and the total across pages. The first page is one statement (the window count
 * is taken before LIMIT); a later page counts separately, since its rows start after the token.
 */
export async function searchPointers(db: Queryable, query: PointerQuery): Promise<{ total: number; rows: PointerHit[] }> {
  const filter = where(query);
  if (query.afterId === undefined) {
    const { rows } = await db.query<PointerHit & { total: number }>({
      name: `nrl-search${filter.shape}`,
      text: `SELECT ${HIT_COLUMNS}, count(*) OVER ()::int AS total FROM record_locator.pointers WHERE ${filter.sql} ORDER BY id LIMIT $${filter.values.length + 1}`,
      values: [...filter.values, query.limit],
    });
    return { total: rows[0]?.total ?? 0, rows: rows.map(({ total: _total, ...row }) => row) };
  }
  const pageValues = [...filter.values, query.afterId, query.limit];
  const [page, count] = await Promise.all([
    db.query<PointerHit>(
      `SELECT ${HIT_COLUMNS} FROM record_locator.pointers WHERE ${filter.sql} AND id > $${pageValues.length - 1} ORDER BY id LIMIT $${pageValues.length}`, pageValues),
    db.query<{ total: number }>(`SELECT count(*)::int AS total FROM record_locator.pointers WHERE ${filter.sql}`, filter.values),
  ]);
  return { total: count.rows[0]!.total, rows: page.rows };
}

export async function countPointers(db: Queryable, nhsNumber: string, types: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ total: number }>(
    `SELECT count(*)::int AS total FROM record_locator.pointers WHERE nhs_number = $1 AND type = ANY($2)`, [nhsNumber, types],
  );
  return rows[0]!.total;
}

export interface Permission { appId: string; organisation: string; pointerTypes: string[] }

export async function pointerTypesFor(db: Queryable, appId: string, organisation: string): Promise<string[]> {
  const { rows } = await db.query<{ pointer_types: string[] }>({
    name: 'nrl-permissions',
    text: `SELECT pointer_types FROM record_locator.permissions WHERE app_id = $1 AND organisation = $2`,
    values: [appId, organisation],
  });
  return rows[0]?.pointer_types ?? [];
}

/** The channel every change to the permission table notifies as it commits (the permission cache listens). */
export const PERMISSIONS_CHANGED = 'record_locator_permissions';

export async function setPermission(db: Queryable, permission: Permission): Promise<void> {
  await db.query(
    `WITH changed AS (
       INSERT INTO record_locator.permissions (app_id, organisation, pointer_types) VALUES ($1, $2, $3)
       ON CONFLICT (app_id, organisation) DO UPDATE SET pointer_types = EXCLUDED.pointer_types, updated_at = now()
       RETURNING 1)
     SELECT pg_notify('${PERMISSIONS_CHANGED}', '') FROM changed`,
    [permission.appId, permission.organisation, permission.pointerTypes],
  );
}

export async function deletePermission(db: Queryable, appId: string, organisation: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH changed AS (DELETE FROM record_locator.permissions WHERE app_id = $1 AND organisation = $2 RETURNING 1)
     SELECT pg_notify('${PERMISSIONS_CHANGED}', '') FROM changed`,
    [appId, organisation],
  );
  return rowCount === 1;
}

export async function listPermissions(db: Queryable, appId?: string): Promise<Permission[]> {
  const { rows } = await db.query<Permission>(
    `SELECT app_id AS "appId", organisation, pointer_types AS "pointerTypes" FROM record_locator.permissions
     WHERE $1::text IS NULL OR app_id = $1 ORDER BY app_id, organisation`,
    [appId ?? null],
  );
  return rows;
}

/** A page of pointers in (NHS number, id) order after `after`, for bulk export; `since`: created or updated after then. */
export async function pointerPage(db: Queryable, after: { nhsNumber: string; id: string }, limit: number, since?: Date): Promise<Array<{ nhsNumber: string; id: string; json: string }>> {
  const { rows } = await db.query<{ nhs_number: string; id: string; json: string }>(
    `SELECT nhs_number, id, resource::text AS json FROM record_locator.pointers
      WHERE (nhs_number, id) > ($1, $2) AND ($4::timestamptz IS NULL OR COALESCE(updated_on, created_on) > $4)
      ORDER BY nhs_number, id LIMIT $3`, [after.nhsNumber, after.id, limit, since ?? null]);
  return rows.map((r) => ({ nhsNumber: r.nhs_number, id: r.id, json: r.json }));
}
