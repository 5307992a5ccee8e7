import type { FastifyRequest } from 'fastify';

/** The prescriptions service's audit vocabulary: every operation on a prescription, by whom. */
export type PrescriptionAction =
  | 'prescription.prepare' | 'prescription.create' | 'prescription.cancel' | 'prescription.validate'
  | 'prescription.release' | 'prescription.dispense' | 'prescription.return' | 'prescription.withdraw' | 'prescription.claim'
  | 'prescription.track' | 'prescription.expire';

/**
 * Says what the request touched; the platform writes the entry (the routes' `config.audit`) before
 * the answer is sent, so the answer leaves only once its audit record is durable.
 */
export function auditPrescriptions(request: FastifyRequest, action: PrescriptionAction,
  touched: { shortFormIds: string[]; nhsNumbers: string[]; detail?: Record<string, unknown> }): void {
  request.audited = {
    action,
    resource: touched.shortFormIds.length === 1 ? `Prescription/${touched.shortFormIds[0]}` : undefined,
    nhsNumbers: touched.nhsNumbers,
    detail: { prescriptions: touched.shortFormIds.slice(0, 25), ...touched.detail },
  };
}
