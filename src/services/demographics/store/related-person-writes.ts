import type { Queryable } from '../../../platform/db/pool.js';

export async function insertRelatedPerson(tx: Queryable, nhsNumber: string, resource: { id: string }): Promise<void> {
  await tx.query(
    'INSERT INTO demographics.related_persons (nhs_number, id, resource) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [nhsNumber, resource.id, JSON.stringify(resource)]);
}
