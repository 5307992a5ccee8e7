import type { Queryable } from '../../../platform/db/pool.js';
import type { AreaKind } from '../domain/postcode-areas.js';

/**
 * Replaces the postcode prefixes an organisation is responsible for (as one kind of area), taking
 * any from another, in one statement: the prefixes it no longer has go and the new ones come in
 * together (rows apart, so no row is changed twice). As a delete of all of them and then an insert,
 * a reader between the two (NEMS routing an event while `openspine directory` ran outside a
 * transaction) found the organisation with no area, and a fault between them left it so.
 */
export async function setPostcodeAreas(db: Queryable, kind: AreaKind, odsCode: string, prefixes: string[]): Promise<void> {
  await db.query(
    `WITH dropped AS (DELETE FROM directory.postcode_areas WHERE kind = $1 AND ods_code = $2 AND prefix <> ALL ($3::text[]))
     INSERT INTO directory.postcode_areas (kind, prefix, ods_code) SELECT $1, p, $2 FROM unnest($3::text[]) AS p
     ON CONFLICT (kind, prefix) DO UPDATE SET ods_code = excluded.ods_code`, [kind, odsCode, prefixes]);
}

/** For each kind, the organisation whose prefix among `prefixes` is longest. */
export async function areasOfPrefixes(db: Queryable, prefixes: string[]): Promise<Partial<Record<AreaKind, string>>> {
  if (prefixes.length === 0) return {};
  const { rows } = await db.query<{ kind: AreaKind; ods_code: string }>({
    name: 'directory-postcode-areas',
    text: `SELECT DISTINCT ON (kind) kind, ods_code FROM directory.postcode_areas WHERE prefix = ANY($1::text[]) ORDER BY kind, length(prefix) DESC`,
    values: [prefixes],
  });
  return Object.fromEntries(rows.map((r) => [r.kind, r.ods_code]));
}

/** The prefixes an organisation is responsible for as one kind of area, in order. */
export async function prefixesOf(db: Queryable, kind: AreaKind, odsCode: string): Promise<string[]> {
  const { rows } = await db.query<{ prefix: string }>('SELECT prefix FROM directory.postcode_areas WHERE kind = $1 AND ods_code = $2 ORDER BY prefix', [kind, odsCode]);
  return rows.map((r) => r.prefix);
}

/** Demo data: a prefix is only given to an organisation when no one has it yet (an operator's load wins). */
export async function insertPostcodeAreaIfAbsent(db: Queryable, kind: AreaKind, prefix: string, odsCode: string): Promise<void> {
  await db.query('INSERT INTO directory.postcode_areas (kind, prefix, ods_code) VALUES ($1, $2, $3) ON CONFLICT (kind, prefix) DO NOTHING', [kind, prefix, odsCode]);
}
