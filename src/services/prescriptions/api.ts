import type { Queryable } from '../../platform/db/pool.js';
import { STATUSES } from './domain/lifecycle.js';
import type { Json } from './domain/fhir.js';
import { prescriptionsOfPatient } from './store.js';

/** What the prescriptions service (EPS) offers the rest of the code (the console): a patient's prescriptions, read only. */

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
  const rows = await prescriptionsOfPatient(db, nhsNumber, limit);
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
