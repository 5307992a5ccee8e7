import type { Queryable } from '../../platform/db/pool.js';
import type { Status } from './domain/lifecycle.js';
import type { Json } from './domain/fhir.js';
import { prescriptionPage } from './store.js';

/** What the prescriptions service (EPS) offers the rest of the code: the bulk export's reads. */

/** MedicationRequest.status (FHIR R4) of an item, from its prescription's EPS status. */
const ITEM_STATUS: Record<Status, string> = {
  'to-be-dispensed': 'active', 'with-dispenser': 'active', 'with-dispenser-active': 'active',
  dispensed: 'completed', claimed: 'completed', cancelled: 'cancelled', 'not-dispensed': 'stopped', expired: 'stopped',
};

const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';

export interface ExportedItem {
  nhsNumber: string;
  shortFormId: string;
  /** One MedicationRequest (the resource EPS prescribes in), as JSON text. */
  json: string;
}

/**
 * Bulk export: the prescriptions after (NHS number, short-form id) — at most `limit` of them, each
 * as its MedicationRequests (the prescription-order's items), in that order. Each stands alone:
 * its status is the item's now (cancelled, completed once dispensed…), its subject the patient by
 * NHS number (the order's `urn:uuid` references mean nothing outside its Bundle), its id the item's.
 */
export async function exportPrescriptionPage(db: Queryable, after: { nhsNumber: string; shortFormId: string }, limit: number, since?: Date): Promise<ExportedItem[]> {
  const items: ExportedItem[] = [];
  for (const p of await prescriptionPage(db, after, limit, since)) {
    for (const entry of (p.orderBundle.entry ?? []) as Json[]) {
      const resource = entry.resource as Json | undefined;
      if (resource?.resourceType !== 'MedicationRequest') continue;
      const itemId = (resource.identifier as Json[] | undefined)?.[0]?.value as string | undefined;
      const { id: _id, subject: _subject, requester: _requester, ...rest } = resource;
      const request = {
        resourceType: 'MedicationRequest',
        ...(itemId ? { id: itemId } : {}),
        ...rest,
        status: itemId && p.cancelledItems.includes(itemId) ? 'cancelled' : ITEM_STATUS[p.status],
        subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: p.nhsNumber } },
      };
      items.push({ nhsNumber: p.nhsNumber, shortFormId: p.shortFormId, json: JSON.stringify(request) });
    }
  }
  return items;
}
