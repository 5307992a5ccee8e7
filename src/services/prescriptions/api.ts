import type { Queryable } from '../../platform/db/pool.js';
import { STATUSES, type ItemStatus } from './domain/lifecycle.js';
import type { Json } from './domain/fhir.js';
import { orderedPrescriptionsOfPatient, prescriptionPage } from './store.js';

/** What the prescriptions service (EPS) offers the rest of the code: a patient's prescriptions for the console, and the bulk export's reads. */

export interface PrescriptionSummary {
  shortFormId: string;
  /** The tracker's status display, e.g. "With Dispenser". */
  status: string;
  statusCode: string;
  prescriberOds: string;
  nominatedPharmacy?: string;
  dispenser?: string;
  /** The medicines ordered (each MedicationRequest's display), cancelled ones included. */
  medicines: string[];
  createdAt: Date;
  updatedAt: Date;
}

interface OrderedMedicine { resourceType?: string; medicationCodeableConcept?: { text?: string; coding?: Array<{ code?: string; display?: string }> } }

function medicinesOf(orderBundle: Json): string[] {
  const entries = Array.isArray(orderBundle.entry) ? orderBundle.entry as Array<{ resource?: OrderedMedicine }> : [];
  return entries
    .map((e) => e?.resource)
    .filter((r): r is OrderedMedicine => r?.resourceType === 'MedicationRequest')
    .map((r) => {
      const concept = r.medicationCodeableConcept;
      return String(concept?.coding?.[0]?.display ?? concept?.text ?? concept?.coding?.[0]?.code ?? 'unnamed medicine');
    });
}

/** A patient's prescriptions, newest first, up to `limit` (the tracker's view). Not audited: the caller audits. */
export async function prescriptionsForPatient(db: Queryable, nhsNumber: string, limit: number): Promise<PrescriptionSummary[]> {
  const rows = await orderedPrescriptionsOfPatient(db, nhsNumber, limit);
  return rows.map((row) => ({
    shortFormId: row.shortFormId,
    status: STATUSES[row.state.status].display,
    statusCode: STATUSES[row.state.status].code,
    prescriberOds: row.prescriberOds,
    ...(row.nominatedPharmacy ? { nominatedPharmacy: row.nominatedPharmacy } : {}),
    ...(row.state.dispenser ? { dispenser: row.state.dispenser } : {}),
    medicines: medicinesOf(row.orderBundle),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }));
}

/**
 * MedicationRequest.status (FHIR R4) of a line item, from the item's own EPS status: still to be
 * supplied is active (owed and part-supplied items too), fully dispensed completed, not dispensed
 * or expired stopped.
 */
const REQUEST_STATUS: Record<ItemStatus, string> = {
  'to-be-dispensed': 'active', 'with-dispenser': 'active', 'partially-dispensed': 'active', owing: 'active',
  'fully-dispensed': 'completed', 'not-dispensed': 'stopped', expired: 'stopped', cancelled: 'cancelled',
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
 * its status is its item's own now (active while to be supplied, completed once fully dispensed,
 * stopped when not dispensed or expired, cancelled), its subject the patient by
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
        status: REQUEST_STATUS[itemId !== undefined && Object.hasOwn(p.items, itemId) ? p.items[itemId]! : 'to-be-dispensed'],
        subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: p.nhsNumber } },
      };
      items.push({ nhsNumber: p.nhsNumber, shortFormId: p.shortFormId, json: JSON.stringify(request) });
    }
  }
  return items;
}
