import { createCoalescer } from '../../platform/db/coalesce.js';
import type { Db, Queryable } from '../../platform/db/pool.js';
import { outboxInsertFrom } from '../../platform/events/outbox.js';
import { pendingAuditInsertFrom } from '../../platform/audit/store.js';
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

/*
 * Ids are unique across patients, but pointers are keyed (and, under Citus, distributed) by NHS
 * number: `pointer_ids` maps each id to its NHS number. A read by id looks the NHS number up
 * first, then reads the pointer by its full key; every write keeps the two in step.
 */

/** The NHS number of each id that names a pointer. */
async function nhsNumbersOf(db: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; nhs_number: string }>({
    name: 'nrl-locate',
    text: `SELECT id, nhs_number FROM record_locator.pointer_ids WHERE id = ANY($1)`,
    values: [ids],
  });
  return new Map(rows.map((r) => [r.id, r.nhs_number]));
}

export async function readPointer(db: Queryable, id: string): Promise<PointerRow | undefined> {
  const nhsNumber = (await nhsNumbersOf(db, [id])).get(id);
  if (nhsNumber === undefined) return undefined;
  const { rows } = await db.query<PointerRow>({
    name: 'nrl-read',
    text: `SELECT ${COLUMNS} FROM record_locator.pointers WHERE nhs_number = $1 AND id = $2`,
    values: [nhsNumber, id],
  });
  return rows[0];
}

/** Locks the pointers a write replaces or changes, so concurrent supersedes cannot both win. */
export async function readPointersForUpdate(db: Queryable, ids: readonly string[]): Promise<PointerRow[]> {
  const located = await nhsNumbersOf(db, ids);
  const byPatient = new Map<string, string[]>();
  for (const [id, nhsNumber] of located) {
    const ofPatient = byPatient.get(nhsNumber);
    if (ofPatient) ofPatient.push(id);
    else byPatient.set(nhsNumber, [id]);
  }
  // One statement per patient (a supersede names one patient's pointers): each reaches one shard.
  const found: PointerRow[] = [];
  for (const [nhsNumber, ofPatient] of byPatient) {
    const { rows } = await db.query<PointerRow>(
      `SELECT ${COLUMNS} FROM record_locator.pointers WHERE nhs_number = $1 AND id = ANY($2) FOR UPDATE`, [nhsNumber, ofPatient]);
    found.push(...rows);
  }
  return found;
}

/**
 * Claims each id in the locator, then adds its pointer; an id that exists (for any patient) is
 * neither claimed nor written, and an id given twice is written once, for the first. `given` holds
 * the pointers of `$1`, a JSON array of objects (`givenOf`: n NHS number, i id, c custodian,
 * t type, k category, r resource, and any `extra` columns); `inserted` returns the ids written.
 * Every pointer write goes through this one statement shape. One JSON document, not an array per
 * column: the resources go as they are, where a `jsonb[]` of them was escaped element by element
 * by the driver, unescaped by PostgreSQL and then parsed (bench/README.md).
 */
function claimAndInsert(extra: Array<{ column: string; type: string }> = []): string {
  const columns = [['n', 'text'], ['i', 'text'], ['c', 'text'], ['t', 'text'], ['k', 'text'], ['r', 'jsonb'], ...extra.map((e) => [e.column, e.type])];
  return `given AS (
         SELECT DISTINCT ON (i) * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (${columns.map(([name, type]) => `${name} ${type}`).join(', ')}))
           WITH ORDINALITY AS g(${columns.map(([name]) => name).join(', ')}, o) ORDER BY i, o),
       claimed AS (
         INSERT INTO record_locator.pointer_ids (id, nhs_number) SELECT i, n FROM given ON CONFLICT DO NOTHING RETURNING id),
       inserted AS (
         INSERT INTO record_locator.pointers (nhs_number, id, custodian, custodian_ods, type, category, resource)
         SELECT g.n, g.i, g.c, split_part(g.c, '.', 1), g.t, g.k, g.r FROM given g JOIN claimed ON claimed.id = g.i
         ON CONFLICT DO NOTHING RETURNING id)`;
}

const givenOf = (r: PointerRow) => ({ n: r.nhsNumber, i: r.id, c: r.custodian, t: r.type, k: r.category, r: r.resource });

const INSERT_POINTERS = `WITH ${claimAndInsert()} SELECT id FROM inserted`;

/** Adds the pointers whose ids are new, in one statement; the ids it wrote. */
export async function insertPointers(db: Queryable, rows: readonly PointerRow[]): Promise<string[]> {
  const { rows: written } = await db.query<{ id: string }>({ name: 'nrl-insert', text: INSERT_POINTERS, values: [JSON.stringify(rows.map(givenOf))] });
  return written.map((r) => r.id);
}

/** Inserts unless the id exists; false when it does. */
export async function insertPointer(db: Queryable, row: PointerRow): Promise<boolean> {
  return (await insertPointers(db, [row])).length === 1;
}

interface Announced { row: PointerRow; event: { type: string; source: string; payload: Record<string, unknown> }; audit: string }

