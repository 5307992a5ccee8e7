import type { Queryable } from '../../../platform/db/pool.js';

/** A page of active patient records in NHS number order, for bulk export (keyset paging, so each page is one index range). */
export async function activePatientPage(db: Queryable, after: string, limit: number, since?: Date): Promise<Array<{ nhsNumber: string; restricted: boolean; json: string }>> {
  const { rows } = await db.query<{ nhs_number: string; restricted: boolean; json: string }>({
    name: since ? 'pds_export_page_since' : 'pds_export_page',
    text: `SELECT nhs_number, restricted, resource::text AS json FROM demographics.patients
            WHERE nhs_number > $1 AND status = 'active'${since ? ' AND updated_at > $3' : ''}
            ORDER BY nhs_number LIMIT $2`,
    values: since ? [after, limit, since] : [after, limit],
  });
  return rows.map((r) => ({ nhsNumber: r.nhs_number, restricted: r.restricted, json: r.json }));
}