/**
 * New pointers with their outbox events and audit entries, many requests' in one statement (one
 * round trip, one implicit transaction): each pointer is written with its event and entry or, when
 * its id exists, none of them.
 */
const INSERT_ANNOUNCED = `WITH ${claimAndInsert([{ column: 'et', type: 'text' }, { column: 'es', type: 'text' }, { column: 'ep', type: 'jsonb' }, { column: 'au', type: 'text' }])},
       announced AS (${outboxInsertFrom('SELECT g.et, g.es, g.n, g.ep FROM given g JOIN inserted ON inserted.id = g.i')}),
       audited AS (${pendingAuditInsertFrom('SELECT g.au FROM given g JOIN inserted ON inserted.id = g.i')})
       SELECT id FROM inserted`;

const announceBatch = createCoalescer<Announced, boolean>(async (db, _key, items) => {
  const { rows } = await db.query<{ id: string }>({
    name: 'nrl-insert-announced-audited',
    text: INSERT_ANNOUNCED,
    values: [JSON.stringify(items.map((a) => ({ ...givenOf(a.row), et: a.event.type, es: a.event.source, ep: a.event.payload, au: a.audit })))],
  });
  const written = new Set(rows.map((r) => r.id));
  // The first item of an id takes its row; a repeat of it in the same batch was not written.
  return items.map((a) => written.delete(a.row.id));
});

/**
 * A new pointer, its outbox event and its audit entry (`AuditWriter.pending`), all written or none
 * (with other requests' in one statement under load). False, and no event or entry, when the id exists.
 */
export function insertPointerAnnounced(db: Queryable, row: PointerRow, event: Announced['event'], audit: string): Promise<boolean> {
  return announceBatch(db, 'insert', { row, event, audit });
}

/**
 * Stores a sandbox pointer exactly as given, replacing any with its id, in one transaction: the
 * old one's delete and the new one's insert, apart, let a fault between them lose the pointer.
 */
export async function replacePointer(db: Db, row: PointerRow): Promise<void> {
  await db.tx(async (tx) => {
    await deletePointers(tx, [row.id]);
    await insertPointer(tx, row);
  });
}

export async function updatePointerResource(db: Queryable, row: PointerRow): Promise<void> {
  await db.query(
    `UPDATE record_locator.pointers SET resource = $3, category = $4, updated_on = now() WHERE nhs_number = $1 AND id = $2`,
    [row.nhsNumber, row.id, row.resource, row.category],
  );
}

export async function deletePointers(db: Queryable, ids: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `WITH released AS (DELETE FROM record_locator.pointer_ids WHERE id = ANY($1) RETURNING id, nhs_number)
     DELETE FROM record_locator.pointers p USING released WHERE p.nhs_number = released.nhs_number AND p.id = released.id RETURNING p.id`,
    [ids]);
  return rows.map((r) => r.id);
}

export async function deleteAllPointers(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(`WITH released AS (DELETE FROM record_locator.pointer_ids) DELETE FROM record_locator.pointers`);
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
  const { nhsNumber, custodian, custodianOds, category, afterId } = query;
  if (nhsNumber !== undefined && custodian === undefined && custodianOds === undefined && category === undefined && afterId === undefined) {
    // A patient's first page of the caller's types, the consumer's everyday search: with others' of the same types.
    return patientPages(db, `${query.limit}|${query.types.join(' ')}`, { nhsNumber, types: query.types, limit: query.limit });
  }
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

interface PatientPageQuery { nhsNumber: string; types: readonly string[]; limit: number }

/**
 * First pages of several patients' pointers of the same types, in one statement: each patient's
 * first `limit` by id, and how many there are in all. Keyed by the limit and the types, so a batch
 * shares them; an NHS number asked twice is read once.
 */
const patientPages = createCoalescer<PatientPageQuery, { total: number; rows: PointerHit[] }>(async (db, _key, queries) => {
  const { types, limit } = queries[0]!;
  const { rows } = await db.query<PointerHit & { nhs_number: string; total: number }>({
    name: 'nrl-search-patients',
    text: `SELECT nhs_number, id, resource::text AS json, total FROM (
         SELECT nhs_number, id, resource, row_number() OVER (PARTITION BY nhs_number ORDER BY id) AS n,
                count(*) OVER (PARTITION BY nhs_number)::int AS total
           FROM record_locator.pointers WHERE nhs_number = ANY($1) AND type = ANY($2)) ranked
        WHERE n <= $3 ORDER BY nhs_number, id`,
    values: [[...new Set(queries.map((q) => q.nhsNumber))], types, limit],
  });
  const pages = new Map<string, { total: number; rows: PointerHit[] }>();
  for (const { nhs_number: nhsNumber, id, json, total } of rows) {
    let page = pages.get(nhsNumber);
    if (!page) {
      page = { total, rows: [] };
      pages.set(nhsNumber, page);
    }
    page.rows.push({ id, json });
  }
  return queries.map((q) => pages.get(q.nhsNumber) ?? { total: 0, rows: [] });
});

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
